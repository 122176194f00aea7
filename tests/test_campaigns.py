"""Campaigns and win-back attribution (METRICS.md §10): hand-computed examples, the optional source's absence, and
the marts against the independent reference (tests/campaign_reference.py) on randomized histories.

One dbt build holds every hand-computed case (each customer is one case); the randomized comparison builds a small
selection per example, in UTC and in a non-UTC reporting time zone.
"""

from __future__ import annotations

import csv
import math
import os
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from campaign_reference import compute_campaigns, newcombe
from conftest import query, raw_order as order, run_dbt, write_orders_csv
from reference import Params, parse_timestamp
from strategies import raw_histories

TOUCH_COLUMNS = ("touch_id", "campaign_id", "customer_id", "touched_at", "channel", "is_control", "cost")
SELECTION = ["--select", "+fct_campaign_results", "+fct_campaign_metrics", "+int_churn_alerts_contacted",
             "stg_campaigns__rejected_touches", "+fct_lifecycle_metrics",
             "--exclude", "resource_type:test", "resource_type:unit_test"]
EXAMPLES = int(os.environ.get("LIFECYCLE_CAMPAIGN_EXAMPLES", "3"))
SETTINGS = settings(
    max_examples=EXAMPLES,
    derandomize=bool(os.environ.get("CI")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.function_scoped_fixture],
)
RESULT_COLUMNS = (
    "treated_customers", "control_customers", "treated_responders", "control_responders", "treated_response_rate",
    "control_response_rate", "response_rate_lift", "response_rate_lift_lower", "response_rate_lift_upper",
    "is_response_rate_lift_significant", "treated_dormant_customers", "control_dormant_customers",
    "treated_reactivated_customers", "control_reactivated_customers", "treated_reactivation_rate",
    "control_reactivation_rate", "reactivation_rate_lift", "reactivation_rate_lift_lower",
    "reactivation_rate_lift_upper", "is_reactivation_rate_lift_significant", "attributed_orders",
    "attributed_net_revenue", "cost", "cost_per_reactivated_customer", "first_touched_at", "last_touched_at",
    "channels",
)


def touch(touch_id, campaign_id, customer_id, touched_at, channel="sms", is_control="no", cost="") -> dict:
    return dict(zip(TOUCH_COLUMNS, (touch_id, campaign_id, customer_id, touched_at, channel, is_control, cost)))


def write_touches_csv(rows, path: Path) -> Path:
    with path.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=TOUCH_COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
    return path


def build(work_dir: Path, orders, touches, dbt_vars=None, select=SELECTION) -> Path:
    all_vars = {"orders_path": str(write_orders_csv(orders, work_dir / "orders.csv")), **(dbt_vars or {})}
    if touches is not None:
        all_vars["campaign_touches_path"] = str(write_touches_csv(touches, work_dir / "touches.csv"))
    db_path = work_dir / "lifecycle.duckdb"
    run_dbt(["build", *select], db_path, all_vars)
    return db_path


def close(actual, expected) -> bool:
    if actual is None or expected is None:
        return actual is None and expected is None
    if isinstance(expected, bool) or isinstance(actual, bool):
        return actual == expected
    if isinstance(expected, (int, Decimal, datetime, str)) and not isinstance(expected, bool):
        if isinstance(expected, Decimal):
            return Decimal(actual) == expected
        if isinstance(expected, int):
            return actual == expected
        return actual == expected
    return math.isclose(float(actual), float(expected), rel_tol=1e-9, abs_tol=1e-12)


# --- the hand-computed cases (W = 7 days, D = 90, A = 60, 72 hours) ---------------------------------------------

ORDERS = [
    order("e1", "edge_w", "2024-01-01 00:00:00"),
    order("e2", "edge_w", "2024-03-08 00:00:00"),            # exactly W after touch w1: attributed
    order("s1", "same_instant", "2024-01-01 00:00:00"),
    order("s2", "same_instant", "2024-03-01 12:00:00"),      # at touch s_t's own instant: not attributed
    order("b1", "two_touches", "2024-01-01 00:00:00"),
    order("b2", "two_touches", "2024-03-05 00:00:00"),       # after tt1 and tt2: the latest (tt2) wins
    order("i1", "tie", "2024-01-01 00:00:00"),
    order("i2", "tie", "2024-03-02 00:00:00"),               # t9 and t10 at one instant: 't9' > 't10' as text
    order("c1", "control_takes", "2024-01-01 00:00:00"),
    order("c2", "control_takes", "2024-03-04 00:00:00"),     # the later control touch ct2 takes it from ct1
    order("l1", "late", "2024-01-01 00:00:00"),
    order("l2", "late", "2024-03-08 00:00:01"),              # W and a second after its touch: not attributed
    order("d1", "dormant", "2024-01-01 00:00:00"),
    order("d2", "dormant", "2024-05-03 00:00:00", amount="25.00"),  # a reactivation attributed to d_t
    order("x1", "dormant_control", "2024-01-01 00:00:00"),
    order("p1", "prospect", "2024-02-03 00:00:00"),          # first order, 2 days after touch p_t
    order("a1", "alert_cust", "2024-01-01 00:00:00"),
    order("a2", "alert_late", "2024-01-01 00:00:00"),
    order("a3", "alert_control", "2024-01-01 00:00:00"),
    order("z1", "anchor", "2024-12-30 10:00:00"),
]
TOUCHES = [
    touch("w1", "camp_b", "edge_w", "2024-02-01 00:00:00"),    # superseded by the later row of w1
    touch("w1", "camp_a", "edge_w", "2024-03-01 00:00:00", cost="1.50"),
    touch("s_t", "camp_a", "same_instant", "2024-03-01T20:00:00+08:00", is_control="0", cost="2.00"),
    touch("tt1", "camp_a", "two_touches", "2024-03-01 00:00:00", is_control=""),
    touch("tt2", "camp_b", "two_touches", "2024-03-03 00:00:00", channel="email"),
    touch("t10", "camp_b", "tie", "2024-03-01 00:00:00", channel="email"),
    touch("t9", "camp_a", "tie", "2024-03-01 00:00:00", is_control="FALSE"),
    touch("ct1", "camp_a", "control_takes", "2024-03-01 00:00:00"),
    touch("ct2", "camp_a", "control_takes", "2024-03-02 00:00:00", channel="", is_control="YES", cost="9"),
    touch("nw", "camp_a", "late", "2024-03-01 00:00:00", is_control="f"),
    touch("d_t", "camp_a", "dormant", "2024-05-01 00:00:00", cost="0.50"),
    touch("dc_t", "camp_a", "dormant_control", "2024-05-01 00:00:00", channel="", is_control="t"),
    touch("p_t", "camp_a", "prospect", "2024-02-01 00:00:00"),
    touch("al1", "camp_c", "alert_cust", "2024-03-04 00:00:00", channel="app_push"),      # respond_by exactly
    touch("al2", "camp_c", "alert_late", "2024-03-04 00:00:01", channel="app_push"),      # a second late
    touch("al3", "camp_c", "alert_control", "2024-03-02 00:00:00", channel="", is_control="1"),
    touch("bad1", "camp_a", "edge_w", "2024-03-01 00:00:00", is_control="maybe"),
    touch("bad2", "camp_a", "edge_w", "tomorrow"),
    touch("bad3", "camp_a", "edge_w", "2024-03-01 00:00:00", cost="-1"),
    touch("bad4", "camp_a", "edge_w", "2025-01-01 00:00:00"),
]
AS_OF = "2024-12-31"


@pytest.fixture(scope="module")
def hand_db(tmp_path_factory) -> Path:
    # with the data tests of the campaign models (and of the rest of what they read)
    select = [*SELECTION[:SELECTION.index("--exclude")], "+fct_churn_alerts", "--indirect-selection", "cautious",
              "--exclude", "resource_type:unit_test"]
    return build(tmp_path_factory.mktemp("campaign_hand"), ORDERS, TOUCHES, {"metrics_as_of": AS_OF}, select)


def test_attribution_edges(hand_db):
    attributed = {row["order_id"]: row["touch_id"] for row in query(hand_db, "select * from int_orders_attributed")}
    assert attributed == {
        "e2": "w1",    # ordered_at = touched_at + W: inclusive
        "b2": "tt2",   # two touches before one order: the latest
        "i2": "t9",    # a tie on touched_at: the greatest touch_id as text
        "c2": "ct2",   # the control touch takes the order from the earlier treated touch
        "d2": "d_t",
        "p1": "p_t",   # a prospect's first order
    }  # s2 (at its touch's instant) and l2 (W + 1 s) are not attributed


def test_touch_rejections_and_versions(hand_db):
    rejected = {row["touch_id"]: row["reason"] for row in query(hand_db, "select * from stg_campaigns__rejected_touches")}
    assert rejected == {"bad1": "unparseable is_control", "bad2": "unparseable touched_at", "bad3": "negative cost",
                        "bad4": "not before metrics_as_of"}
    touches = {row["touch_id"]: row for row in query(hand_db, "select * from stg_campaigns__touches")}
    assert touches["w1"]["campaign_id"] == "camp_a"        # the later row of a repeated touch_id
    assert touches["s_t"]["touched_at"] == datetime(2024, 3, 1, 12)
    assert {touch_id for touch_id, row in touches.items() if row["is_control"]} == {"ct2", "dc_t", "al3"}


def test_states_at_touches(hand_db):
    states = {row["touch_id"]: row["state_at_touch"]
              for row in query(hand_db, "select * from int_campaign_touches_evaluated")}
    assert states["d_t"] == "dormant" and states["dc_t"] == "dormant"
    assert states["p_t"] == "prospect"
    assert states["w1"] == "active"    # 60 days after the last order: not more than A, so not at risk


def test_campaign_results_by_hand(hand_db):
    results = {row["campaign_id"]: row for row in query(hand_db, "select * from fct_campaign_results")}
    a, b = results["camp_a"], results["camp_b"]
    # camp_a treated: edge_w, same_instant, two_touches, tie, control_takes, late, dormant, prospect; responders:
    # edge_w, tie, dormant, prospect. Control: control_takes (responded through ct2), dormant_control.
    assert (a["treated_customers"], a["treated_responders"], a["control_customers"], a["control_responders"]) == (
        8, 4, 2, 1)
    assert a["treated_response_rate"] == 0.5 and a["control_response_rate"] == 0.5 and a["response_rate_lift"] == 0
    assert (a["treated_dormant_customers"], a["treated_reactivated_customers"]) == (1, 1)
    assert (a["control_dormant_customers"], a["control_reactivated_customers"]) == (1, 0)
    assert a["treated_reactivation_rate"] == 1.0 and a["control_reactivation_rate"] == 0.0
    assert a["reactivation_rate_lift"] == 1.0
    assert (a["attributed_orders"], Decimal(a["attributed_net_revenue"])) == (4, Decimal("55.00"))
    assert Decimal(a["cost"]) == Decimal("4.00") and a["cost_per_reactivated_customer"] == 4.0
    assert a["channels"] == "sms"
    assert (a["first_touched_at"], a["last_touched_at"]) == (datetime(2024, 2, 1), datetime(2024, 5, 1))
    # camp_b has no holdout: NULL rates, lifts, intervals and flags, never zeros
    assert (b["treated_customers"], b["treated_responders"], b["treated_response_rate"]) == (2, 1, 0.5)
    for column in ("control_response_rate", "response_rate_lift", "response_rate_lift_lower",
                   "response_rate_lift_upper", "is_response_rate_lift_significant", "treated_reactivation_rate",
                   "reactivation_rate_lift", "cost_per_reactivated_customer"):
        assert b[column] is None, column
    assert b["channels"] == "email"


def test_lift_interval_is_newcombes(hand_db):
    """The SQL interval against scipy's Wilson intervals combined by hand, and its flag."""
    a = query(hand_db, "select * from fct_campaign_results where campaign_id = 'camp_a'")[0]
    lower, upper = newcombe(4, 8, 1, 2)
    assert math.isclose(a["response_rate_lift_lower"], lower, rel_tol=1e-12)
    assert math.isclose(a["response_rate_lift_upper"], upper, rel_tol=1e-12)
    assert a["is_response_rate_lift_significant"] is False
    lower, upper = newcombe(1, 1, 0, 1)
    assert math.isclose(a["reactivation_rate_lift_lower"], lower, rel_tol=1e-12)
    assert math.isclose(a["reactivation_rate_lift_upper"], upper, rel_tol=1e-12)
    # the reference itself against the published values of Newcombe (1998), Table II, method 10
    for counts, published in (((56, 70, 48, 80), (0.0524, 0.3339)), ((9, 10, 3, 10), (0.1705, 0.8090)),
                              ((5, 56, 0, 29), (-0.0381, 0.1926))):
        assert tuple(round(bound, 4) for bound in newcombe(*counts)) == published


def test_the_72_hour_rule(hand_db):
    contacted = {row["customer_id"]: row["is_contacted_in_response_window"] for row in query(
        hand_db, "select * from int_churn_alerts_contacted where alert_at = timestamp '2024-03-01 00:00:00'")}
    assert contacted["alert_cust"] is True       # touched exactly at respond_by
    assert contacted["alert_late"] is False      # a second after respond_by
    assert contacted["alert_control"] is False   # a control touch is no contact
    assert contacted["edge_w"] is True           # touched exactly at alert_at
    flags = {row["alert_id"]: row["is_contacted_in_response_window"]
             for row in query(hand_db, "select * from fct_churn_alerts")}
    assert flags["a1"] is True and flags["a2"] is False


def test_campaign_metrics_by_hand(hand_db):
    march = query(hand_db, "select * from fct_campaign_metrics where grain = 'month' and period_start = '2024-03-01'")[0]
    # non-control touches dated in March: edge_w, same_instant, two_touches, tie, control_takes, late, alert_cust,
    # alert_late; responded: w1 (e2), tt2 (b2), t9 (i2)
    assert (march["touched_customers"], march["responding_customers"]) == (8, 3)
    assert march["campaign_response_rate"] == 3 / 8
    may = query(hand_db, "select * from fct_campaign_metrics where grain = 'month' and period_start = '2024-05-01'")[0]
    assert (may["reactivation_events"], may["attributed_reactivations"], may["attributed_reactivation_share"]) == (
        1, 1, 1.0)
    june = query(hand_db, "select * from fct_campaign_metrics where grain = 'month' and period_start = '2024-06-01'")[0]
    assert june["touched_customers"] == 0 and june["campaign_response_rate"] is None
    assert june["attributed_reactivation_share"] is None


def test_hand_cases_match_the_reference(hand_db):
    compare(hand_db, ORDERS, TOUCHES, Params(metrics_as_of=datetime(2024, 12, 31)))


def test_without_touches_the_campaign_models_are_empty(tmp_path):
    db_path = build(tmp_path, ORDERS, None, {"metrics_as_of": AS_OF})
    counts = query(db_path, """
        select
            (select count(*) from fct_campaign_results) as results,
            (select count(*) from fct_campaign_metrics) as metrics,
            (select count(*) from stg_campaigns__rejected_touches) as rejected,
            (select count(*) from int_churn_alerts_contacted where is_contacted_in_response_window) as contacted,
            (select count(*) from int_churn_alerts_contacted) as alerts
    """)[0]
    assert counts == {"results": 0, "metrics": 0, "rejected": 0, "contacted": 0, "alerts": counts["alerts"]}
    assert counts["alerts"] > 0


# --- against the reference --------------------------------------------------------------------------------------


def compare(db_path: Path, orders, touches, params: Params) -> None:
    expected = compute_campaigns(orders, touches, params)
    counts = query(db_path, """
        select
            (select count(*) from stg_campaigns__touches) as valid,
            (select count(*) from base_campaigns__touch_versions where is_superseded) as superseded,
            (select count(*) from stg_campaigns__rejected_touches) as rejected
    """)[0]
    assert counts == {"valid": len(expected["touches"]), "superseded": len(expected["superseded"]),
                      "rejected": len(expected["rejected"])}
    attributed = {row["order_id"]: row["touch_id"] for row in query(db_path, "select * from int_orders_attributed")}
    assert attributed == {order_id: touch["touch_id"] for order_id, touch in expected["attribution"].items()}
    results = {row["campaign_id"]: row for row in query(db_path, "select * from fct_campaign_results")}
    assert sorted(results) == sorted(expected["results"])
    for campaign_id, want in expected["results"].items():
        for column in RESULT_COLUMNS:
            assert close(results[campaign_id][column], want[column]), (
                campaign_id, column, results[campaign_id][column], want[column])
    metrics = {(row["grain"], row["period_start"]): row for row in query(db_path, "select * from fct_campaign_metrics")}
    assert sorted(metrics) == sorted(expected["metrics"])
    for key, want in expected["metrics"].items():
        for column, value in want.items():
            assert close(metrics[key][column], value), (key, column, metrics[key][column], value)
    contacted = {(row["customer_id"], row["alert_at"]): row["is_contacted_in_response_window"]
                 for row in query(db_path, "select * from int_churn_alerts_contacted")}
    assert contacted == expected["contacted"]


@st.composite
def touch_histories(draw, rows):
    """Touches of the history's customers placed on the edges of attribution: exactly W before an order, at its
    instant, a second either side, ties on touched_at, repeated touch_ids, bad rows, control spellings."""
    instants = [(row["customer_id"].strip(), parse_timestamp(row["ordered_at"])) for row in rows]
    instants = [(customer, at) for customer, at in instants if customer and at is not None]
    if not instants:
        instants = [("nobody", datetime(2024, 1, 1))]
    touches = []
    for _ in range(draw(st.integers(1, 12))):
        customer, anchor = draw(st.sampled_from(instants + [("nobody", datetime(2024, 6, 1))]))
        shift = draw(st.sampled_from([
            timedelta(days=7), timedelta(0), timedelta(days=7, seconds=1), timedelta(days=7, seconds=-1),
            timedelta(seconds=1), timedelta(days=3), timedelta(days=60), timedelta(days=-2), timedelta(hours=1)]))
        touched_at = anchor - shift
        text = draw(st.sampled_from([touched_at.strftime("%Y-%m-%d %H:%M:%S"), touched_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
                                     (touched_at + timedelta(hours=8)).strftime("%Y-%m-%d %H:%M:%S+08:00")]))
        if draw(st.integers(0, 12)) == 0:
            text = "not a time"
        touches.append(touch(
            touch_id=draw(st.sampled_from([f"t{n}" for n in range(1, 15)])),
            campaign_id=draw(st.sampled_from(["a", "b"])),
            customer_id=customer,
            touched_at=text,
            channel=draw(st.sampled_from(["sms", "email", ""])),
            is_control=draw(st.sampled_from(["", "no", "0", "yes", "TRUE", "f", "maybe"])),
            cost=draw(st.sampled_from(["", "1.25", "0", "-1"])),
        ))
    return touches


@st.composite
def campaign_histories(draw, tz_name):
    rows, metrics_as_of = draw(raw_histories(boundary_timezone=tz_name, max_customers=5, max_orders=5))
    return rows, metrics_as_of, draw(touch_histories(rows))


@pytest.mark.parametrize("reporting_timezone", ["UTC", "America/New_York"])
def test_random_histories_match_the_reference(tmp_path_factory, reporting_timezone):
    @SETTINGS
    @given(history=campaign_histories(reporting_timezone))
    def check(history):
        rows, metrics_as_of, touches = history
        dbt_vars = {"reporting_timezone": reporting_timezone}
        if metrics_as_of is not None:
            dbt_vars["metrics_as_of"] = metrics_as_of.isoformat(sep=" ")
        db_path = build(tmp_path_factory.mktemp("campaign_random"), rows, touches, dbt_vars)
        compare(db_path, rows, touches, Params(metrics_as_of=metrics_as_of, reporting_timezone=reporting_timezone))

    check()
