"""The same models on PostgreSQL: built from the same demo data, loaded by scripts/load_orders.py into the raw
source, every mart equals the DuckDB build — the CLV fit included, which scripts/fit_clv.py makes between two
builds on PostgreSQL (README "Predictive customer value").

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
    "clv_model_parameters": ("fitted_on", "model", "parameter"),
    "fct_clv_holdout_validation": ("calibration_frequency",),
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
    clv_schema = f"{schema}_clv"
    dbt_vars = {"raw_schema": raw_schema, "clv_schema": clv_schema}
    try:
        # build, fit, build again: the first build only as far as the fit needs (and the parameters, to see that
        # without a fit they say what to run), the fit by scripts/fit_clv.py, then everything
        run_dbt(["run", "--select", "+int_clv_fit_settings", "clv_model_parameters"], work_dir / "unused.duckdb",
                dbt_vars, target="postgres", env={"PGSCHEMA": schema})
        unfitted = postgres_rows(schema, "clv_model_parameters")
        assert {row["fit_status"] for row in unfitted} == {"not_fitted"}
        assert {row["fit_message"] for row in unfitted} == {
            f"no fit in schema {clv_schema} yet: run python scripts/fit_clv.py --target postgres, then build again"}
        fitted = subprocess.run(
            [sys.executable, str(PROJECT_DIR / "scripts" / "fit_clv.py"), "--target", "postgres", "--schema", schema,
             "--clv-schema", clv_schema],
            capture_output=True, text=True, check=False,
        )
        assert fitted.returncode == 0, fitted.stderr
        assert f"-> {clv_schema}.clv_model_parameters" in fitted.stdout and "Now build again." in fitted.stdout
        run_dbt(["build"], work_dir / "unused.duckdb", dbt_vars, target="postgres", env={"PGSCHEMA": schema})
        yield schema
    finally:
        with psycopg2.connect(**CONNECTION) as connection, connection.cursor() as cursor:
            cursor.execute(f"drop schema if exists {schema} cascade")
            cursor.execute(f"drop schema if exists {raw_schema} cascade")
            cursor.execute(f"drop schema if exists {clv_schema} cascade")


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


def test_postgres_fit_is_used_only_for_its_own_data(demo_db, postgres_schema):
    """The fit of scripts/fit_clv.py is current for the build: fitted, and the predictions are there."""
    parameters = postgres_rows(postgres_schema, "clv_model_parameters")
    assert {row["fit_status"] for row in parameters if row["fitted_on"] == "observation"} == {"fitted"}
    customers = postgres_rows(postgres_schema, "dim_customers")
    assert all(row["predicted_clv"] is not None for row in customers)


def test_postgres_build_with_other_settings_ignores_a_stale_fit(postgres_schema, tmp_path):
    """A build with another horizon than the fit's does not use it: NULL predictions, and the reason."""
    stale_schema = f"{postgres_schema}_stale"
    dbt_vars = {"raw_schema": f"{postgres_schema}_raw", "clv_schema": f"{postgres_schema}_clv",
                "clv_horizon_days": 30}
    try:
        run_dbt(["run", "--select", "+int_clv_fit_settings", "clv_model_parameters", "int_customers_clv_scored"],
                tmp_path / "unused.duckdb", dbt_vars, target="postgres", env={"PGSCHEMA": stale_schema})
        parameters = postgres_rows(stale_schema, "clv_model_parameters")
        assert {row["fit_status"] for row in parameters} == {"not_fitted"}
        assert {row["fit_message"] for row in parameters} == {
            f"the fit in schema {postgres_schema}_clv is of other data or settings: run python scripts/fit_clv.py "
            "--target postgres, then build again"}
        assert postgres_rows(stale_schema, "int_customers_clv_scored") == []
    finally:
        with psycopg2.connect(**CONNECTION) as connection, connection.cursor() as cursor:
            cursor.execute(f"drop schema if exists {stale_schema} cascade")
