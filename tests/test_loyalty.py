"""The loyalty programme (METRICS.md §9, fct_loyalty_metrics) and its bad input, on DuckDB.

* The worked examples of §9, by hand, end to end: 400 participating of 1,000 members -> 40%; 12,000 points
  redeemed of 30,000 earned -> 40%; zero denominators give NULL; the member split on a hand-made history.
* Bad input: each rejection reason, the kept-and-flagged rows, and the balance identity.
* The independent reference (tests/reference_loyalty.py) against the mart on randomized histories (hypothesis):
  boundaries, same-instant events, events outside membership, redemptions above the balance, rejected rows.
* The demo: bundled loyalty files consistent with the demo orders.

Builds select only what the loyalty mart needs (no tests), one per example: the module stays within its budget.
"""

from __future__ import annotations

import csv
import itertools
import math
import os
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from conftest import query, raw_order, run_dbt, write_orders_csv
from reference import Params, parse_timestamp
from reference_loyalty import (
    LOYALTY_COUNT_COLUMNS,
    LOYALTY_POINT_COLUMNS,
    LOYALTY_RATE_COLUMNS,
    flags,
    loyalty_metrics,
)
from strategies import boundary_instants, raw_histories

MEMBER_COLUMNS = ("customer_id", "enrolled_at", "left_at")
EVENT_COLUMNS = ("event_id", "customer_id", "occurred_at", "event_type", "points")
SELECTION = ["--select", "+fct_loyalty_metrics", "+stg_loyalty__rejected_members",
             "+stg_loyalty__rejected_point_events", "+int_point_balances_summarized",
             "--exclude", "resource_type:test", "resource_type:unit_test"]
EXAMPLES = int(os.environ.get("LIFECYCLE_LOYALTY_EXAMPLES", "3"))
_builds = itertools.count()


def write_csv(rows: list[dict], columns: tuple[str, ...], path: Path) -> Path:
    with path.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns)
        writer.writeheader()
        for row in rows:
            writer.writerow({column: row.get(column, "") for column in columns})
    return path


def build_loyalty(work_dir: Path, orders, members, events, select=SELECTION, **dbt_vars) -> Path:
    """Build the loyalty mart (and what it reads) on CSV files; returns the DuckDB file. No rows of a loyalty
    source: its path var stays unset, which with orders_path set means no such data (a header-only file is an
    input error, as for orders)."""
    dbt_vars = {"orders_path": str(write_orders_csv(orders, work_dir / "orders.csv")), **dbt_vars}
    if members:
        dbt_vars["loyalty_members_path"] = str(write_csv(members, MEMBER_COLUMNS, work_dir / "members.csv"))
    if events:
        dbt_vars["loyalty_events_path"] = str(write_csv(events, EVENT_COLUMNS, work_dir / "events.csv"))
    db_path = work_dir / "lifecycle.duckdb"
    run_dbt(["build", *select], db_path, dbt_vars)
    return db_path


def close(actual, expected) -> bool:
    if actual is None or expected is None:
        return actual is None and expected is None
    return math.isclose(float(actual), float(expected), rel_tol=1e-9, abs_tol=1e-12)


def mart(db_path: Path, grain: str) -> dict:
    return {row["period_start"]: row for row in query(
        db_path, "select * from fct_loyalty_metrics where grain = ? order by period_start", [grain])}


# --- the worked examples, by hand ------------------------------------------------------------------------------

def worked_example() -> tuple[list, list, list]:
    """1,000 members enrolled in February 2024 (m0000..m0999). In March 400 of them earn 75 points each (30,000);
    the first 120 of those also redeem 100 points each (12,000), on a balance of 50 earned in February + 75. In
    April m0999 redeems 5 points on a balance of 0: above the balance (kept, counted). An order of m0000..m0009
    and of x_non_member in January makes them customers of the lifecycle mart. Bad rows besides: see
    test_bad_rows_are_rejected_with_their_reason."""
    orders = [raw_order(f"o{n}", f"m{n:04d}", "2024-01-05 10:00:00") for n in range(10)]
    orders.append(raw_order("o99", "x_non_member", "2024-01-05 10:00:00"))
    members = [{"customer_id": f"m{n:04d}", "enrolled_at": "2024-02-01 09:00:00"} for n in range(1000)]
    events = []
    for n in range(120):
        events.append({"event_id": f"feb{n}", "customer_id": f"m{n:04d}", "occurred_at": "2024-02-10 10:00:00",
                       "event_type": "earn", "points": "50"})
    for n in range(400):
        events.append({"event_id": f"mar{n}", "customer_id": f"m{n:04d}", "occurred_at": "2024-03-10 10:00:00",
                       "event_type": "earn", "points": "75"})
    for n in range(120):
        events.append({"event_id": f"red{n}", "customer_id": f"m{n:04d}", "occurred_at": "2024-03-20 10:00:00",
                       "event_type": "REDEEM ", "points": "100"})
    # bad rows: one of each rejection reason, and an event of a non-member (kept, flagged)
    members += [
        {"customer_id": "m0001", "enrolled_at": "2024-02-15 00:00:00"},   # second row of m0001
        {"customer_id": "", "enrolled_at": "2024-02-15 00:00:00"},
        {"customer_id": "z1", "enrolled_at": "soon"},
        {"customer_id": "z2", "enrolled_at": "2024-02-15", "left_at": "2024-02-14"},
    ]
    events += [
        {"event_id": "bad1", "customer_id": "m0002", "occurred_at": "2024-03-11", "event_type": "bonus", "points": "5"},
        {"event_id": "bad2", "customer_id": "m0002", "occurred_at": "2024-03-11", "event_type": "earn",
         "points": "ten"},
        {"event_id": "bad3", "customer_id": "m0002", "occurred_at": "2024-03-11", "event_type": "earn", "points": "-5"},
        {"event_id": "bad4", "customer_id": "m0002", "occurred_at": "2024-03-11", "event_type": "expire",
         "points": "-1"},
        {"event_id": "mar0", "customer_id": "m0002", "occurred_at": "2024-03-11", "event_type": "earn", "points": "1"},
        {"event_id": "late", "customer_id": "m0002", "occurred_at": "2024-05-01", "event_type": "earn", "points": "1"},
        {"event_id": "adj", "customer_id": "m0003", "occurred_at": "2024-04-02", "event_type": "adjust",
         "points": "-80"},
        {"event_id": "over", "customer_id": "m0999", "occurred_at": "2024-04-02", "event_type": "redeem",
         "points": "5"},
        {"event_id": "out", "customer_id": "x_non_member", "occurred_at": "2024-04-03", "event_type": "earn",
         "points": "0"},
    ]
    return orders, members, events


@pytest.fixture(scope="module")
def worked_db(tmp_path_factory) -> Path:
    orders, members, events = worked_example()
    # with the data tests whose models are all built (balance identity, reconciliation, flags)
    select = [*SELECTION[:-3], "--exclude", "resource_type:unit_test", "--indirect-selection", "cautious"]
    return build_loyalty(tmp_path_factory.mktemp("loyalty_worked"), orders, members, events, select=select,
                         metrics_as_of="2024-05-01", lifecycle_grains=["month", "quarter"])


def test_worked_examples_of_section_9(worked_db):
    march = mart(worked_db, "month")[date(2024, 3, 1)]
    assert march["members_at_end"] == 1000
    assert march["participating_members"] == 400
    assert march["participation_rate"] == pytest.approx(0.4)
    assert Decimal(march["points_earned"]) == 30000 and Decimal(march["points_redeemed"]) == 12000
    assert march["points_redemption_rate"] == pytest.approx(0.4)
    # 120 redeemers, each with 50 points at March 1: 120 / 120
    assert (march["redeeming_members"], march["positive_balance_customers_at_start"]) == (120, 120)
    assert march["member_redemption_rate"] == pytest.approx(1.0)


def test_zero_denominators_give_null(worked_db):
    months = mart(worked_db, "month")
    assert sorted(months) == [date(2024, 2, 1), date(2024, 3, 1), date(2024, 4, 1)]  # from the first enrollment
    february, april = months[date(2024, 2, 1)], months[date(2024, 4, 1)]
    assert february["positive_balance_customers_at_start"] == 0 and february["member_redemption_rate"] is None
    assert Decimal(april["points_earned"]) == 0 and april["points_redemption_rate"] is None
    # nobody is a member at 2024-02-01 00:00 (enrolled at 09:00): the member rates have no denominator
    assert february["member_customers_at_start"] == 0 and february["member_base_retention_rate"] is None
    assert february["member_old_customers_at_start"] == 0 and february["member_reactivation_rate"] is None
    # in April the 10 members with an order (January) are old members, 1 non-member is old
    assert (april["member_old_customers_at_start"], april["non_member_old_customers_at_start"]) == (10, 1)
    assert april["member_reactivation_rate"] == 0.0 and april["participation_rate"] == pytest.approx(2 / 1000)


def test_bad_rows_are_rejected_with_their_reason(worked_db):
    members = {row["reason"]: row for row in query(worked_db, "select * from stg_loyalty__rejected_members")}
    assert sorted(members) == ["duplicate customer_id", "left_at not after enrolled_at", "missing customer_id",
                               "unparseable enrolled_at"]
    assert members["duplicate customer_id"]["enrolled_at_text"] == "2024-02-15 00:00:00"  # the second row
    events = {row["event_id"]: row["reason"] for row in query(
        worked_db, "select * from stg_loyalty__rejected_point_events")}
    assert events == {"bad1": "unknown event_type", "bad2": "unparseable points", "bad3": "negative points",
                      "bad4": "negative points", "late": "not before metrics_as_of", "mar0": "duplicate event_id"}
    # the duplicate event_id: the second row (line of m0002) is rejected, the first kept
    assert query(worked_db, "select customer_id from stg_loyalty__point_events where event_id = 'mar0'") == [
        {"customer_id": "m0000"}]
    counts = query(worked_db, """
        select
            (select count(*) from base_loyalty__event_rows) as raw_rows,
            (select count(*) from stg_loyalty__point_events) as kept,
            (select count(*) from stg_loyalty__rejected_point_events) as rejected""")[0]
    assert counts["raw_rows"] == counts["kept"] + counts["rejected"] == 641 + 8


def test_flagged_rows_are_kept_and_counted(worked_db):
    flagged = query(worked_db, """
        select
            sum(case when is_above_balance then 1 else 0 end) as above_balance,
            sum(case when is_outside_membership then 1 else 0 end) as outside_membership
        from stg_loyalty__point_events""")[0]
    assert flagged == {"above_balance": 1, "outside_membership": 1}
    april = mart(worked_db, "month")[date(2024, 4, 1)]
    # m0999's redemption above its balance and x_non_member's earn of 0 points outside membership both count
    assert (april["participating_members"], april["redeeming_members"]) == (2, 1)
    assert Decimal(april["points_redeemed"]) == 5


def test_balance_identity(worked_db):
    balances = {row["customer_id"]: row for row in query(worked_db, "select * from int_point_balances_summarized")}
    # m0000: 50 + 75 + 1 (a duplicate event_id is rejected, so "mar0" of m0002 is not its) - 100
    assert Decimal(balances["m0000"]["balance"]) == 25
    assert Decimal(balances["m0003"]["balance"]) == 50 + 75 - 100 - 80
    for row in balances.values():
        assert Decimal(row["balance"]) == (Decimal(row["points_earned"]) - Decimal(row["points_redeemed"])
                                           - Decimal(row["points_expired"]) + Decimal(row["points_adjusted"]))


def test_member_split_by_hand(tmp_path):
    """Six customers, monthly, D = 90 days: a, b members since January; c a member who left on 2024-03-01
    (still a member at 2024-03-01 00:00, t <= left_at); d enrolled on 2024-03-01 00:00 exactly (not a member at
    it, enrolled_at < t fails); e, f never members. In March: active at start a, b, c, d, e (orders in
    February); a and b stay active, c, d, e churn in March (orders 90 days before); f reactivates in March.
    Members at 2024-03-01: a, b, c -> member CS 3, retained 2; non-members d, e -> CS 2, retained 0."""
    orders = [
        raw_order("1", "a", "2024-02-20 00:00:00"), raw_order("2", "b", "2024-02-20 00:00:00"),
        raw_order("3", "c", "2023-12-05 00:00:00"), raw_order("4", "d", "2023-12-06 00:00:00"),
        raw_order("5", "e", "2023-12-07 00:00:00"), raw_order("6", "f", "2023-06-01 00:00:00"),
        raw_order("7", "f", "2024-03-15 00:00:00"), raw_order("8", "a", "2024-03-25 00:00:00"),
    ]
    members = [
        {"customer_id": "a", "enrolled_at": "2024-01-02 00:00:00"},
        {"customer_id": "b", "enrolled_at": "2024-01-02 00:00:00"},
        {"customer_id": "c", "enrolled_at": "2024-01-02 00:00:00", "left_at": "2024-03-01 00:00:00"},
        {"customer_id": "d", "enrolled_at": "2024-03-01 00:00:00"},
    ]
    db_path = build_loyalty(tmp_path, orders, members, [], metrics_as_of="2024-04-01",
                            lifecycle_grains=["month"])
    march = mart(db_path, "month")[date(2024, 3, 1)]
    assert (march["member_customers_at_start"], march["member_retained_customers"]) == (3, 2)
    assert (march["non_member_customers_at_start"], march["non_member_retained_customers"]) == (2, 0)
    assert march["member_base_retention_rate"] == pytest.approx(2 / 3)
    assert march["non_member_base_retention_rate"] == 0.0
    # old at 2024-03-01: a, b, c members; d, e, f non-members; f reactivated in March
    assert (march["member_old_customers_at_start"], march["member_reactivated_customers"]) == (3, 0)
    assert (march["non_member_old_customers_at_start"], march["non_member_reactivated_customers"]) == (3, 1)
    assert march["non_member_reactivation_rate"] == pytest.approx(1 / 3)
    assert march["members_at_end"] == 3  # a, b, d (c left)
    assert march["participation_rate"] == 0.0  # members, no point event


# --- the reference, on randomized histories ------------------------------------------------------------------------

@st.composite
def loyalty_histories(draw):
    """(orders, members, events, metrics_as_of): a small order history and loyalty rows around its instants and
    period boundaries, with rejected and flagged rows."""
    orders, as_of = draw(raw_histories(max_customers=4, max_orders=4))
    customers = sorted({row["customer_id"] for row in orders if row["customer_id"].strip()})
    instants = [t for t in (parse_timestamp(row["ordered_at"]) for row in orders) if t is not None]
    if not instants:
        instants = [datetime(2024, 1, 1)]
    one = timedelta(seconds=1)

    def instant():
        kind = draw(st.sampled_from(["order", "order", "boundary", "boundary-1s", "later"]))
        if kind == "order":
            return draw(st.sampled_from(instants)) + draw(st.sampled_from([-one, timedelta(0), one,
                                                                           timedelta(hours=1)]))
        if kind == "later":
            return draw(st.sampled_from(instants)) + timedelta(days=draw(st.integers(1, 120)))
        return draw(boundary_instants()) - (one if kind == "boundary-1s" else timedelta(0))

    def text(t):
        return t.strftime("%Y-%m-%d %H:%M:%S")

    members = []
    for customer in customers + ["stranger"]:
        for _ in range(draw(st.sampled_from([0, 1, 1, 1, 2]))):
            enrolled = instant()
            left = ""
            if draw(st.integers(0, 3)) == 0:
                left = text(enrolled + timedelta(days=draw(st.integers(-1, 200))))
            members.append({"customer_id": customer, "enrolled_at": text(enrolled), "left_at": left})
    if draw(st.integers(0, 4)) == 0:
        members.append({"customer_id": "", "enrolled_at": "2024-01-01"})
    events = []
    for n in range(draw(st.integers(0, 14))):
        events.append({
            "event_id": f"e{draw(st.integers(0, n))}" if draw(st.integers(0, 8)) == 0 else f"e{n}x",
            "customer_id": draw(st.sampled_from(customers + ["stranger"])) if customers else "stranger",
            "occurred_at": text(instant()),
            "event_type": draw(st.sampled_from(["earn", "earn", "redeem", "redeem", "expire", "adjust", "Earn ",
                                                "bonus"])),
            "points": draw(st.sampled_from(["10", "25", "7.5", "0", "100", "-4", "ten", ""])),
        })
    return orders, members, events, as_of


LOYALTY_SETTINGS = settings(
    max_examples=EXAMPLES,
    derandomize=bool(os.environ.get("CI")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.function_scoped_fixture],
)
EDGE_ORDERS = [
    raw_order("1", "a", "2024-01-10 00:00:00"), raw_order("2", "a", "2024-04-09 00:00:00"),
    raw_order("3", "b", "2024-03-31 23:59:59"), raw_order("4", "b", "2024-07-01 00:00:00"),
    raw_order("5", "c", "2024-02-01 00:00:00"),
]
EDGE_MEMBERS = [
    {"customer_id": "a", "enrolled_at": "2024-01-10 00:00:00", "left_at": "2024-04-01 00:00:00"},
    {"customer_id": "b", "enrolled_at": "2024-04-01 00:00:00"},
    {"customer_id": "b", "enrolled_at": "2024-01-01 00:00:00"},
]
EDGE_EVENTS = [
    {"event_id": "1", "customer_id": "a", "occurred_at": "2024-01-10 00:00:00", "event_type": "earn", "points": "10"},
    {"event_id": "2", "customer_id": "a", "occurred_at": "2024-01-10 00:00:00", "event_type": "redeem", "points": "10"},
    {"event_id": "3", "customer_id": "a", "occurred_at": "2024-04-01 00:00:00", "event_type": "redeem", "points": "5"},
    {"event_id": "4", "customer_id": "b", "occurred_at": "2024-03-31 23:59:59", "event_type": "earn", "points": "7"},
    {"event_id": "5", "customer_id": "b", "occurred_at": "2024-04-01 00:00:00", "event_type": "expire", "points": "7"},
    {"event_id": "6", "customer_id": "c", "occurred_at": "2023-12-01 00:00:00", "event_type": "adjust", "points": "3"},
]


@LOYALTY_SETTINGS
@given(history=loyalty_histories())
@example(history=(EDGE_ORDERS, EDGE_MEMBERS, EDGE_EVENTS, datetime(2024, 8, 15, 12, 0)))
def test_loyalty_mart_matches_reference(tmp_path_factory, history):
    orders, members, events, as_of = history
    dbt_vars = {} if as_of is None else {"metrics_as_of": as_of.isoformat(sep=" ")}
    db_path = build_loyalty(tmp_path_factory.mktemp(f"loyalty{next(_builds)}"), orders, members, events, **dbt_vars)
    expected = loyalty_metrics(orders, members, events, Params(metrics_as_of=as_of))

    got_members = query(db_path, "select * from stg_loyalty__members")
    assert {row["customer_id"]: (row["enrolled_at"], row["left_at"]) for row in got_members} == expected["members"]
    got_rejected = sorted(row["reason"] for row in query(db_path, "select * from stg_loyalty__rejected_members"))
    assert got_rejected == sorted(row["reason"] for row in expected["member_rejected"])
    got_events = {row["event_id"]: row for row in query(db_path, "select * from stg_loyalty__point_events")}
    assert sorted(got_events) == sorted(event["event_id"] for event in expected["events"])
    for event_id, (above, outside) in flags(expected["events"], expected["members"]).items():
        assert (got_events[event_id]["is_above_balance"], got_events[event_id]["is_outside_membership"]) == (
            above, outside), event_id
    got_event_rejected = sorted(row["reason"] for row in query(
        db_path, "select * from stg_loyalty__rejected_point_events"))
    assert got_event_rejected == sorted(row["reason"] for row in expected["event_rejected"])

    actual = {(row["grain"], row["period_start"]): row for row in query(db_path, "select * from fct_loyalty_metrics")}
    assert sorted(actual) == sorted(expected["periods"])
    for key, want in expected["periods"].items():
        got = actual[key]
        assert (got["period_end"], got["is_complete"]) == (want["period_end"], want["is_complete"]), key
        for column in LOYALTY_COUNT_COLUMNS:
            assert got[column] == want[column], (key, column, got[column], want[column])
        for column in LOYALTY_POINT_COLUMNS:
            assert Decimal(got[column]) == want[column], (key, column, got[column], want[column])
        for column in LOYALTY_RATE_COLUMNS:
            assert close(got[column], want[column]), (key, column, got[column], want[column])


def test_edge_history_has_its_edges():
    """The fixed example holds what it promises: a membership ending exactly on a period start (member at it), an
    enrollment exactly on one (not a member at it), a second member row, same-instant earn and redeem, events
    exactly on and a second before a boundary, and an event before the earliest enrollment."""
    assert EDGE_MEMBERS[0]["left_at"] == "2024-04-01 00:00:00" and EDGE_MEMBERS[1]["enrolled_at"].endswith("00:00:00")
    assert EDGE_MEMBERS[1]["customer_id"] == EDGE_MEMBERS[2]["customer_id"]
    assert EDGE_EVENTS[0]["occurred_at"] == EDGE_EVENTS[1]["occurred_at"]
    assert min(event["occurred_at"] for event in EDGE_EVENTS) < min(m["enrolled_at"] for m in EDGE_MEMBERS)


# --- the demo -----------------------------------------------------------------------------------------------------

def test_demo_has_loyalty_data_consistent_with_the_orders(demo_db):
    figures = query(demo_db, """
        select
            (select count(*) from stg_loyalty__members) as members,
            (select count(*) from stg_loyalty__members where customer_id not in (
                select customer_id from base_shop__order_versions where customer_id is not null))
                as members_without_orders,
            (select count(*) from stg_loyalty__point_events) as events,
            (select count(*) from stg_loyalty__point_events where is_above_balance) as above_balance,
            (select count(*) from stg_loyalty__point_events where is_outside_membership) as outside_membership,
            (select count(distinct reason) from stg_loyalty__rejected_point_events) as event_reasons,
            (select count(*) from fct_loyalty_metrics) as loyalty_rows,
            (select count(distinct grain) from fct_loyalty_metrics) as grains""")[0]
    assert figures["members"] > 1000 and figures["events"] > 3000
    assert figures["members_without_orders"] == 0
    assert figures["above_balance"] >= 1 and figures["outside_membership"] >= 1
    assert figures["event_reasons"] >= 5
    assert figures["grains"] == 5 and figures["loyalty_rows"] > 700


# --- the semantic layer -----------------------------------------------------------------------------------------

LOYALTY_METRICS = ("members_at_end", "positive_balance_customers_at_start", "points_earned", "points_redeemed",
                   "participating_members", "redeeming_members", "participation_rate", "points_redemption_rate",
                   "member_redemption_rate")
RETURN_METRICS = ("purchase_attempts", "returned_orders", "attempted_amount", "refunded_amount",
                  "order_return_rate", "revenue_return_rate")


@pytest.mark.parametrize("grain", ["day", "week", "month", "quarter", "year"])
def test_metricflow_loyalty_and_return_metrics_equal_the_marts(demo_db, grain):
    """MetricFlow computes the new metrics from the semantic models (daily stocks, distinct customers from the
    events, attempts); every period of fct_loyalty_metrics and fct_lifecycle_metrics agrees with it."""
    from test_semantic_layer import as_date, metricflow, mf_query, same_figure

    time_column = f"metric_time__{grain}"
    with metricflow(demo_db) as engine:
        loyalty = {as_date(row.pop(time_column)): row for row in mf_query(engine, LOYALTY_METRICS, [time_column])}
        returns = {as_date(row.pop(time_column)): row for row in mf_query(engine, RETURN_METRICS, [time_column])}
    expected = mart(demo_db, grain)
    # the counts are joined to the time spine (the lifecycle's days): MetricFlow also lists the days before the
    # earliest enrollment, with no member
    assert expected and set(expected) <= set(loyalty)
    assert all(period < min(expected) and not loyalty[period]["members_at_end"]
               for period in set(loyalty) - set(expected))
    mismatches = [(period, name, loyalty[period][name], row[name]) for period, row in expected.items()
                  for name in LOYALTY_METRICS if not same_figure(loyalty[period][name], row[name])]
    assert not mismatches, mismatches[:10]
    lifecycle = query(demo_db, "select * from fct_lifecycle_metrics where grain = ?", [grain])
    assert lifecycle
    mismatches = [(row["period_start"], name, returns[row["period_start"]][name], row[name]) for row in lifecycle
                  for name in RETURN_METRICS if not same_figure(returns[row["period_start"]][name], row[name])]
    assert not mismatches, mismatches[:10]
