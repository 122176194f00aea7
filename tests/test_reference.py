"""Tests of the pure-Python reference (tests/reference.py) ALONE.

Every expected number below is computed by hand (see the comments); none comes
from running the reference.  D = 90, A = 60, lifecycle_new_days = 30 and
response window 72 h unless stated.
"""

import os
import sys
from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import reference as ref  # noqa: E402
from reference import (  # noqa: E402
    Params, churn_alerts, clean_orders, cohort_retention, compute_rates,
    customer_state, customer_states_at, customer_summary, parse_timestamp,
    period_metrics, win_back_rates,
)
from strategies import raw_histories  # noqa: E402

dt = datetime


def row(oid, cid, ordered_at, status="completed", amount="10.00", refund="",
        updated=""):
    return dict(order_id=str(oid), customer_id=str(cid), ordered_at=ordered_at,
                status=status, amount=amount, refunded_amount=refund,
                updated_at=updated)


def build(rows, as_of=None, **kw):
    p = Params(metrics_as_of=as_of, **kw)
    valid, sup, rej, a = clean_orders(rows, p)
    return p, valid, sup, rej, a


# ---------------------------------------------------------------------------
# §5 worked example 1: retention
# ---------------------------------------------------------------------------
def test_example1_rate_formula():
    # 100 at start, 20 new, 90 at end -> (90 - 20) / 100 = 0.70
    r = compute_rates(customers_at_start=100, new_customers=20, customers_at_end=90)
    assert r["retention_rate"] == pytest.approx(0.70)


def test_example1_constructed_history():
    # March 2024 (month), metrics_as_of = 2024-04-01 00:00 (March complete).
    # 30 customers ordered 2023-12-10: 82 days before 2024-03-01 -> active at
    #    start; churn at 2023-12-10 + 90 d = 2024-03-09 (21+31+29+9) -> in March.
    # 70 customers ordered 2024-02-15: active at 03-01 and at 04-01 (46 days).
    # 20 new customers ordered 2024-03-20.
    rows = []
    k = 0
    for i in range(30):
        rows.append(row(k, f"a{i}", "2023-12-10 00:00:00")); k += 1
    for i in range(70):
        rows.append(row(k, f"b{i}", "2024-02-15 00:00:00")); k += 1
    for i in range(20):
        rows.append(row(k, f"n{i}", "2024-03-20 00:00:00")); k += 1
    p, valid, _, _, as_of = build(rows, dt(2024, 4, 1))
    m = period_metrics(valid, as_of, p, grains=("month",))[("month", date(2024, 3, 1))]
    assert m["period_end"] == date(2024, 4, 1)
    assert m["is_complete"] is True
    assert m["customers_at_start"] == 100
    assert m["new_customers"] == 20
    assert m["customers_at_end"] == 90          # 70 + 20
    assert m["retention_rate"] == pytest.approx(0.70)
    assert m["churned_customers"] == 30 and m["churn_events"] == 30
    assert m["churn_rate"] == pytest.approx(0.30)
    assert m["retained_customers"] == 70
    assert m["base_retention_rate"] == pytest.approx(0.70)
    assert m["old_customers_at_start"] == 100
    assert m["dormant_customers_at_start"] == 0
    assert m["dormant_reactivation_rate"] is None
    assert m["reactivated_customers"] == 0 and m["reactivation_rate"] == 0.0
    assert m["repeat_customers"] == 0 and m["repeat_purchase_rate"] == 0.0
    assert m["quick_ratio"] == pytest.approx(20 / 30)
    assert m["ordering_customers"] == 20 and m["orders"] == 20
    assert m["net_revenue"] == Decimal("200.00")
    # the distinct-customer identity: 90 = 100 + 20 + 0 - 30
    # the 30 churned customers are dormant at the April start; no April row
    # because April starts at metrics_as_of
    assert ("month", date(2024, 4, 1)) not in period_metrics(valid, as_of, p, grains=("month",))


# ---------------------------------------------------------------------------
# §5 worked example 2: reactivation
# ---------------------------------------------------------------------------
def test_example2_rate_formula():
    # 1,000 old customers at start, 200 reactivated -> 200 / 1000 = 0.20
    r = compute_rates(old_customers_at_start=1000, reactivated_customers=200)
    assert r["reactivation_rate"] == pytest.approx(0.20)


def test_example2_constructed_history():
    # 1000 customers ordered 2023-06-01 12:00 (dormant from 2023-08-30 12:00);
    # 200 of them order again on 2024-03-10 12:00: a gap > 90 days, so a
    # reactivation in March 2024.  metrics_as_of = 2024-04-01.
    rows = []
    for i in range(1000):
        rows.append(row(f"x{i}", f"c{i}", "2023-06-01T12:00:00Z"))
    for i in range(200):
        rows.append(row(f"y{i}", f"c{i}", "2024-03-10T12:00:00Z"))
    p, valid, _, _, as_of = build(rows, dt(2024, 4, 1))
    m = period_metrics(valid, as_of, p, grains=("month",))[("month", date(2024, 3, 1))]
    assert m["old_customers_at_start"] == 1000
    assert m["customers_at_start"] == 0
    assert m["dormant_customers_at_start"] == 1000
    assert m["reactivated_customers"] == 200 and m["reactivation_events"] == 200
    assert m["reactivation_rate"] == pytest.approx(0.20)
    assert m["dormant_reactivation_rate"] == pytest.approx(0.20)
    assert m["customers_at_end"] == 200
    assert m["new_customers"] == 0
    assert m["retention_rate"] is None          # CS = 0: NULL, never 0
    assert m["churned_customers"] == 0 and m["quick_ratio"] is None
    assert m["repeat_customers"] == 200
    assert m["repeat_purchase_rate"] == pytest.approx(0.20)


# ---------------------------------------------------------------------------
# §5 worked example 3 / gap exactly D vs D + 1 day
# ---------------------------------------------------------------------------
def test_example3_gap_exactly_D_is_one_spell():
    # 2024-01-10 -> 2024-04-09 is 21 + 29 + 31 + 9 = 90 days: one spell.
    p, valid, _, _, as_of = build(
        [row(1, "A", "2024-01-10"), row(2, "A", "2024-04-09")], dt(2024, 8, 1))
    pm = period_metrics(valid, as_of, p)
    assert sum(v["reactivation_events"] for (g, _), v in pm.items() if g == "month") == 0
    assert pm[("month", date(2024, 4, 1))]["churn_events"] == 0
    assert pm[("day", date(2024, 4, 9))]["churn_events"] == 0
    # the only churn: 2024-04-09 + 90 d = 2024-07-08 (21 + 31 + 30 + 8)
    assert pm[("day", date(2024, 7, 8))]["churn_events"] == 1
    assert sum(v["churn_events"] for (g, _), v in pm.items() if g == "day") == 1
    april = pm[("month", date(2024, 4, 1))]
    assert april["customers_at_start"] == 1 and april["retained_customers"] == 1
    assert customer_summary(valid, as_of, p)["A"]["current_spell_number"] == 1


def test_example3_gap_D_plus_one_day_is_two_spells():
    # 2024-01-10 -> 2024-04-10 is 91 days: churn dated 2024-04-09 00:00,
    # reactivation on 2024-04-10 (April).
    p, valid, _, _, as_of = build(
        [row(1, "B", "2024-01-10"), row(2, "B", "2024-04-10")], dt(2024, 8, 1))
    pm = period_metrics(valid, as_of, p)
    april = pm[("month", date(2024, 4, 1))]
    assert april["reactivation_events"] == 1 and april["reactivated_customers"] == 1
    assert april["churn_events"] == 1 and april["churned_customers"] == 1
    assert pm[("day", date(2024, 4, 9))]["churn_events"] == 1
    assert pm[("day", date(2024, 4, 10))]["reactivation_events"] == 1
    assert pm[("day", date(2024, 4, 10))]["customers_at_start"] == 0
    # active at 04-01 (82 days) and at 05-01 (21 days after the 2nd order)
    # but not throughout: not retained.  1 = 1 + 0 + 1 - 1.
    assert april["customers_at_start"] == 1 and april["customers_at_end"] == 1
    assert april["retained_customers"] == 0
    assert april["base_retention_rate"] == 0.0
    assert april["retention_rate"] == pytest.approx(1.0)   # (1 - 0) / 1
    # second churn: 2024-04-10 + 90 d = 2024-07-09
    assert pm[("day", date(2024, 7, 9))]["churn_events"] == 1
    assert customer_summary(valid, as_of, p)["B"]["current_spell_number"] == 2


def test_gap_D_plus_and_minus_one_second():
    # + 1 s: churn at 2024-04-09 00:00:00 and reactivation at 00:00:01, same day
    p, valid, _, _, as_of = build(
        [row(1, "B", "2024-01-10 00:00:00"), row(2, "B", "2024-04-09 00:00:01")],
        dt(2024, 8, 1))
    day = period_metrics(valid, as_of, p, grains=("day",))[("day", date(2024, 4, 9))]
    assert day["churn_events"] == 1 and day["reactivation_events"] == 1
    assert day["customers_at_start"] == 1 and day["retained_customers"] == 0
    # - 1 s: one spell
    p, valid, _, _, as_of = build(
        [row(1, "B", "2024-01-10 00:00:00"), row(2, "B", "2024-04-08 23:59:59")],
        dt(2024, 8, 1))
    pm = period_metrics(valid, as_of, p, grains=("day",))
    assert pm[("day", date(2024, 4, 8))]["reactivation_events"] == 0
    assert pm[("day", date(2024, 4, 9))]["churn_events"] == 0


def test_same_instant_orders_are_one_event():
    # two orders at the same instant after a long gap: one reactivation, one churn
    p, valid, _, _, as_of = build(
        [row(1, "C", "2024-01-01"), row(2, "C", "2024-06-01"), row(3, "C", "2024-06-01")],
        dt(2025, 1, 1))
    pm = period_metrics(valid, as_of, p, grains=("year",))
    y = pm[("year", date(2024, 1, 1))]
    # new 01-01; churn 03-31 (31+29+31-1 = 90); reactivation 06-01; churn 08-30
    assert y["new_customers"] == 1
    assert y["reactivation_events"] == 1
    assert y["churn_events"] == 2 and y["churned_customers"] == 1
    assert y["orders"] == 3
    alerts = churn_alerts(valid, as_of, p)
    # alerts: 2024-01-01 + 60 d = 03-01 (lapsed), 06-01 + 60 d = 07-31 (lapsed)
    assert [(a["alert_at"], a["order_id"], a["outcome"]) for a in alerts] == [
        (dt(2024, 3, 1), "1", "lapsed"), (dt(2024, 7, 31), "3", "lapsed")]


# ---------------------------------------------------------------------------
# §5 worked example 4
# ---------------------------------------------------------------------------
def test_example4_first_order_on_boundary():
    orders = [row(1, "D4", "2024-03-01 00:00:00")]
    p, valid, _, _, as_of = build(orders, dt(2024, 5, 1))
    assert customer_state(valid, dt(2024, 3, 1), p) is None
    assert not ref.is_active([dt(2024, 3, 1)], dt(2024, 3, 1), p)
    assert customer_state(valid, dt(2024, 4, 1), p) == "active"  # 31 days > new_days
    pm = period_metrics(valid, as_of, p, grains=("month", "day"))
    march = pm[("month", date(2024, 3, 1))]
    assert march["customers_at_start"] == 0
    assert march["new_customers"] == 1
    assert march["customers_at_end"] == 1
    assert pm[("month", date(2024, 4, 1))]["customers_at_start"] == 1
    assert pm[("day", date(2024, 3, 1))]["new_customers"] == 1
    assert pm[("day", date(2024, 3, 1))]["customers_at_start"] == 0
    assert min(k for k in pm if k[0] == "month") == ("month", date(2024, 3, 1))
    # default metrics_as_of: 00:00 UTC of the next day
    _, _, _, _, default_as_of = build(orders)
    assert default_as_of == dt(2024, 3, 2)


# ---------------------------------------------------------------------------
# §1 cleaning
# ---------------------------------------------------------------------------
def test_cleaning_versions_and_reasons():
    rows = [
        row("o1", "c1", "2024-01-05 10:00:00", "pending", updated="2024-01-05 10:00:00"),   # 0 superseded
        row("o1", "c1", "2024-01-05 10:00:00", "completed", updated="2024-01-06 09:00:00"), # 1 wins (latest)
        row("o1", "c1", "2024-01-05 10:00:00", "cancelled", updated=""),                    # 2 superseded (no updated_at)
        row("o2", "c1", "2024-01-07 00:00:00", amount="5.00", updated="2024-01-07 00:00:00"),  # 3 tie ->
        row("o2", "c1", "2024-01-07 00:00:00", amount="7.00", updated="2024-01-07T08:00:00+08:00"),  # 4 later in file wins
        row("", "c1", "2024-01-08"),                                     # 5 missing_order_id
        row("", "c1", "2024-01-08"),                                     # 6 missing_order_id (not deduplicated)
        row("o3", " ", "2024-01-08"),                                    # 7 missing_customer_id
        row("o4", "c2", "garbage"),                                      # 8 unparseable_ordered_at
        row("o5", "c2", "2024-01-09T23:30:00-01:00", " Shipped "),       # 9 valid, = 2024-01-10 00:30 UTC
        row("o6", "c2", "2024-01-09", amount="-1.00"),                   # 10 negative_amount
        row("o7", "c2", "2024-01-09", amount="10.00", refund="10.00"),   # 11 not_positive_net_amount
        row("o8", "c2", "2024-01-09", amount="10.00", refund="3"),       # 12 valid, net 7
        row("o9", "c2", "2024-01-09", status="refunded"),                # 13 status_not_counted
        row("o10", "c2", "", amount="1"),                                # 14 missing_ordered_at
        row("o11", "c2", "2024-01-09", amount="abc"),                    # 15 invalid_amount
        row("o12", "c2", "2024-01-09", status=""),                       # 16 status_not_counted (empty)
        row("o13", "c2", "2024-01-09", amount="0"),                      # 17 not_positive_net_amount
        row("o14", "c2", "2024-02-30"),                                  # 18 unparseable_ordered_at
    ]
    p, valid, sup, rej, as_of = build(rows)
    assert len(rows) == len(valid) + len(sup) + len(rej)
    assert [o.row_number for o in valid] == [1, 4, 9, 12]
    assert [s["row_number"] for s in sup] == [0, 2, 3]
    assert {r["row_number"]: r["reason"] for r in rej} == {
        5: "missing_order_id", 6: "missing_order_id", 7: "missing_customer_id",
        8: "unparseable_ordered_at", 10: "negative_amount",
        11: "not_positive_net_amount", 13: "status_not_counted",
        14: "missing_ordered_at", 15: "invalid_amount", 16: "status_not_counted",
        17: "not_positive_net_amount", 18: "unparseable_ordered_at",
    }
    by_id = {o.order_id: o for o in valid}
    assert by_id["o2"].amount == Decimal("7.00")
    assert by_id["o5"].ordered_at == dt(2024, 1, 10, 0, 30)
    assert by_id["o5"].status == "shipped"
    assert by_id["o8"].net_amount == Decimal("7.00")
    # default as_of: latest valid ordered_at is 2024-01-10 00:30 UTC -> 2024-01-11
    assert as_of == dt(2024, 1, 11)


def test_latest_version_decides_validity():
    # the latest version is cancelled: the order is rejected although an older
    # version was completed; and the reverse
    rows = [
        row("a", "c", "2024-01-01", "completed", updated="2024-01-01 00:00:00"),
        row("a", "c", "2024-01-01", "cancelled", updated="2024-01-02 00:00:00"),
        row("b", "c", "2024-01-03", "cancelled", updated="2024-01-04 00:00:00"),
        row("b", "c", "2024-01-05", "completed", updated="2024-01-04 00:00:00"),  # tie: later row
    ]
    p, valid, sup, rej, as_of = build(rows)
    assert [(o.order_id, o.ordered_at) for o in valid] == [("b", dt(2024, 1, 5))]
    assert [s["row_number"] for s in sup] == [0, 2]
    assert [(r["row_number"], r["reason"]) for r in rej] == [(1, "status_not_counted")]
    assert as_of == dt(2024, 1, 6)


def test_no_status_column_counts_completed_and_no_updated_at():
    rows = [
        {"order_id": "1", "customer_id": "c", "ordered_at": "2024-01-01", "amount": "3"},
        {"order_id": "1", "customer_id": "c", "ordered_at": "2024-01-02", "amount": "4"},
    ]
    p, valid, sup, rej, as_of = build(rows)
    assert len(valid) == 1 and valid[0].amount == Decimal(4) and valid[0].row_number == 1
    assert valid[0].refunded_amount == 0
    assert [s["row_number"] for s in sup] == [0] and rej == []


def test_metrics_as_of_rejects_orders_not_before_it():
    rows = [row(1, "c", "2024-01-01"), row(2, "c", "2024-02-01 00:00:00"),
            row(3, "c", "2024-02-01T08:00:00+08:00"),   # = 2024-02-01 00:00 UTC
            row(4, "c", "2024-01-31 23:59:59")]
    p, valid, sup, rej, as_of = build(rows, dt(2024, 2, 1))
    assert as_of == dt(2024, 2, 1)
    assert [o.order_id for o in valid] == ["1", "4"]
    assert [(r["order_id"], r["reason"]) for r in rej] == [
        ("2", "not_before_metrics_as_of"), ("3", "not_before_metrics_as_of")]


def test_default_as_of_ignores_invalid_rows():
    rows = [row(1, "c", "2024-03-20 15:00:00"),
            row(2, "c", "2024-05-01", status="cancelled"),
            row(3, "c", "2024-03-21T01:00:00+08:00")]   # 2024-03-20 17:00 UTC
    _, valid, _, _, as_of = build(rows)
    assert as_of == dt(2024, 3, 21)
    assert len(valid) == 2


def test_parse_timestamp_forms():
    assert parse_timestamp("2024-01-10") == dt(2024, 1, 10)
    assert parse_timestamp("2024-01-10T05:06:07Z") == dt(2024, 1, 10, 5, 6, 7)
    assert parse_timestamp("2024-01-10 05:06:07") == dt(2024, 1, 10, 5, 6, 7)
    assert parse_timestamp("2024-01-10T08:00:00+08:00") == dt(2024, 1, 10)
    assert parse_timestamp("2024-01-09T19:00:00-05:00") == dt(2024, 1, 10)
    assert parse_timestamp("2024-01-10T05:30:00+0530") == dt(2024, 1, 10)
    assert parse_timestamp("2024-01-10 05:06") == dt(2024, 1, 10, 5, 6)
    assert parse_timestamp("2024-01-10T05:06:07.250") == dt(2024, 1, 10, 5, 6, 7, 250000)
    for bad in ["", "garbage", "2024-02-30", "2024-13-01", "10/01/2024", "2024-01-10T25:00:00"]:
        assert parse_timestamp(bad) is None


def test_customer_with_only_rejected_orders():
    rows = [row(1, "good", "2024-01-01"),
            row(2, "bad", "2024-01-02", status="cancelled"),
            row(3, "bad", "2024-01-03", amount="5", refund="5"),
            row(4, "bad", "not a date")]
    p, valid, sup, rej, as_of = build(rows, dt(2024, 3, 1))
    assert len(rows) == len(valid) + len(sup) + len(rej)
    assert {o.customer_id for o in valid} == {"good"}
    assert len(rej) == 3 and {r["customer_id"] for r in rej} == {"bad"}
    assert set(customer_summary(valid, as_of, p)) == {"good"}
    assert set(customer_states_at(valid, as_of, p)) == {"good"}
    pm = period_metrics(valid, as_of, p)
    for g in ref.GRAINS:
        assert sum(v["new_customers"] for (gg, _), v in pm.items() if gg == g) == 1
    assert pm[("month", date(2024, 1, 1))]["ordering_customers"] == 1
    assert cohort_retention(valid, as_of, p)[("month", date(2024, 1, 1), 0)]["cohort_size"] == 1


# ---------------------------------------------------------------------------
# §7 churn alerts, one of each outcome
# ---------------------------------------------------------------------------
ALERT_ROWS = [
    # won_back, outside the window: 2024-01-01 -> 03-15 (74 days: 60 < 74 <= 90)
    row(1, "won", "2024-01-01"), row(2, "won", "2024-03-15"),
    # won_back inside the window: 03-02 12:00 <= respond_by 03-04 00:00
    row(3, "fast", "2024-01-01"), row(4, "fast", "2024-03-02 12:00:00"),
    # open: 04-15 + 60 d = 06-14 < as_of, 04-15 + 90 d = 07-14 >= as_of
    row(5, "open", "2024-04-15"),
    # no alert: next order exactly 60 days later (04-01 + 30 + 30 = 05-31)
    row(6, "none", "2024-04-01"), row(7, "none", "2024-05-31"),
    # alert at 05-31 00:00:00, won back one second later
    row(8, "sec", "2024-04-01"), row(9, "sec", "2024-05-31 00:00:01"),
    # lapsed although there is a next order (105 days > 90), then open
    row(10, "react", "2024-01-01"), row(11, "react", "2024-04-15"),
]
ALERT_AS_OF = dt(2024, 7, 1)


def test_churn_alert_outcomes():
    p, valid, _, _, as_of = build(ALERT_ROWS, ALERT_AS_OF)
    got = {(a["customer_id"], a["order_id"]): a for a in churn_alerts(valid, as_of, p)}
    # 2024-01-01 + 60 d = 2024-03-01 (31 + 29); respond_by + 72 h = 03-04 00:00
    won = got[("won", "1")]
    assert won["alert_at"] == dt(2024, 3, 1) and won["respond_by"] == dt(2024, 3, 4)
    assert won["outcome"] == "won_back" and won["resolved_at"] == dt(2024, 3, 15)
    assert won["is_won_back_in_response_window"] is False
    # 03-15 + 60 d = 05-14 (16 + 30 + 14); lapsed at 03-15 + 90 d = 06-13
    won2 = got[("won", "2")]
    assert (won2["alert_at"], won2["outcome"], won2["resolved_at"]) == (
        dt(2024, 5, 14), "lapsed", dt(2024, 6, 13))
    fast = got[("fast", "3")]
    assert fast["outcome"] == "won_back" and fast["resolved_at"] == dt(2024, 3, 2, 12)
    assert fast["is_won_back_in_response_window"] is True
    # 03-02 12:00 + 60 d = 05-01 12:00; + 90 d = 05-31 12:00 < as_of -> lapsed
    fast2 = got[("fast", "4")]
    assert (fast2["alert_at"], fast2["outcome"], fast2["resolved_at"]) == (
        dt(2024, 5, 1, 12), "lapsed", dt(2024, 5, 31, 12))
    opn = got[("open", "5")]
    assert opn["alert_at"] == dt(2024, 6, 14) and opn["outcome"] == "open"
    assert opn["resolved_at"] is None and opn["is_won_back_in_response_window"] is False
    assert not any(c == "none" for c, _ in got)   # 05-31 + 60 d = 07-30 >= as_of too
    sec = got[("sec", "8")]
    assert sec["alert_at"] == dt(2024, 5, 31) and sec["outcome"] == "won_back"
    assert sec["resolved_at"] == dt(2024, 5, 31, 0, 0, 1)
    assert sec["is_won_back_in_response_window"] is True
    assert ("sec", "9") not in got                # 07-30 >= as_of
    r1 = got[("react", "10")]
    assert (r1["alert_at"], r1["outcome"], r1["resolved_at"]) == (
        dt(2024, 3, 1), "lapsed", dt(2024, 3, 31))   # 01-01 + 90 d = 03-31
    assert got[("react", "11")]["outcome"] == "open"  # alert 06-14, dormant 07-14
    assert len(got) == 8


def test_win_back_rates():
    p, valid, _, _, as_of = build(ALERT_ROWS, ALERT_AS_OF)
    wb = win_back_rates(churn_alerts(valid, as_of, p), as_of, p)
    # March: won(1) won_back, fast(3) won_back, react(10) lapsed -> 2 / 3
    assert wb[("month", date(2024, 3, 1))] == dict(
        won_back=2, lapsed=1, open=0, win_back_rate=pytest.approx(2 / 3))
    # May: won(2) lapsed, fast(4) lapsed, sec(8) won_back -> 1 / 3
    assert wb[("month", date(2024, 5, 1))] == dict(
        won_back=1, lapsed=2, open=0, win_back_rate=pytest.approx(1 / 3))
    # June: open(5), react(11), both open -> NULL
    assert wb[("month", date(2024, 6, 1))] == dict(
        won_back=0, lapsed=0, open=2, win_back_rate=None)
    assert wb[("year", date(2024, 1, 1))]["win_back_rate"] == pytest.approx(3 / 6)
    assert ("month", date(2024, 4, 1)) not in wb


# ---------------------------------------------------------------------------
# §6 customer state
# ---------------------------------------------------------------------------
def test_customer_state_boundaries():
    p = Params()
    one = timedelta(seconds=1)
    orders = [dt(2024, 4, 15)]
    assert customer_state(orders, dt(2024, 4, 15), p) is None
    assert customer_state(orders, dt(2024, 4, 15) + one, p) == "new"
    assert customer_state(orders, dt(2024, 5, 15), p) == "new"          # exactly 30 d
    assert customer_state(orders, dt(2024, 5, 15) + one, p) == "active"
    assert customer_state(orders, dt(2024, 6, 14), p) == "active"       # exactly 60 d
    assert customer_state(orders, dt(2024, 6, 14) + one, p) == "at_risk"
    assert customer_state(orders, dt(2024, 7, 14), p) == "at_risk"      # exactly 90 d
    assert customer_state(orders, dt(2024, 7, 14) + one, p) == "dormant"
    # second spell: 2024-01-01 then 2024-04-15 (105 days)
    two = [dt(2024, 1, 1), dt(2024, 4, 15)]
    assert customer_state(two, dt(2024, 4, 15), p) == "dormant"
    assert customer_state(two, dt(2024, 4, 15) + one, p) == "reactivated"
    assert customer_state(two, dt(2024, 5, 15), p) == "reactivated"
    assert customer_state(two, dt(2024, 5, 16), p) == "active"
    # a repeat order inside the first spell keeps "new" tied to the first order
    rep = [dt(2024, 1, 1), dt(2024, 1, 20)]
    assert customer_state(rep, dt(2024, 1, 25), p) == "new"
    assert customer_state(rep, dt(2024, 2, 5), p) == "active"           # 35 d after first


def test_customer_summary_and_states():
    p, valid, _, _, as_of = build(ALERT_ROWS, ALERT_AS_OF)
    s = customer_summary(valid, as_of, p)
    # as_of 2024-07-01: open last 04-15 (77 d) at_risk; react spell 2 at_risk;
    # won last 03-15 (108 d) dormant; none last 05-31 (31 d) active
    assert s["open"]["current_state"] == "at_risk"
    assert s["react"]["current_state"] == "at_risk"
    assert s["react"]["current_spell_number"] == 2
    assert s["won"]["current_state"] == "dormant"
    assert s["none"]["current_state"] == "active"
    assert s["won"]["order_count"] == 2 and s["won"]["net_revenue"] == Decimal("20.00")
    assert s["won"]["first_ordered_at"] == dt(2024, 1, 1)
    assert s["won"]["last_ordered_at"] == dt(2024, 3, 15)
    assert customer_states_at(valid, as_of, p) == {c: v["current_state"] for c, v in s.items()}


# ---------------------------------------------------------------------------
# §8 cohorts and time zones
# ---------------------------------------------------------------------------
def test_cohort_retention():
    rows = [row(1, "X", "2024-01-15"), row(2, "X", "2024-03-05", amount="4.00"),
            row(3, "Y", "2024-01-20"),
            row(4, "Z", "2024-02-10"), row(5, "Z", "2024-02-20")]
    p, valid, _, _, as_of = build(rows, dt(2024, 3, 10))
    c = cohort_retention(valid, as_of, p)
    jan, feb = date(2024, 1, 1), date(2024, 2, 1)
    assert c[("month", jan, 0)] == dict(cohort_size=2, ordering_customers=2,
                                        cohort_retention_rate=1.0, is_complete=True,
                                        net_revenue=Decimal("20.00"))
    assert c[("month", jan, 1)]["ordering_customers"] == 0
    assert c[("month", jan, 1)]["cohort_retention_rate"] == 0.0
    assert c[("month", jan, 2)]["ordering_customers"] == 1
    assert c[("month", jan, 2)]["cohort_retention_rate"] == 0.5
    assert c[("month", jan, 2)]["is_complete"] is False
    assert c[("month", jan, 2)]["net_revenue"] == Decimal("4.00")
    assert ("month", jan, 3) not in c
    assert c[("month", feb, 0)]["cohort_size"] == 1
    assert c[("month", feb, 0)]["net_revenue"] == Decimal("20.00")
    assert c[("month", feb, 1)]["cohort_retention_rate"] == 0.0
    assert ("month", feb, 2) not in c
    assert c[("quarter", jan, 0)]["cohort_size"] == 3
    assert c[("quarter", jan, 0)]["is_complete"] is False
    # 2024-01-15 is a Monday; 2024-01-20 is in the same ISO week
    assert c[("week", date(2024, 1, 15), 0)]["cohort_size"] == 2
    # X's 03-05 order is in week 2024-03-04 = 7 weeks after 01-15
    assert c[("week", date(2024, 1, 15), 7)]["ordering_customers"] == 1


def test_reporting_timezone_boundaries():
    # 2024-01-31 17:00 UTC = 2024-02-01 01:00 in Asia/Shanghai (+08:00)
    rows = [row(1, "c", "2024-01-31T17:00:00Z")]
    p, valid, _, _, as_of = build(rows, dt(2024, 3, 1), reporting_timezone="Asia/Shanghai")
    pm = period_metrics(valid, as_of, p)
    assert ("month", date(2024, 1, 1)) not in pm
    feb = pm[("month", date(2024, 2, 1))]
    # February (local) ends at 2024-03-01 00:00 +08:00 = 2024-02-29 16:00 UTC,
    # before as_of 2024-03-01 00:00 UTC: complete
    assert feb["new_customers"] == 1 and feb["is_complete"] is True
    # March 1st local starts at 2024-02-29 16:00 UTC < as_of: present, incomplete
    mar = pm[("month", date(2024, 3, 1))]
    assert mar["is_complete"] is False and mar["customers_at_start"] == 1
    assert pm[("day", date(2024, 2, 1))]["orders"] == 1
    assert pm[("week", date(2024, 1, 29))]["orders"] == 1


def test_periods_present_with_zeros_and_completeness():
    rows = [row(1, "c", "2024-01-31 10:00:00"), row(2, "c", "2024-03-02 10:00:00")]
    p, valid, _, _, as_of = build(rows)
    assert as_of == dt(2024, 3, 3)
    pm = period_metrics(valid, as_of, p)
    months = sorted(k[1] for k in pm if k[0] == "month")
    assert months == [date(2024, 1, 1), date(2024, 2, 1), date(2024, 3, 1)]
    feb = pm[("month", date(2024, 2, 1))]
    assert feb["orders"] == 0 and feb["customers_at_start"] == 1 and feb["is_complete"]
    days = sorted(k[1] for k in pm if k[0] == "day")
    assert days[0] == date(2024, 1, 31) and days[-1] == date(2024, 3, 2)
    assert len(days) == 1 + 29 + 2
    assert pm[("day", date(2024, 3, 2))]["is_complete"] is True
    assert pm[("month", date(2024, 3, 1))]["is_complete"] is False
    # old at 03-01 (first order 01-31) and ordered in March: a repeat customer;
    # not old at the start of Q1 (first order 01-31 > 01-01): no repeat in Q1
    assert pm[("month", date(2024, 3, 1))]["repeat_customers"] == 1
    assert pm[("month", date(2024, 3, 1))]["repeat_purchase_rate"] == 1.0
    assert pm[("quarter", date(2024, 1, 1))]["repeat_customers"] == 0
    assert pm[("quarter", date(2024, 1, 1))]["ordering_customers"] == 1


# ---------------------------------------------------------------------------
# Properties of the reference on random histories (the §4 identities)
# ---------------------------------------------------------------------------
@settings(max_examples=150, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(raw_histories())
def test_identities_on_random_histories(history):
    rows, metrics_as_of = history
    p = Params(metrics_as_of=metrics_as_of)
    valid, sup, rej, as_of = clean_orders(rows, p)
    assert len(rows) == len(valid) + len(sup) + len(rej)
    if not valid:
        return
    assert all(o.ordered_at < as_of for o in valid)
    pm = period_metrics(valid, as_of, p)
    by_c = ref._by_customer(valid)
    for (grain, ps_d), m in pm.items():
        ps = ref.local_midnight_utc(ps_d, p.tz)
        pe = ref.local_midnight_utc(m["period_end"], p.tz)
        end = min(pe, as_of)
        assert ps < as_of
        cs, ce = m["customers_at_start"], m["customers_at_end"]
        assert ce == cs + m["new_customers"] + m["reactivation_events"] - m["churn_events"]
        if pe - ps <= p.D:
            assert ce == cs + m["new_customers"] + m["reactivated_customers"] - m["churned_customers"]
        assert m["retained_customers"] <= cs
        assert cs - m["retained_customers"] <= m["churned_customers"]
        assert m["dormant_customers_at_start"] >= 0
        assert m["repeat_customers"] <= m["ordering_customers"]
        # retained, second reading: active at ps and end, no churn in [ps, end)
        alt = 0
        for c, os in by_c.items():
            ts = ref._instants(os)
            if (ref.is_active(ts, ps, p) and ref.is_active(ts, end, p)
                    and not any(ps <= u < end for u in ref.churn_instants(ts, p, as_of))):
                alt += 1
        assert alt == m["retained_customers"]
    for g in ref.GRAINS:
        rows_g = [m for (gg, _), m in pm.items() if gg == g]
        assert sum(m["new_customers"] for m in rows_g) == len(by_c)
        assert sum(m["orders"] for m in rows_g) == len(valid)
        assert sum(m["net_revenue"] for m in rows_g) == sum(o.net_amount for o in valid)
    # alerts: at_risk right after alert_at
    for a in churn_alerts(valid, as_of, p):
        t = a["alert_at"] + timedelta(microseconds=1)
        assert customer_state(by_c[a["customer_id"]], t, p) == "at_risk"
        assert a["outcome"] in ("won_back", "lapsed", "open")
    for (g, cohort, k), cell in cohort_retention(valid, as_of, p).items():
        if k == 0:
            assert cell["cohort_retention_rate"] == 1.0
    summ = customer_summary(valid, as_of, p)
    assert sum(v["order_count"] for v in summ.values()) == len(valid)
