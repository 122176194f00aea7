"""The same models on PostgreSQL: built from the same demo data, loaded by scripts/load_orders.py into the raw
source, every mart equals the DuckDB build.

Needs the PostgreSQL server of these machines (127.0.0.1:5432, trust auth, database `test`); `.ci/run` starts it
when it is down. Outside CI the test is skipped when no server answers.
"""

from __future__ import annotations

import math
import os
import subprocess
import sys
import uuid
from datetime import date, datetime
from decimal import Decimal

import pytest

from conftest import PROJECT_DIR, query, run_dbt

psycopg2 = pytest.importorskip("psycopg2")

MARTS = {
    "fct_lifecycle_metrics": ("grain", "period_start"),
    "fct_cohort_retention": ("grain", "cohort_period_start", "periods_since_first"),
    "dim_customers": ("customer_id",),
    "fct_churn_alerts": ("alert_id",),
    "fct_open_churn_alerts": ("alert_id",),
}
CONNECTION = {"host": "127.0.0.1", "port": 5432, "dbname": "test", "user": "postgres"}


@pytest.fixture(scope="module")
def postgres_schema(tmp_path_factory):
    try:
        psycopg2.connect(connect_timeout=3, **CONNECTION).close()
    except psycopg2.OperationalError as error:
        if os.environ.get("CI"):
            raise AssertionError(f"PostgreSQL is not reachable on 127.0.0.1:5432 in CI: {error}") from error
        pytest.skip(f"no PostgreSQL on 127.0.0.1:5432 ({error})")
    schema = f"lifecycle_test_{uuid.uuid4().hex[:8]}"
    raw_schema = f"{schema}_raw"
    work_dir = tmp_path_factory.mktemp("postgres")
    loaded = subprocess.run(
        [sys.executable, str(PROJECT_DIR / "scripts" / "load_orders.py"), "--target", "postgres", "--schema", raw_schema],
        capture_output=True, text=True, check=False,
    )
    assert loaded.returncode == 0, loaded.stderr
    assert "loaded 12,594 raw lines" in loaded.stdout
    try:
        run_dbt(["build"], work_dir / "unused.duckdb", {"raw_schema": raw_schema}, target="postgres",
                env={"PGSCHEMA": schema})
        yield schema
    finally:
        with psycopg2.connect(**CONNECTION) as connection, connection.cursor() as cursor:
            cursor.execute(f"drop schema if exists {schema} cascade")
            cursor.execute(f"drop schema if exists {raw_schema} cascade")


def postgres_rows(schema: str, table: str) -> list[dict]:
    with psycopg2.connect(**CONNECTION) as connection, connection.cursor() as cursor:
        cursor.execute(f"select * from {schema}.{table}")
        names = [column.name for column in cursor.description]
        return [dict(zip(names, row)) for row in cursor.fetchall()]


def same(left, right) -> bool:
    if isinstance(left, float) or isinstance(right, float):
        if left is None or right is None:
            return left is right
        return math.isclose(float(left), float(right), rel_tol=1e-9, abs_tol=1e-9)
    if isinstance(left, Decimal) or isinstance(right, Decimal):
        return Decimal(left) == Decimal(right)
    if isinstance(left, datetime) and isinstance(right, datetime):
        return left.replace(tzinfo=None) == right.replace(tzinfo=None)
    if isinstance(left, date) and isinstance(right, date):
        return left == right
    return left == right


@pytest.mark.parametrize("table", sorted(MARTS))
def test_postgres_marts_equal_duckdb(demo_db, postgres_schema, table):
    key = MARTS[table]

    def keyed(rows: list[dict]) -> dict[tuple, dict]:
        return {tuple(str(row[column]) for column in key): row for row in rows}

    duckdb_rows = keyed(query(demo_db, f"select * from {table}"))
    pg_rows = keyed(postgres_rows(postgres_schema, table))
    assert len(duckdb_rows) > 0
    assert sorted(pg_rows) == sorted(duckdb_rows)
    for row_key, duckdb_row in duckdb_rows.items():
        pg_row = pg_rows[row_key]
        assert set(pg_row) == set(duckdb_row), table
        for column, value in duckdb_row.items():
            assert same(value, pg_row[column]), (table, row_key, column, value, pg_row[column])


def test_postgres_rejects_the_same_rows(demo_db, postgres_schema):
    """The same lines are rejected for the same reasons, with the same line numbers and raw text."""
    columns = ("order_id, customer_id, status, reason, ordered_at_text, amount_text, refunded_amount_text, "
               "updated_at_text, source_line_number, raw_line")

    def rows(fetched: list[dict]) -> list[tuple]:
        return sorted(tuple(str(row[column.strip()]) for column in columns.split(",")) for row in fetched)

    duckdb_rows = rows(query(demo_db, f"select {columns} from stg_shop__rejected_orders"))
    pg_rows = rows(postgres_rows(postgres_schema, "stg_shop__rejected_orders"))
    assert len(duckdb_rows) > 0
    assert pg_rows == duckdb_rows
