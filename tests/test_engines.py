"""The same product on DuckDB, PostgreSQL and Spark: the same orders give identical marts on every engine.

Every mart is compared row by row and column by column with the DuckDB build: counts exactly, rates to 1e-9,
money exactly, timestamps to the microsecond; the columns have the same names, order and types. This runs on the
demo data (PostgreSQL and Spark read it from the raw source loaded by scripts/load_orders.py, with every dbt test),
on the reading layer's spellings fixture (Spark reading the file directly, var orders_path) and on randomized
order histories (hypothesis: gaps of exactly D days, orders on period boundaries in a non-UTC reporting time zone,
superseded versions, rejected rows).

PostgreSQL: the server of these machines on 127.0.0.1:5432 (trust auth, database `test`; `.ci/run` starts it).
Spark: dbt-spark's session method with pyspark and Java 17 in this process; one Spark session serves every Spark
build of the test session (warehouse and metastore in a temporary directory, LIFECYCLE_SPARK_DIR). Outside CI a
missing server or Java skips that engine's tests with the reason; in CI (env CI set) it fails them.
"""

from __future__ import annotations

import importlib.util
import math
import os
import shutil
import subprocess
import uuid
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, Phase, example, given, settings

from conftest import PROJECT_DIR, query, raw_order, run_dbt, write_orders_csv
from strategies import raw_histories

MARTS = {
    "fct_lifecycle_metrics": ("grain", "period_start"),
    "fct_cohort_retention": ("grain", "cohort_period_start", "periods_since_first"),
    "dim_customers": ("customer_id",),
    "fct_churn_alerts": ("alert_id",),
    "fct_open_churn_alerts": ("alert_id",),
    "fct_campaign_results": ("campaign_id",),
    "fct_campaign_metrics": ("grain", "period_start"),
    "fct_loyalty_metrics": ("grain", "period_start"),
}
# Columns of the fitted CLV model (README "Predictive customer value"): on PostgreSQL and Spark the fit is a step of
# its own (scripts/fit_clv.py) that these builds do not run, so the columns are NULL there and the open alerts,
# ranked by predicted_clv, are ranked by the next criteria. tests/test_clv_postgres.py runs the fit step on
# PostgreSQL and checks these columns against DuckDB.
MODEL_COLUMNS = {"probability_alive", "expected_purchases", "expected_purchase_value", "predicted_clv", "priority_rank"}
REJECTED_COLUMNS = ("source_line_number", "order_id", "customer_id", "status", "reason", "ordered_at_text",
                    "amount_text", "refunded_amount_text", "updated_at_text", "raw_line")
PG_CONNECTION = {"host": "127.0.0.1", "port": 5432, "dbname": "test", "user": "postgres"}
# Schemas of these tests are <prefix><random>; the prefix lets parallel runs on one server keep apart.
PG_PREFIX = os.environ.get("LIFECYCLE_TEST_PG_SCHEMA_PREFIX", "lifecycle_test_")
# The marts and what they are built from: enough for the comparisons, without the semantic layer's models.
MART_SELECTION = ["--select", *(f"+{table}" for table in MARTS), "stg_shop__rejected_orders",
                  "--exclude", "resource_type:test", "resource_type:unit_test"]
# On Spark the demo build runs the models, the seed and the macro tests (parsing on Spark); the data and unit tests
# run on DuckDB, and every mart they check is then compared with Spark's here. (`dbt build --target spark` with
# every test passes too; it takes several minutes.)
SPARK_DEMO_SELECTION = ["--select", "resource_type:model", "resource_type:seed", "path:tests/dbt/macro_tests",
                        "--indirect-selection", "empty"]
# Random histories per run, after the fixed one (each builds on all three engines, about a minute on Spark).
EXAMPLES = int(os.environ.get("LIFECYCLE_ENGINE_EXAMPLES", "2"))
REPORTING_TIMEZONE = "America/New_York"
DEMO_RAW_LINES = 12_594


def unavailable(engine: str, reason: str):
    """Skip outside CI; in CI every engine must run."""
    if os.environ.get("CI"):
        pytest.fail(f"{engine} is required in CI: {reason}")
    pytest.skip(f"{engine} not available: {reason}")


# --- comparing ----------------------------------------------------------------------------------------------------


def same(left, right) -> bool:
    """Counts and text exactly, rates (floats) to 1e-9, money (decimals) exactly, timestamps to the microsecond."""
    if left is None or right is None:
        return left is None and right is None
    if isinstance(left, float) or isinstance(right, float):
        return math.isclose(float(left), float(right), rel_tol=1e-9, abs_tol=1e-9)
    if isinstance(left, Decimal) or isinstance(right, Decimal):
        return Decimal(left) == Decimal(right)
    if isinstance(left, datetime) and isinstance(right, datetime):
        return left.replace(tzinfo=None) == right.replace(tzinfo=None)
    return type(left) is type(right) and left == right


def type_family(data_type: str) -> str:
    """A column type as one name for all three engines: integer, bigint, double, decimal, text, date, timestamp,
    boolean. Decimal precision is each engine's own (sums widen differently), the scale is the contract's."""
    name = data_type.lower()
    for prefix, family in (
        ("bigint", "bigint"), ("int8", "bigint"), ("long", "bigint"),
        ("integer", "integer"), ("int", "integer"),
        ("double", "double"), ("float8", "double"),
        ("decimal", "decimal"), ("numeric", "decimal"),
        ("varchar", "text"), ("text", "text"), ("string", "text"), ("character varying", "text"),
        ("date", "date"),
        ("timestamp with time zone", "timestamptz"), ("timestamptz", "timestamptz"), ("timestamp", "timestamp"),
        ("boolean", "boolean"),
    ):
        if name.startswith(prefix):
            return family
    return name


def assert_same_marts(reference: dict[str, list[dict]], other: dict[str, list[dict]], engine: str) -> None:
    for table, key in MARTS.items():
        expected = {tuple(str(row[column]) for column in key): row for row in reference[table]}
        actual = {tuple(str(row[column]) for column in key): row for row in other[table]}
        assert sorted(actual) == sorted(expected), (engine, table, "rows differ")
        for row_key, expected_row in expected.items():
            actual_row = actual[row_key]
            assert list(actual_row) == list(expected_row), (engine, table, "columns differ")
            differing = {column: (value, actual_row[column]) for column, value in expected_row.items()
                         if column not in MODEL_COLUMNS and not same(value, actual_row[column])}
            assert not differing, (engine, table, row_key, differing)


# --- DuckDB -------------------------------------------------------------------------------------------------------


def duckdb_marts(db_path: Path) -> dict[str, list[dict]]:
    return {table: query(db_path, f"select * from {table}") for table in MARTS}


def duckdb_types(db_path: Path, table: str) -> list[tuple[str, str]]:
    return [(row["column_name"], type_family(row["data_type"])) for row in query(
        db_path, "select column_name, data_type from information_schema.columns where table_name = ? "
        "order by ordinal_position", [table])]


def duckdb_rejected(db_path: Path) -> list[tuple]:
    return sorted(tuple(str(row[column]) for column in REJECTED_COLUMNS)
                  for row in query(db_path, "select * from stg_shop__rejected_orders"))


# --- PostgreSQL ---------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def postgres():
    psycopg2 = pytest.importorskip("psycopg2")
    try:
        psycopg2.connect(connect_timeout=3, **PG_CONNECTION).close()
    except psycopg2.OperationalError as error:
        unavailable("PostgreSQL", f"no server on 127.0.0.1:5432 ({str(error).strip()})")
    return psycopg2


def load_orders_module():
    spec = importlib.util.spec_from_file_location("load_orders", PROJECT_DIR / "scripts" / "load_orders.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def load_orders(*args: str) -> None:
    """scripts/load_orders.py in this process (for Spark: into this process's Spark session)."""
    assert load_orders_module().main(list(args)) == 0


class PostgresBuild:
    """A build into its own schema, loaded from the raw source of `<schema>_raw`; dropped by drop()."""

    def __init__(self, psycopg2, work_dir: Path, orders_path: Path | None, dbt_vars: dict, select: list[str]):
        self.psycopg2 = psycopg2
        self.schema = f"{PG_PREFIX}{uuid.uuid4().hex[:8]}"
        self.raw_schema = f"{self.schema}_raw"
        try:
            load_orders(*([str(orders_path)] if orders_path else []), "--target", "postgres",
                        "--schema", self.raw_schema)
            run_dbt(["build", *select], work_dir / "unused.duckdb", {**dbt_vars, "raw_schema": self.raw_schema},
                    target="postgres", env={"PGSCHEMA": self.schema})
        except BaseException:
            self.drop()
            raise

    def rows(self, sql: str) -> list[dict]:
        with self.psycopg2.connect(**PG_CONNECTION) as connection, connection.cursor() as cursor:
            cursor.execute(sql)
            names = [column.name for column in cursor.description]
            return [dict(zip(names, row)) for row in cursor.fetchall()]

    def marts(self) -> dict[str, list[dict]]:
        return {table: self.rows(f"select * from {self.schema}.{table}") for table in MARTS}

    def types(self, table: str) -> list[tuple[str, str]]:
        return [(row["column_name"], type_family(row["data_type"])) for row in self.rows(
            "select column_name, data_type from information_schema.columns "
            f"where table_schema = '{self.schema}' and table_name = '{table}' order by ordinal_position")]

    def rejected(self) -> list[tuple]:
        return sorted(tuple(str(row[column]) for column in REJECTED_COLUMNS)
                      for row in self.rows(f"select * from {self.schema}.stg_shop__rejected_orders"))

    def drop(self) -> None:
        with self.psycopg2.connect(**PG_CONNECTION) as connection, connection.cursor() as cursor:
            cursor.execute(f"drop schema if exists {self.schema} cascade")
            cursor.execute(f"drop schema if exists {self.raw_schema} cascade")


# --- Spark --------------------------------------------------------------------------------------------------------


def java_major_version() -> int | None:
    if not shutil.which("java"):
        return None
    result = subprocess.run(["java", "-version"], capture_output=True, text=True, check=False)
    for word in (result.stderr + result.stdout).replace('"', " ").split():
        if word[:1].isdigit():
            return int(word.split(".")[0]) if not word.startswith("1.") else int(word.split(".")[1])
    return None


@pytest.fixture(scope="session")
def spark(tmp_path_factory):
    """The Spark session every Spark build of this test session runs in (dbt-spark's session method starts it at
    the first build; its warehouse and metastore live in a temporary directory)."""
    for module in ("pyspark", "dbt.adapters.spark"):
        if importlib.util.find_spec(module.split(".")[0]) is None or importlib.util.find_spec(module) is None:
            unavailable("Spark", f"python package {module} is not installed (requirements.txt)")
    version = java_major_version()
    if version is None or version < 17:
        unavailable("Spark", "Java 17 is not installed" if version is None else f"Java {version} is older than 17")
    spark_dir = tmp_path_factory.mktemp("spark")
    os.environ.update({
        "LIFECYCLE_SPARK_DIR": str(spark_dir),
        "SPARK_LOCAL_IP": "127.0.0.1",
        # Small inputs: one shuffle partition per stage keeps every query to one task, and compiling whole-stage
        # code for each new query costs more than it saves.
        "SPARK_SHUFFLE_PARTITIONS": "1",
        "SPARK_WHOLESTAGE_CODEGEN": "false",
        # Planning, not data, is the cost of these builds: without constraint propagation the edge history's Spark
        # build took 78 s instead of 84 s (the first of a session; the second 51 s instead of 56 s, 2026-12-07).
        "SPARK_CONSTRAINT_PROPAGATION": "false",
        # No -XX:TieredStopAtLevel=1 (the JVM's quick compiler alone): planning the period and campaign models
        # is long enough work for the optimizing compiler to pay off; a Spark build of a small history took 208 s
        # with the quick compiler alone and 135 s without (2026-12-07).
    })
    from lifecycle_reading.spark_session import prepare_environment, spark_session

    prepare_environment()
    session = spark_session()
    yield session
    session.stop()


class SparkBuild:
    """A build into its own Spark schema (database): from a raw source loaded by load_orders.py (`load=True`) or
    reading the file itself (var orders_path)."""

    def __init__(self, session, work_dir: Path, orders_path: Path | None, dbt_vars: dict, select: list[str],
                 load: bool):
        self.session = session
        self.schema = f"test_{uuid.uuid4().hex[:8]}"
        dbt_vars = dict(dbt_vars)
        if load:
            raw_schema = f"{self.schema}_raw"
            load_orders(*([str(orders_path)] if orders_path else []), "--target", "spark", "--schema", raw_schema)
            dbt_vars["raw_schema"] = raw_schema
        else:
            dbt_vars["orders_path"] = str(orders_path)
        run_dbt(["build", *select], work_dir / "unused.duckdb", dbt_vars, target="spark",
                env={"SPARK_SCHEMA": self.schema})

    def rows(self, table: str) -> list[dict]:
        return self.session.table(f"{self.schema}.{table}").toArrow().to_pylist()

    def marts(self) -> dict[str, list[dict]]:
        return {table: self.rows(table) for table in MARTS}

    def types(self, table: str) -> list[tuple[str, str]]:
        return [(field.name, type_family(field.dataType.simpleString()))
                for field in self.session.table(f"{self.schema}.{table}").schema.fields]

    def rejected(self) -> list[tuple]:
        return sorted(tuple(str(row[column]) for column in REJECTED_COLUMNS)
                      for row in self.rows("stg_shop__rejected_orders"))


# --- the demo data, with every dbt test -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def postgres_demo(postgres, tmp_path_factory):
    build = PostgresBuild(postgres, tmp_path_factory.mktemp("postgres_demo"), None, {}, [])
    yield build
    build.drop()


@pytest.fixture(scope="module")
def spark_demo(spark, tmp_path_factory):
    return SparkBuild(spark, tmp_path_factory.mktemp("spark_demo"), None, {}, SPARK_DEMO_SELECTION, load=True)


@pytest.fixture(params=["postgres", "spark"])
def demo_build(request):
    return request.getfixturevalue(f"{request.param}_demo")


def test_demo_marts_equal_duckdb(demo_db, demo_build):
    assert sum(len(rows) for rows in duckdb_marts(demo_db).values()) > 0
    assert_same_marts(duckdb_marts(demo_db), demo_build.marts(), type(demo_build).__name__)


@pytest.mark.parametrize("table", sorted(MARTS))
def test_demo_marts_have_the_same_columns_and_types(demo_db, demo_build, table):
    assert demo_build.types(table) == duckdb_types(demo_db, table)


def test_demo_rejects_the_same_rows(demo_db, demo_build):
    """The same lines are rejected for the same reasons, with the same line numbers and raw text."""
    expected = duckdb_rejected(demo_db)
    assert len(expected) > 0
    assert demo_build.rejected() == expected


def test_load_orders_loads_every_demo_line(spark_demo):
    assert spark_demo.session.sql(f"select count(*) from {spark_demo.schema}_raw.raw_orders").first()[0] == (
        DEMO_RAW_LINES)


# The views several models read, which are tables on Spark only (macro shared_view_materialization).
SHARED_VIEWS = ("int_period_stocks_accumulated", "stg_campaigns__touches", "stg_loyalty__members",
                "stg_loyalty__point_events", "int_loyalty_stocks_accumulated", "int_orders_attributed",
                "int_campaign_touches_evaluated")


def test_shared_views_are_tables_on_spark_only(demo_db, spark_demo):
    duckdb_kinds = {row["table_name"]: row["table_type"] for row in query(
        demo_db, "select table_name, table_type from information_schema.tables where table_schema = 'main'")}
    assert {name: duckdb_kinds[name] for name in SHARED_VIEWS} == dict.fromkeys(SHARED_VIEWS, "VIEW")
    spark_kinds = {table.name: table.tableType for table in spark_demo.session.catalog.listTables(spark_demo.schema)}
    assert {name: spark_kinds[name] for name in SHARED_VIEWS} == dict.fromkeys(SHARED_VIEWS, "MANAGED")
    assert spark_kinds["stg_shop__orders"] == "VIEW"  # the other views stay views


# --- every spelling, Spark reading the file itself -----------------------------------------------------------------


SPELLINGS = PROJECT_DIR / "tests" / "fixtures" / "reading" / "spellings.csv"
SPELLING_COLUMNS = ("source_line_number", "order_id", "status", "rule_failure", "is_superseded", "amount",
                    "refunded_amount", "net_amount", "ordered_at", "updated_at")
SPELLING_VARS = {"metrics_as_of": "2030-01-01", "orders_timezone": "Asia/Shanghai"}
STAGING = ["--select", "staging", "--exclude", "resource_type:test", "resource_type:unit_test"]


@pytest.mark.parametrize("orders_timezone", ["UTC", "Asia/Shanghai"])
def test_spark_parses_every_spelling_as_duckdb(spark, tmp_path, orders_timezone):
    """parse_timestamp and the money macros on Spark, through Spark's direct file read (var orders_path): every
    line of the spellings fixture parses to the same instant, amount and rejection reason as on DuckDB."""
    dbt_vars = {**SPELLING_VARS, "orders_timezone": orders_timezone}
    db_path = tmp_path / "spellings.duckdb"
    run_dbt(["build", *STAGING], db_path, {**dbt_vars, "orders_path": str(SPELLINGS)})
    expected = {row["source_line_number"]: row for row in query(db_path, "select * from base_shop__order_versions")}
    spark_build = SparkBuild(spark, tmp_path, SPELLINGS, dbt_vars, STAGING, load=False)
    actual = {row["source_line_number"]: row for row in spark_build.rows("base_shop__order_versions")}
    assert sorted(actual) == sorted(expected)
    for line, expected_row in expected.items():
        differing = {column: (expected_row[column], actual[line][column]) for column in SPELLING_COLUMNS
                     if not same(expected_row[column], actual[line][column])}
        assert not differing, (line, expected_row["raw_line"], differing)
    assert spark_build.rejected() == duckdb_rejected(db_path)


# --- randomized histories on all three engines ---------------------------------------------------------------------


def local(day: str, tz: str = REPORTING_TIMEZONE) -> str:
    """Midnight of `day` in the reporting time zone, as UTC text with an offset (a period boundary)."""
    from zoneinfo import ZoneInfo

    instant = datetime.fromisoformat(day).replace(tzinfo=ZoneInfo(tz))
    return instant.isoformat()


# Fixed edge cases, run before the random ones: gaps of exactly D days (one at a fraction of a second: the same
# spell only when instants keep their microseconds) and of D days and a microsecond, orders at local midnight of a
# month, quarter and year start in the reporting zone (and a second before), a superseded version (a later
# updated_at wins) and an order's two versions with no updated_at (the later line wins).
EDGE_HISTORY = [
    raw_order("1", "gap_d", "2024-01-10 00:00:00", updated_at="2024-01-10 00:00:00"),
    raw_order("2", "gap_d", (datetime(2024, 1, 10) + timedelta(days=90)).isoformat(), updated_at="2024-04-09 00:00:00"),
    raw_order("3", "gap_d_plus", "2024-01-10 00:00:00.250000", updated_at=""),
    raw_order("4", "gap_d_plus", "2024-04-09 00:00:00.250001", updated_at=""),
    raw_order("11", "gap_d_fraction", "2024-02-10 10:00:00.500000", updated_at=""),
    raw_order("12", "gap_d_fraction", "2024-05-10 10:00:00.500000", updated_at=""),
    raw_order("5", "boundary", local("2024-04-01"), updated_at=""),
    raw_order("6", "boundary", (datetime.fromisoformat(local("2024-07-01")) - timedelta(seconds=1)).isoformat(),
              updated_at=""),
    raw_order("7", "boundary", local("2025-01-01"), updated_at=""),
    raw_order("8", "versions", "2024-02-29 12:00:00", amount="10.00", updated_at="2024-03-01 00:00:00"),
    raw_order("8", "versions", "2024-02-29 12:00:00", amount="12.50", updated_at="2024-03-02 00:00:00"),
    raw_order("9", "versions", "2024-05-01 08:00:00+08:00", amount="7.00", updated_at=""),
    raw_order("9", "versions", "2024-05-01 08:00:00+08:00", amount="8.00", updated_at=""),
    raw_order("10", "rejected", "2024-02-02 10:00:00", status="cancelled", updated_at=""),
]
ENGINE_SETTINGS = settings(
    max_examples=max(EXAMPLES, 1),
    # LIFECYCLE_ENGINE_EXAMPLES=0: the fixed example only
    phases=list(Phase) if EXAMPLES > 0 else [Phase.explicit],
    derandomize=bool(os.environ.get("CI")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.function_scoped_fixture],
)


@ENGINE_SETTINGS
@given(history=raw_histories(boundary_timezone=REPORTING_TIMEZONE, max_customers=6, max_orders=6))
@example(history=(EDGE_HISTORY, datetime(2025, 1, 1, 5, 0, 0)))
def test_random_histories_give_identical_marts_on_every_engine(postgres, spark, tmp_path_factory, history):
    rows, metrics_as_of = history
    work_dir = tmp_path_factory.mktemp("engines")
    orders_path = write_orders_csv(rows, work_dir / "orders.csv")
    dbt_vars = {"reporting_timezone": REPORTING_TIMEZONE}
    if metrics_as_of is not None:
        dbt_vars["metrics_as_of"] = metrics_as_of.isoformat(sep=" ")
    db_path = work_dir / "lifecycle.duckdb"
    run_dbt(["build", *MART_SELECTION], db_path, {**dbt_vars, "orders_path": str(orders_path)})
    expected = duckdb_marts(db_path)
    postgres_build = PostgresBuild(postgres, work_dir, orders_path, dbt_vars, MART_SELECTION)
    try:
        assert_same_marts(expected, postgres_build.marts(), "postgres")
        assert postgres_build.rejected() == duckdb_rejected(db_path)
    finally:
        postgres_build.drop()
    spark_build = SparkBuild(spark, work_dir, orders_path, dbt_vars, MART_SELECTION, load=False)
    assert_same_marts(expected, spark_build.marts(), "spark")
    assert spark_build.rejected() == duckdb_rejected(db_path)


def test_edge_history_has_its_edges():
    """The fixed example holds what the test promises: a gap of exactly D = 90 days, orders at local midnight of a
    period start in the reporting zone, and superseded versions."""
    instants = {row["order_id"]: row["ordered_at"] for row in EDGE_HISTORY}
    assert datetime.fromisoformat(instants["2"]) - datetime.fromisoformat(instants["1"]) == timedelta(days=90)
    assert datetime.fromisoformat(instants["12"]) - datetime.fromisoformat(instants["11"]) == timedelta(days=90)
    assert datetime.fromisoformat(instants["4"]) - datetime.fromisoformat(instants["3"]) == timedelta(
        days=90, microseconds=1)
    assert datetime.fromisoformat(instants["5"]).utcoffset() == timedelta(hours=-4)  # New York summer time
    assert len([row for row in EDGE_HISTORY if row["order_id"] == "8"]) == 2
    assert date.fromisoformat(instants["7"][:10]) == date(2025, 1, 1)
