"""Incremental nightly runs (README "Nightly runs") give the marts a full refresh gives.

Each hypothesis example appends order files to a folder read through a glob and runs `dbt run` after each change on
one database, incrementally: a first build, a file with new orders (customers coming back after more than D days
among them) and corrected versions of old orders (a later updated_at: another amount, another time, another
customer, a status that does not count), a run with no new file but a later metrics_as_of (churns, alerts and
lapsed outcomes come due), a third file, and a rerun with nothing new. The rerun must change nothing; after the
metrics_as_of move and at the end, every mart (and every incremental table) must equal a `dbt run --full-refresh`
of the same files on a copy of the database. A fixed example covers a file that changes in place and one that vanishes (the reading layer then reads
every file again).
"""

from __future__ import annotations

import math
import shutil
from collections.abc import Sequence
from datetime import datetime, timedelta
from pathlib import Path

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from conftest import query, raw_order, run_dbt, write_orders_csv

MARTS = {
    "fct_lifecycle_metrics": ("grain", "period_start"),
    "fct_cohort_retention": ("grain", "cohort_period_start", "periods_since_first"),
    "dim_customers": ("customer_id",),
    "fct_churn_alerts": ("alert_id",),
    "fct_open_churn_alerts": ("alert_id",),
    "fct_lifecycle_daily": ("metric_date",),
}
# The incremental tables themselves, without the columns that say which load or run wrote a row.
INCREMENTAL_TABLES = {
    "base_shop__order_versions": ("source_file", "source_line_number"),
    "int_orders_sequenced": ("order_id",),
    "int_spells_identified": ("spell_id",),
    "int_churn_alerts_raised": ("alert_id",),
    "int_customer_states_historized": ("customer_id", "state_number"),
    "int_lifecycle_events_unioned": ("customer_id", "event_type", "event_number"),
    "int_period_flows_aggregated": ("grain", "period_start"),
}
RUN_COLUMNS = {"source_load_number", "lifecycle_run_number"}
# What each run builds: the tables compared, everything upstream of them, and the run log (a leaf no model reads).
# The campaign, loyalty and CLV-validation models read the incremental tables without being incremental themselves.
RUN_SELECTION = (*(f"+{table}" for table in {**MARTS, **INCREMENTAL_TABLES}), "int_lifecycle_runs_recorded")
START = datetime(2024, 1, 1)
CUSTOMERS = [f"c{number}" for number in range(6)]


def snapshot(db_path: Path) -> dict[str, list[dict]]:
    tables = {}
    for table, key in {**MARTS, **INCREMENTAL_TABLES}.items():
        rows = query(db_path, f"select * from main.{table}")
        rows = [{name: value for name, value in row.items() if name not in RUN_COLUMNS} for row in rows]
        tables[table] = sorted(rows, key=lambda row: tuple(str(row[column]) for column in key))
    return tables


def same_value(left, right) -> bool:
    if isinstance(left, float) and isinstance(right, float):
        return math.isclose(left, right, rel_tol=1e-9, abs_tol=1e-12) or (math.isnan(left) and math.isnan(right))
    return left == right


def assert_same_tables(expected: dict, actual: dict, what: str) -> None:
    for table, rows in expected.items():
        other = actual[table]
        assert len(other) == len(rows), f"{what}: {table} has {len(other)} rows, the full refresh {len(rows)}"
        for row, other_row in zip(rows, other):
            differing = {
                column: (value, other_row[column])
                for column, value in row.items()
                if not same_value(value, other_row[column])
            }
            assert not differing, f"{what}: {table} differs in {differing} (full refresh, incremental)"


def text(instant: datetime) -> str:
    return instant.strftime("%Y-%m-%d %H:%M:%S")


@st.composite
def order_batches(draw):
    """Three batches of raw order rows: a history, then two later files with new orders (gaps long enough to
    reactivate dormant customers) and corrected versions of orders of earlier files."""
    batches: list[list[dict]] = []
    known: list[dict] = []
    clock = START
    next_id = 0
    for batch_number in range(3):
        rows = []
        if known:
            # a customer of an earlier file comes back more than D days after anything before: a reactivation
            returning = draw(st.sampled_from(known))["customer_id"]
            ordered_at = clock + timedelta(days=draw(st.integers(95, 200)))
            rows.append(raw_order(f"o{next_id}", returning, text(ordered_at), "30.00"))
            next_id += 1
        for _ in range(draw(st.integers(2 if batch_number == 0 else 1, 7))):
            customer = draw(st.sampled_from(CUSTOMERS))
            # within D days, between A and D, or beyond D (a reactivation) after the batch's start
            offset = draw(st.sampled_from([0, 1, 20, 45, 75, 95, 130, 200]))
            ordered_at = clock + timedelta(days=offset, hours=draw(st.integers(0, 23)))
            row = raw_order(f"o{next_id}", customer, text(ordered_at), f"{draw(st.integers(1, 90))}.50")
            next_id += 1
            rows.append(row)
        if known:
            corrected_rows = st.lists(
                st.sampled_from(known), min_size=1, max_size=3, unique_by=lambda row: row["order_id"]
            )
            for old in draw(corrected_rows):
                change = draw(st.sampled_from(["amount", "time", "customer", "status"]))
                corrected = dict(old)
                if change == "amount":
                    corrected["amount"] = f"{draw(st.integers(1, 90))}.25"
                elif change == "time":
                    moved = datetime.fromisoformat(old["ordered_at"]) + timedelta(days=draw(st.integers(-40, 100)))
                    corrected["ordered_at"] = text(moved)
                elif change == "customer":
                    corrected["customer_id"] = draw(st.sampled_from(CUSTOMERS))
                else:
                    corrected["status"] = "cancelled"
                corrected["updated_at"] = text(clock + timedelta(days=300))
                rows.append(corrected)
        batches.append(rows)
        known.extend(row for row in rows if row.get("updated_at", "") == "")
        clock = max(datetime.fromisoformat(row["ordered_at"]) for row in rows) + timedelta(days=1)
    return batches


def with_updated_at(rows: list[dict]) -> list[dict]:
    """Every row with an updated_at column (empty where the order has a single version)."""
    return [{**row, "updated_at": row.get("updated_at", "")} for row in rows]


def run(db_path: Path, orders_dir: Path, metrics_as_of: str | None, *extra: str,
        select: Sequence[str] = RUN_SELECTION) -> None:
    # full builds (the first, --full-refresh, a recovery) in customer batches of 3 raw rows, incremental runs in one
    dbt_vars = {"orders_path": str(orders_dir / "*.csv"), "customer_batch_orders": 3}
    if metrics_as_of is not None:
        dbt_vars["metrics_as_of"] = metrics_as_of
    # build, not run: the seeds too (rfm_segments); the tests of the models are not this module's subject
    run_dbt(["build", "--select", *select, "--exclude", "resource_type:test", "resource_type:unit_test", *extra],
            db_path, dbt_vars)


def full_refresh_of(db_path: Path, orders_dir: Path, metrics_as_of: str | None) -> dict:
    copy = db_path.with_name("full_refresh.duckdb")
    shutil.copy(db_path, copy)
    run(copy, orders_dir, metrics_as_of, "--full-refresh")
    tables = snapshot(copy)
    copy.unlink()
    return tables


def runs_recorded(db_path: Path) -> list[dict]:
    return query(db_path, "select * from main.int_lifecycle_runs_recorded order by run_number")


# each example costs seven dbt invocations: few examples, no shrinking (a failure prints its example)
@settings(
    max_examples=1, deadline=None, suppress_health_check=list(HealthCheck), phases=[Phase.explicit, Phase.generate]
)
@given(batches=order_batches(), as_of_days=st.integers(60, 200))
def test_incremental_runs_equal_a_full_refresh(tmp_path_factory, batches, as_of_days):
    work_dir = tmp_path_factory.mktemp("incremental")
    orders_dir = work_dir / "orders"
    orders_dir.mkdir()
    db_path = work_dir / "lifecycle.duckdb"

    write_orders_csv(with_updated_at(batches[0]), orders_dir / "orders_1.csv")
    run(db_path, orders_dir, None)
    write_orders_csv(with_updated_at(batches[1]), orders_dir / "orders_2.csv")
    run(db_path, orders_dir, None)
    # no new file; metrics_as_of later than the latest order: churns, alerts and outcomes come due
    latest = max(datetime.fromisoformat(row["ordered_at"]) for row in batches[0] + batches[1])
    moved_as_of = (latest + timedelta(days=as_of_days)).strftime("%Y-%m-%d")
    run(db_path, orders_dir, moved_as_of)
    assert runs_recorded(db_path)[-1]["changed_customers"] > 0
    assert_same_tables(full_refresh_of(db_path, orders_dir, moved_as_of), snapshot(db_path), "metrics_as_of moved")
    write_orders_csv(with_updated_at(batches[2]), orders_dir / "orders_3.csv")
    run(db_path, orders_dir, None)
    after_third = snapshot(db_path)
    # a rerun with nothing new recomputes no customer and changes nothing
    run(db_path, orders_dir, None)
    runs = runs_recorded(db_path)
    assert [row["is_full_build"] for row in runs] == [True, False, False, False, False]
    assert runs[-1]["changed_customers"] == 0
    assert_same_tables(after_third, snapshot(db_path), "rerun with nothing new")
    assert_same_tables(full_refresh_of(db_path, orders_dir, None), after_third, "after three files")


def test_changed_and_vanished_files_are_read_again(tmp_path):
    """A file edited in place or removed makes the reading layer read every file again; the marts still equal a full
    refresh. Also: only the new file is read when one arrives."""
    orders_dir = tmp_path / "orders"
    orders_dir.mkdir()
    db_path = tmp_path / "lifecycle.duckdb"
    first = [raw_order("a1", "alice", "2024-01-05 10:00:00"), raw_order("b1", "bob", "2024-02-01 09:00:00")]
    second = [raw_order("a2", "alice", "2024-06-20 10:00:00"), raw_order("c1", "carol", "2024-06-21 08:00:00")]
    write_orders_csv(first, orders_dir / "day_1.csv")
    write_orders_csv(second, orders_dir / "day_2.csv")
    run(db_path, orders_dir, "2024-09-01")
    third = [raw_order("b2", "bob", "2024-08-01 12:00:00", amount="12.00")]
    write_orders_csv(third, orders_dir / "day_3.csv")
    run(db_path, orders_dir, "2024-09-01")
    loads = query(db_path, "select source_file, source_load_number from shop_raw.raw_orders__files order by 1")
    assert [(Path(row["source_file"]).name, row["source_load_number"]) for row in loads] == [
        ("day_1.csv", 1), ("day_2.csv", 1), ("day_3.csv", 2)
    ]
    assert [row["changed_customers"] for row in runs_recorded(db_path)] == [0, 1]
    # day_2 corrected in place (carol's order moves to bob), day_1 removed
    write_orders_csv([second[0], raw_order("c1", "bob", "2024-06-21 08:00:00")], orders_dir / "day_2.csv")
    (orders_dir / "day_1.csv").unlink()
    run(db_path, orders_dir, "2024-09-01")
    loads = query(db_path, "select distinct source_load_number from shop_raw.raw_orders")
    assert loads == [{"source_load_number": 3}]
    customers = query(db_path, "select customer_id, order_count from main.dim_customers order by 1")
    assert customers == [{"customer_id": "alice", "order_count": 1}, {"customer_id": "bob", "order_count": 2}]
    assert_same_tables(full_refresh_of(db_path, orders_dir, "2024-09-01"), snapshot(db_path), "after a reload")
    # a run that stops part-way (here: only as far as int_orders_sequenced) leaves an incremental table ahead of the
    # run log; the next run recomputes every customer and still equals a full refresh
    write_orders_csv([raw_order("d1", "dave", "2024-08-20 09:00:00"), raw_order("a3", "alice", "2024-08-21 10:00:00")],
                     orders_dir / "day_4.csv")
    run(db_path, orders_dir, "2024-09-01", select=["+int_orders_sequenced"])
    run(db_path, orders_dir, "2024-09-01")
    assert runs_recorded(db_path)[-1]["changed_customers"] == 3  # alice, bob, dave: everyone with an order
    assert query(db_path, "select distinct change_reason from main.int_customers_changed") == [
        {"change_reason": "recovery"}
    ]
    assert_same_tables(full_refresh_of(db_path, orders_dir, "2024-09-01"), snapshot(db_path), "after a recovery")


def test_orders_path_parquet_glob(tmp_path):
    """orders_path reads every Parquet file a glob matches (the other tests read CSV globs)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    rows = [
        [raw_order("x1", "xavier", "2024-03-01 10:00:00"), raw_order("y1", "yara", "2024-03-02 11:00:00")],
        [raw_order("x2", "xavier", "2024-03-09 10:00:00")],
    ]
    for number, batch in enumerate(rows, start=1):
        pq.write_table(pa.Table.from_pylist(batch), tmp_path / f"export_{number}.parquet")
    db_path = tmp_path / "lifecycle.duckdb"
    run_dbt(
        ["build", "--select", "+stg_shop__orders", "--exclude", "resource_type:test", "resource_type:unit_test"],
        db_path,
        {"orders_path": str(tmp_path / "export_*.parquet")},
    )
    orders = query(db_path, "select order_id, customer_id from main.stg_shop__orders order by order_id")
    assert orders == [
        {"order_id": "x1", "customer_id": "xavier"},
        {"order_id": "x2", "customer_id": "xavier"},
        {"order_id": "y1", "customer_id": "yara"},
    ]
