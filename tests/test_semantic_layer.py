"""The MetricFlow semantic layer (models/semantic/) agrees with fct_lifecycle_metrics at every grain.

MetricFlow itself computes every figure here: its engine plans and renders the SQL from the semantic manifest that
`dbt build` writes (target/semantic_manifest.json), and a read-only DuckDB connection only executes that SQL. One
test also runs the `mf` command line, exactly as the README shows it. Nothing of the metric logic is re-implemented.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import math
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest
from metricflow.data_table.mf_table import MetricFlowDataTable
from metricflow.engine.metricflow_engine import MetricFlowEngine, MetricFlowQueryRequest
from metricflow.protocols.sql_client import SqlEngine
from metricflow.sql.render.duckdb_renderer import DuckDbSqlPlanRenderer
from metricflow_semantics.model.dbt_manifest_parser import parse_manifest_from_dbt_generated_manifest
from metricflow_semantics.model.semantic_manifest_lookup import SemanticManifestLookup
from metricflow_semantics.sql.sql_bind_parameters import SqlBindParameterSet

from conftest import PROJECT_DIR, query, raw_order as order, run_dbt, write_orders_csv
from reference import COUNT_COLUMNS, GRAINS, RATE_COLUMNS

SEMANTIC_MODELS = (
    "fct_lifecycle_daily",
    "fct_lifecycle_events",
    "fct_lifecycle_spell_boundaries",
    "metricflow_time_spine",
)

# Every count and rate of METRICS.md §4, by its public name: each is a MetricFlow metric of the same name.
CONTRACT_COLUMNS = (*COUNT_COLUMNS, "net_revenue", *RATE_COLUMNS)
# Metrics with no column of their own, as an expression over fct_lifecycle_metrics.
HELPER_METRICS = {"base_lost_customers": "customers_at_start - retained_customers"}
# METRICS.md §10's campaign metrics (from fct_campaign_events), compared with fct_campaign_metrics below.
CAMPAIGN_METRICS = (
    "touched_customers", "responding_customers", "campaign_response_rate", "attributed_reactivations",
    "attributed_reactivation_share", "contacted_won_back_alerts", "contacted_lapsed_alerts",
    "uncontacted_won_back_alerts", "uncontacted_lapsed_alerts", "contacted_win_back_rate",
    "uncontacted_win_back_rate",
)
# The Chinese names METRICS.md gives.
CHINESE_NAMES = {
    "customers_at_start": "期初客户数",
    "customers_at_end": "期末客户数",
    "new_customers": "新客户数",
    "reactivated_customers": "唤醒的老客户数",
    "old_customers_at_start": "总老客户数",
    "retention_rate": "客户保留率",
    "reactivation_rate": "老客户唤醒率",
    "participation_rate": "参与率",
    "points_redemption_rate": "兑换率",
    "order_return_rate": "客户退货率",
}
# Metrics of other marts (the loyalty programme, METRICS.md §9, and returns, §4): compared with their marts by
# tests/test_loyalty.py, left out of the comparison with fct_lifecycle_metrics here.
OTHER_MART_METRICS = (
    "members_at_end", "positive_balance_customers_at_start", "points_earned", "points_redeemed",
    "participating_members", "redeeming_members", "participation_rate", "points_redemption_rate",
    "member_redemption_rate", "purchase_attempts", "returned_orders", "attempted_amount", "refunded_amount",
    "order_return_rate", "revenue_return_rate",
)
# The README's command.
MF_COMMAND = ["mf", "query", "--metrics", "retention_rate,reactivation_rate", "--group-by", "metric_time__quarter"]


class DuckDbSqlClient:
    """MetricFlow's SqlClient protocol over a read-only DuckDB connection: it only runs the SQL MetricFlow renders.

    (The `mf` command line reaches DuckDB through the dbt adapter instead; dbt-duckdb keeps files open in-process.)
    """

    sql_engine_type = SqlEngine.DUCKDB

    def __init__(self, connection: duckdb.DuckDBPyConnection) -> None:
        self._connection = connection
        self._renderer = DuckDbSqlPlanRenderer()

    @property
    def sql_plan_renderer(self) -> DuckDbSqlPlanRenderer:
        return self._renderer

    def query(
        self, stmt: str, sql_bind_parameter_set: SqlBindParameterSet = SqlBindParameterSet()
    ) -> MetricFlowDataTable:
        cursor = self._run(stmt, sql_bind_parameter_set)
        return MetricFlowDataTable.create_from_rows([column[0] for column in cursor.description], cursor.fetchall())

    def execute(self, stmt: str, sql_bind_parameter_set: SqlBindParameterSet = SqlBindParameterSet()) -> None:
        self._run(stmt, sql_bind_parameter_set)

    def dry_run(self, stmt: str, sql_bind_parameter_set: SqlBindParameterSet = SqlBindParameterSet()) -> None:
        self._run(f"explain {stmt}", sql_bind_parameter_set)

    def _run(self, stmt: str, sql_bind_parameter_set: SqlBindParameterSet) -> duckdb.DuckDBPyConnection:
        # As the dbt adapter the `mf` command line uses, no bind parameters (MetricFlow renders literals).
        assert not sql_bind_parameter_set.param_dict, "bind parameters are not supported"
        return self._connection.execute(stmt)

    def close(self) -> None:
        self._connection.close()

    def render_bind_parameter_key(self, bind_parameter_key: str) -> str:
        return f"${bind_parameter_key}"


@contextmanager
def metricflow(db_path: Path) -> Iterator[MetricFlowEngine]:
    """A MetricFlow engine on the semantic manifest of the build of `db_path`, reading that DuckDB file."""
    manifest_json = (target_path(db_path) / "semantic_manifest.json").read_text()
    manifest = parse_manifest_from_dbt_generated_manifest(manifest_json_string=manifest_json)
    client = DuckDbSqlClient(duckdb.connect(str(db_path), read_only=True))
    try:
        yield MetricFlowEngine(semantic_manifest_lookup=SemanticManifestLookup(manifest), sql_client=client)
    finally:
        client.close()


def target_path(db_path: Path) -> Path:
    """Where conftest.run_dbt wrote the dbt artifacts of the build of `db_path`."""
    return db_path.parent / "target"


def mf_query(engine: MetricFlowEngine, metrics: Sequence[str], group_by: Sequence[str] = ()) -> list[dict]:
    request = MetricFlowQueryRequest.create(metric_names=list(metrics), group_by_names=list(group_by) or None)
    table = engine.query(request).result_df
    assert table is not None
    return [dict(zip(table.column_names, row)) for row in table.rows]


def as_date(value: dt.date | dt.datetime) -> dt.date:
    return value.date() if isinstance(value, dt.datetime) else value


def same_figure(mf_value, fct_value) -> bool:
    """NULL only where NULL (a rate with a zero denominator); counts exactly; money and rates to rounding."""
    if mf_value is None or fct_value is None:
        return mf_value is None and fct_value is None
    if all(isinstance(value, (int, Decimal)) for value in (mf_value, fct_value)):
        return mf_value == fct_value
    return math.isclose(float(mf_value), float(fct_value), rel_tol=1e-9, abs_tol=1e-9)


def semantic_manifest(db_path: Path) -> dict:
    return json.loads((target_path(db_path) / "semantic_manifest.json").read_text())


@pytest.fixture(scope="session")
def semantic_db(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The project built on the demo data (the session's `demo_db`), or on a synthetic file without the demo data."""
    if (PROJECT_DIR / "data" / "demo" / "raw_orders.csv").exists():
        return request.getfixturevalue("demo_db")
    work_dir = tmp_path_factory.mktemp("semantic")
    orders_path = work_dir / "orders.csv"
    subprocess.run(
        [sys.executable, str(PROJECT_DIR / "scripts" / "generate_orders.py"),
         "--customers", "2000", "--messy", "--out", str(orders_path)],
        check=True, capture_output=True,
    )
    db_path = work_dir / "lifecycle.duckdb"
    run_dbt(["build"], db_path, {"orders_path": str(orders_path)})
    return db_path


@pytest.fixture(scope="session")
def metric_names(semantic_db: Path) -> list[str]:
    return sorted(metric["name"] for metric in semantic_manifest(semantic_db)["metrics"]
                  if metric["name"] not in CAMPAIGN_METRICS + OTHER_MART_METRICS)


@pytest.fixture(scope="session")
def by_grain(semantic_db: Path, metric_names: list[str]) -> dict[str, tuple[dict, dict]]:
    """For each grain: every metric by period from MetricFlow, and fct_lifecycle_metrics by period."""
    helpers = ", ".join(f"{expression} as {name}" for name, expression in HELPER_METRICS.items())
    results = {}
    with metricflow(semantic_db) as engine:
        for grain in GRAINS:
            time_column = f"metric_time__{grain}"
            mf_rows = mf_query(engine, metric_names, [time_column])
            results[grain] = ({as_date(row.pop(time_column)): row for row in mf_rows}, {})
    for grain in GRAINS:
        fct_rows = query(semantic_db, f"select *, {helpers} from fct_lifecycle_metrics where grain = ?", [grain])
        results[grain][1].update({row["period_start"]: row for row in fct_rows})
    return results


def test_every_contract_metric_is_a_documented_metricflow_metric(semantic_db: Path) -> None:
    metrics = {metric["name"]: metric for metric in semantic_manifest(semantic_db)["metrics"]}
    assert set(metrics) == (set(CONTRACT_COLUMNS) | set(HELPER_METRICS) | set(CAMPAIGN_METRICS)
                            | set(OTHER_MART_METRICS))
    for name, metric in metrics.items():
        assert metric["label"] and metric["label"] != name, f"{name} needs an English label"
        assert metric["description"], f"{name} needs a description"
        assert (metric.get("config") or {}).get("meta", {}).get("name_zh") == CHINESE_NAMES.get(name), name


@pytest.mark.parametrize("grain", GRAINS)
def test_metricflow_publishes_the_periods_of_fct_lifecycle_metrics(by_grain, grain: str) -> None:
    """Same periods: none missing where nothing happened (counts are joined to the time spine), none extra."""
    mf_by_period, fct_by_period = by_grain[grain]
    assert fct_by_period, f"no {grain} rows in fct_lifecycle_metrics"
    assert sorted(mf_by_period) == sorted(fct_by_period)


@pytest.mark.parametrize("grain", GRAINS)
def test_every_metric_equals_fct_lifecycle_metrics_in_complete_periods(by_grain, metric_names, grain: str) -> None:
    """Every metric, every complete period. No period is left out for being ill-defined: a rate whose denominator
    is 0 is NULL in both (e.g. every rate over customers_at_start in the first period)."""
    mf_by_period, fct_by_period = by_grain[grain]
    complete = [period for period, row in fct_by_period.items() if row["is_complete"]]
    assert complete, f"no complete {grain} period to compare"
    mismatches = [
        (period, name, mf_by_period[period][name], fct_by_period[period][name])
        for period in sorted(complete)
        for name in metric_names
        if not same_figure(mf_by_period[period][name], fct_by_period[period][name])
    ]
    assert not mismatches, f"{len(mismatches)} {grain} figures differ (period, metric, mf, fct): {mismatches[:10]}"


@pytest.mark.parametrize("grain", GRAINS)
def test_the_running_period_is_measured_up_to_metrics_as_of_too(by_grain, metric_names, grain: str) -> None:
    """The period holding metrics_as_of (is_complete = false) agrees as well: the daily fact ends on the day holding
    metrics_as_of, whose customers_at_end is the base at metrics_as_of. Kept apart from complete periods so that
    a failure says which kind of period differs."""
    mf_by_period, fct_by_period = by_grain[grain]
    for period, row in fct_by_period.items():
        if row["is_complete"]:
            continue
        for name in metric_names:
            assert same_figure(mf_by_period[period][name], row[name]), (grain, period, name)


def test_without_a_time_grouping_the_whole_history_is_one_period(semantic_db: Path) -> None:
    """Stocks at the first and the last day, flows over all days: every customer is new once."""
    with metricflow(semantic_db) as engine:
        [row] = mf_query(engine, ["customers_at_start", "customers_at_end", "new_customers", "retention_rate"])
    [expected] = query(
        semantic_db,
        """
        select
            (select count(*) from dim_customers) as customers,
            (select customers_at_end from fct_lifecycle_metrics
             where grain = 'day' order by period_start desc limit 1) as customers_at_end
        """,
    )
    assert row == {
        "customers_at_start": 0,
        "customers_at_end": expected["customers_at_end"],
        "new_customers": expected["customers"],
        "retention_rate": None,
    }


def test_the_readme_mf_command_runs_on_a_built_database(semantic_db: Path, tmp_path: Path) -> None:
    """`mf query --metrics retention_rate,reactivation_rate --group-by metric_time__quarter` from a project root.

    `mf` reads <project root>/target/semantic_manifest.json and the profile's DuckDB file (DBT_DUCKDB_PATH); here
    the project root is a directory with the project's dbt_project.yml and profiles.yml and this build's target/.
    """
    for name in ("dbt_project.yml", "profiles.yml"):
        (tmp_path / name).symlink_to(PROJECT_DIR / name)
    (tmp_path / "target").symlink_to(target_path(semantic_db), target_is_directory=True)
    out = tmp_path / "quarters.csv"
    # mf opens the profile's DuckDB file for writing, which other test workers reading the shared demo build would
    # block: it reads a copy
    database = tmp_path / "lifecycle.duckdb"
    shutil.copyfile(semantic_db, database)
    environment = {**os.environ, "DBT_DUCKDB_PATH": str(database)}
    for variable in ("DBT_PROJECT_DIR", "DBT_PROFILES_DIR", "DBT_TARGET_PATH"):
        environment.pop(variable, None)
    completed = subprocess.run(
        [*MF_COMMAND, "--order", "metric_time__quarter", "--csv", str(out)],
        cwd=tmp_path, env=environment, capture_output=True, text=True, timeout=120,
    )
    assert completed.returncode == 0 and out.exists(), completed.stdout + completed.stderr
    with out.open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    fct_rows = query(
        semantic_db,
        "select period_start, retention_rate, reactivation_rate from fct_lifecycle_metrics"
        " where grain = 'quarter' order by period_start",
    )
    assert [as_date(dt.datetime.fromisoformat(row["metric_time__quarter"])) for row in rows] == [
        row["period_start"] for row in fct_rows
    ]
    for row, fct_row in zip(rows, fct_rows):
        for name in ("retention_rate", "reactivation_rate"):
            value = float(row[name]) if row[name] not in ("", "None") else None
            assert same_figure(value, fct_row[name]), (fct_row["period_start"], name, row[name], fct_row[name])


def test_worked_examples_1_and_2_through_metricflow(tmp_path: Path) -> None:
    """METRICS.md §5, examples 1 and 2, answered by MetricFlow at month grain (and example 2 at quarter grain).

    Example 2, June 2024: 1,000 customers first ordered on 2023-01-10 (dormant from 2023-04-10); 200 of them order
    again on 2024-06-10 -> reactivation_rate = 200 / 1,000 = 20%; all 1,000 were dormant at June 1, so
    dormant_reactivation_rate = 20% too.
    Example 1, March 2025: 70 customers ordered on 2025-02-15, 30 on 2024-12-05 (churn on 2025-03-05), 20 are new
    on 2025-03-10 -> 100 at start, 90 at end, retention_rate = (90 - 20) / 100 = 70%; nobody was reactivated, so
    base_retention_rate = 70 / 100 as well. (The 200 reactivated in June 2024 churned on 2024-09-08.)
    """
    rows = [order(f"x{i}", f"old{i}", "2023-01-10 12:00:00") for i in range(1000)]
    rows += [order(f"y{i}", f"old{i}", "2024-06-10 12:00:00") for i in range(200)]
    rows += [order(f"a{i}", f"stay{i}", "2025-02-15 12:00:00") for i in range(70)]
    rows += [order(f"b{i}", f"leave{i}", "2024-12-05 12:00:00") for i in range(30)]
    rows += [order(f"c{i}", f"new{i}", "2025-03-10 12:00:00") for i in range(20)]
    db_path = tmp_path / "lifecycle.duckdb"
    orders_path = write_orders_csv(rows, tmp_path / "orders.csv")
    # Only the semantic layer's models and what they read: quicker, and what MetricFlow queries.
    run_dbt(
        ["run", "--select", *(f"+{model}" for model in SEMANTIC_MODELS)],
        db_path,
        {"orders_path": str(orders_path), "metrics_as_of": "2025-04-01"},
    )

    with metricflow(db_path) as engine:
        months = {
            as_date(row.pop("metric_time__month")): row
            for row in mf_query(
                engine,
                ["customers_at_start", "customers_at_end", "new_customers", "retention_rate", "base_retention_rate",
                 "reactivated_customers", "old_customers_at_start", "reactivation_rate", "dormant_reactivation_rate"],
                ["metric_time__month"],
            )
        }
        quarters = {
            as_date(row.pop("metric_time__quarter")): row
            for row in mf_query(engine, ["reactivation_rate"], ["metric_time__quarter"])
        }

    june_2024 = months[dt.date(2024, 6, 1)]
    assert june_2024["old_customers_at_start"] == 1000
    assert june_2024["reactivated_customers"] == 200
    assert june_2024["reactivation_rate"] == pytest.approx(0.20)
    assert june_2024["dormant_reactivation_rate"] == pytest.approx(0.20)
    assert quarters[dt.date(2024, 4, 1)]["reactivation_rate"] == pytest.approx(0.20)

    march_2025 = months[dt.date(2025, 3, 1)]
    assert march_2025["customers_at_start"] == 100
    assert march_2025["new_customers"] == 20
    assert march_2025["customers_at_end"] == 90
    assert march_2025["retention_rate"] == pytest.approx(0.70)
    assert march_2025["base_retention_rate"] == pytest.approx(0.70)


@pytest.mark.parametrize("grain", ["month", "quarter"])
def test_campaign_metrics_equal_fct_campaign_metrics(semantic_db: Path, grain: str) -> None:
    """METRICS.md §10's rates through MetricFlow against fct_campaign_metrics, every complete period of the demo."""
    time_column = f"metric_time__{grain}"
    with metricflow(semantic_db) as engine:
        mf_rows = {as_date(row.pop(time_column)): row for row in mf_query(engine, CAMPAIGN_METRICS, [time_column])}
    fct_rows = query(semantic_db, "select * from fct_campaign_metrics where grain = ? and is_complete", [grain])
    assert fct_rows and any(row["touched_customers"] for row in fct_rows)
    mismatches = [
        (row["period_start"], name, mf_rows.get(row["period_start"], {}).get(name), row[name])
        for row in fct_rows
        for name in CAMPAIGN_METRICS
        if not same_figure(mf_rows.get(row["period_start"], {}).get(name), row[name])
    ]
    assert not mismatches, mismatches[:10]
