"""The CLV fit on PostgreSQL: build, fit with scripts/fit_clv.py, build again; the fitted model's columns equal
DuckDB's (where dbt Python models fit inside `dbt build`), and a stale fit is not used.

Needs the PostgreSQL server of these machines (127.0.0.1:5432, trust auth, database `test`); `.ci/run` starts it
when it is down. Outside CI the tests are skipped when no server answers.
"""

from __future__ import annotations

import math
import os
import subprocess
import sys
import uuid

import pytest

from conftest import PROJECT_DIR, query, run_dbt

psycopg2 = pytest.importorskip("psycopg2")

CONNECTION = {"host": "127.0.0.1", "port": 5432, "dbname": "test", "user": "postgres"}
MODEL_COLUMNS = ("probability_alive", "expected_purchases", "expected_purchase_value", "predicted_clv")
# The models that read the fit of scripts/fit_clv.py (clv_model_parameters, int_customers_clv_scored and the marts
# that read those), with everything upstream.
CLV_READERS = ("+clv_model_parameters", "+dim_customers", "+fct_churn_alerts", "+fct_open_churn_alerts",
               "+fct_clv_holdout_validation")


def postgres_rows(schema: str, table: str) -> list[dict]:
    with psycopg2.connect(**CONNECTION) as connection, connection.cursor() as cursor:
        cursor.execute(f"select * from {schema}.{table}")
        names = [column.name for column in cursor.description]
        return [dict(zip(names, row)) for row in cursor.fetchall()]


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
        # without a fit they say what to run), the fit by scripts/fit_clv.py, then the models that read the fit and
        # their dbt tests (CLV_READERS; every dbt test of every model runs on PostgreSQL in test_engines.py's demo
        # build); the fit streams the demo's customers in chunks of 1,000, so the chunked reads are what the
        # comparison with DuckDB checks
        run_dbt(["run", "--select", "+int_clv_fit_settings", "clv_model_parameters"], work_dir / "unused.duckdb",
                dbt_vars, target="postgres", env={"PGSCHEMA": schema})
        unfitted = postgres_rows(schema, "clv_model_parameters")
        assert {row["fit_status"] for row in unfitted} == {"not_fitted"}
        assert {row["fit_message"] for row in unfitted} == {
            f"no fit in schema {clv_schema} yet: run python scripts/fit_clv.py --target postgres, then build again"}
        fitted = subprocess.run(
            [sys.executable, str(PROJECT_DIR / "scripts" / "fit_clv.py"), "--target", "postgres", "--schema", schema,
             "--clv-schema", clv_schema, "--chunk-rows", "1000"],
            capture_output=True, text=True, check=False,
        )
        assert fitted.returncode == 0, fitted.stderr
        assert f"-> {clv_schema}.clv_model_parameters" in fitted.stdout and "Now build again." in fitted.stdout
        run_dbt(["build", "--select", *CLV_READERS, "--indirect-selection", "cautious"], work_dir / "unused.duckdb",
                dbt_vars, target="postgres", env={"PGSCHEMA": schema})
        yield schema
    finally:
        with psycopg2.connect(**CONNECTION) as connection, connection.cursor() as cursor:
            cursor.execute(f"drop schema if exists {schema} cascade")
            cursor.execute(f"drop schema if exists {raw_schema} cascade")
            cursor.execute(f"drop schema if exists {clv_schema} cascade")


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


def test_postgres_fitted_columns_equal_duckdb(demo_db, postgres_schema):
    """The same fit (same summary, same optimiser) gives the same predictions per customer, to 1e-6 relative."""
    duckdb_rows = {row["customer_id"]: row for row in query(
        demo_db, f"select customer_id, {', '.join(MODEL_COLUMNS)} from dim_customers")}
    pg_rows = {row["customer_id"]: row for row in postgres_rows(postgres_schema, "dim_customers")}
    assert sorted(pg_rows) == sorted(duckdb_rows) and len(duckdb_rows) > 0
    for customer, expected in duckdb_rows.items():
        for column in MODEL_COLUMNS:
            left, right = expected[column], pg_rows[customer][column]
            assert (left is None) == (right is None), (customer, column)
            if left is not None:
                assert math.isclose(float(left), float(right), rel_tol=1e-6, abs_tol=1e-9), (customer, column, left, right)
