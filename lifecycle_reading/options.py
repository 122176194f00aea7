"""ReadOptions from text settings, shared by every engine's entry point into the reading layer: the dbt-duckdb
plugin (a source's meta), the Spark data source (its OPTIONS) and scripts/load_orders.py (dbt-style vars)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from lifecycle_reading.contracts import CONTRACTS
from lifecycle_reading.files import InputError, ReadOptions

PROJECT_DIR = Path(__file__).resolve().parents[1]
DEMO_FILES = {"orders": PROJECT_DIR / "data" / "demo" / "raw_orders.csv"}
UNSET = ("", "none", "null")


def unset(value: Any) -> bool:
    return value is None or str(value).strip().lower() in UNSET


def options_from_meta(meta: dict[str, Any]) -> ReadOptions:
    """ReadOptions from text settings: contract, path (empty = the bundled demo data), columns (a JSON object or
    a dict, contract column -> header) and encoding. Values arrive as rendered text (sources yml, SQL OPTIONS)."""
    contract_name = str(meta.get("contract") or "orders")
    if contract_name not in CONTRACTS:
        raise InputError(f"unknown raw contract '{contract_name}'; known: {', '.join(CONTRACTS)}")
    path = meta.get("path")
    path = str(DEMO_FILES[contract_name]) if unset(path) else str(path).strip()
    columns = meta.get("columns")
    if isinstance(columns, str):
        columns = None if unset(columns) else json.loads(columns)
    encoding = meta.get("encoding")
    return ReadOptions(
        contract=CONTRACTS[contract_name],
        path=path,
        columns=columns or {},
        encoding="utf-8" if unset(encoding) else str(encoding),
    )
