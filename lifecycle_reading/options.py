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
    if str(path or "").strip() == NO_DATA:
        path = empty_input(CONTRACTS[contract_name])
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


# --- optional sources (METRICS.md §9, §10; README "Optional sources") ---------------------------------------------
# var `<contract>_path` unset means the bundled demo file when `orders_path` is also unset, otherwise no such data:
# the source meta's path is then NO_DATA (macro optional_source_path) and the source is an empty table of the
# contract's columns (the models build empty).
NO_DATA = "no data"
DEMO_FILES["loyalty_members"] = PROJECT_DIR / "data" / "demo" / "raw_loyalty_members.csv"
DEMO_FILES["loyalty_events"] = PROJECT_DIR / "data" / "demo" / "raw_loyalty_events.csv"
DEMO_FILES["campaign_touches"] = PROJECT_DIR / "data" / "demo" / "campaign_touches.csv"


def empty_input(contract) -> str:
    """A zero-row Parquet file of the contract's columns (text), written once per contract and column list to the
    temp folder (atomically, so concurrent builds share it safely): what the reader turns into an empty raw table.
    The file name carries a hash of the columns, so a contract whose columns change never reuses an older file."""
    import hashlib
    import os
    import tempfile

    import pyarrow as pa
    import pyarrow.parquet as pq

    folder = Path(tempfile.gettempdir()) / "lifecycle_reading"
    folder.mkdir(parents=True, exist_ok=True)
    columns_hash = hashlib.sha256("\x1f".join(contract.names).encode()).hexdigest()[:12]
    path = folder / f"{contract.name}.{columns_hash}.empty.parquet"
    if not path.exists():
        schema = pa.schema([pa.field(column, pa.string()) for column in contract.names])
        partial = folder / f"{contract.name}.{os.getpid()}.partial"
        pq.write_table(schema.empty_table(), partial)
        os.replace(partial, path)
    return str(path)
