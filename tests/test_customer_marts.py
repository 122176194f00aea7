"""Hand-computed examples for the customer marts: RFM, value tiers and CLV (dim_customers), churn alerts and
win-back rates (fct_churn_alerts, fct_lifecycle_metrics), cohort retention (fct_cohort_retention).

Every expected value below is worked out by hand in the comments, from METRICS.md and the model descriptions.
"""

from __future__ import annotations

from datetime import date, datetime

import pytest

from conftest import query, raw_order as order


@pytest.fixture(scope="module")
def rfm_db(build_from_rows):
    """Five customers, metrics_as_of 2024-07-01 (D = 90, A = 60, new = 30 days)."""
    rows = [
        order("1", "c1", "2024-06-20", "100.00"),  # recency 11 days, 1 order, 100
        order("2", "c2", "2024-01-10", "50.00"),  # recency 113 days, 3 orders, 150
        order("3", "c2", "2024-02-10", "50.00"),
        order("4", "c2", "2024-03-10", "50.00"),
        order("5", "c3", "2024-05-01", "20.00"),  # recency 30 days, 2 orders, 40
        order("6", "c3", "2024-06-01", "20.00"),
        order("7", "c4", "2024-04-15", "300.00"),  # recency 77 days, 1 order, 300
        order("8", "c5", "2024-06-25", "10.00"),  # recency 3 days, 4 orders, 40
        order("9", "c5", "2024-06-26", "10.00"),
        order("10", "c5", "2024-06-27", "10.00"),
        order("11", "c5", "2024-06-28", "10.00"),
    ]
    return build_from_rows(rows, metrics_as_of="2024-07-01")


def customers(db_path) -> dict[str, dict]:
    return {row["customer_id"]: row for row in query(db_path, "select * from dim_customers")}


def test_rfm_scores_and_segments(rfm_db):
    # n = 5, score = ceil(5 k / n) = k, k = customers whose value is no better (ties included).
    # R (fewer days is better): c2 113 -> 1, c4 77 -> 2, c3 30 -> 3, c1 11 -> 4, c5 3 -> 5.
    # F: c1 and c4 tie at 1 order -> k = 2 -> both 2; c3 2 orders -> 3; c2 3 -> 4; c5 4 -> 5.
    # M: c3 and c5 tie at 40 -> both 2; c1 100 -> 3; c2 150 -> 4; c4 300 -> 5.
    # fm = ceil((f + m) / 2): c1 ceil(2.5) = 3, c2 4, c3 ceil(2.5) = 3, c4 ceil(3.5) = 4, c5 ceil(3.5) = 4.
    # Segments (first match in seed order): c1 (R4, FM3) Loyal Customers; c2 (R1, FM4) Can't Lose Them;
    # c3 (R3, FM3) Loyal Customers; c4 (R2, FM4) At Risk; c5 (R5, FM4) Champions.
    expected = {
        "c1": (11, 1, 100, 4, 2, 3, 3, "Loyal Customers"),
        "c2": (113, 3, 150, 1, 4, 4, 4, "Can't Lose Them"),
        "c3": (30, 2, 40, 3, 3, 2, 3, "Loyal Customers"),
        "c4": (77, 1, 300, 2, 2, 5, 4, "At Risk"),
        "c5": (3, 4, 40, 5, 5, 2, 4, "Champions"),
    }
    actual = customers(rfm_db)
    for customer_id, (recency, frequency, monetary, r, f, m, fm, segment) in expected.items():
        row = actual[customer_id]
        assert (row["recency_days"], row["frequency"], float(row["monetary"])) == (recency, frequency, monetary)
        assert (row["r_score"], row["f_score"], row["m_score"], row["fm_score"]) == (r, f, m, fm), customer_id
        assert row["rfm_segment"] == segment, customer_id


def test_value_tiers(rfm_db):
    # By monetary, highest first: c4 300 (1 of 5 = 20% -> high), c2 150 (40% <= 50% -> medium),
    # c1 100 (60% -> low), c3 and c5 tied at 40 (100% -> low).
    tiers = {customer_id: row["value_tier"] for customer_id, row in customers(rfm_db).items()}
    assert tiers == {"c4": "high", "c2": "medium", "c1": "low", "c3": "low", "c5": "low"}


def test_states_and_clv(rfm_db):
    # States at 2024-07-01: c1 new (first order 11 days ago), c2 dormant (113 > 90), c3 active (spell started
    # 61 days ago, last order 30 days ago), c4 at_risk (77 > 60), c5 new.
    # orders_per_year = orders / (max(tenure days, 30) / 365.25); tenure from the first order to 2024-07-01:
    # c1 11 -> 30, c2 173, c3 61, c4 77, c5 6 -> 30. value_at_risk = aov * orders_per_year;
    # predicted_12m_value = value_at_risk * weight (new, active 1; at_risk 0.5; dormant 0).
    expected = {
        "c1": ("new", 100.0, 1 / (30 / 365.25), 1.0),
        "c2": ("dormant", 50.0, 3 / (173 / 365.25), 0.0),
        "c3": ("active", 20.0, 2 / (61 / 365.25), 1.0),
        "c4": ("at_risk", 300.0, 1 / (77 / 365.25), 0.5),
        "c5": ("new", 10.0, 4 / (30 / 365.25), 1.0),
    }
    actual = customers(rfm_db)
    for customer_id, (state, aov, orders_per_year, weight) in expected.items():
        row = actual[customer_id]
        assert row["current_state"] == state, customer_id
        assert row["average_order_value"] == pytest.approx(aov)
        assert row["orders_per_year"] == pytest.approx(orders_per_year)
        assert row["value_at_risk"] == pytest.approx(aov * orders_per_year)
        assert row["predicted_12m_value"] == pytest.approx(aov * orders_per_year * weight)
        assert float(row["historical_clv"]) == pytest.approx(float(row["net_revenue"]))
    # c4 at_risk: 300 * 365.25 / 77 = 1423.05... halved
    assert actual["c4"]["predicted_12m_value"] == pytest.approx(711.5260, abs=1e-3)


@pytest.fixture(scope="module")
def alerts_db(build_from_rows):
    """metrics_as_of 2024-07-01, A = 60, D = 90, response window 72 hours."""
    rows = [
        order("1", "lapsed", "2024-03-10"),
        order("2", "open", "2024-04-15"),
        order("3", "won", "2024-01-01"),
        order("4", "won", "2024-03-02 12:00:00"),
        order("5", "won_late", "2024-01-01"),
        order("6", "won_late", "2024-03-05"),
        order("7", "no_alert", "2024-06-01"),
    ]
    return build_from_rows(rows, metrics_as_of="2024-07-01")


def test_churn_alert_outcomes(alerts_db):
    # lapsed: 03-10 + 60 d = 05-09 alert; no next order and 03-10 + 90 d = 06-08 < as_of -> lapsed at 06-08.
    # open: 04-15 + 60 d = 06-14 alert, respond by 06-17; 04-15 + 90 d = 07-14 is after as_of -> open.
    # won: 01-01 -> 03-02 12:00 is 61.5 days (> 60): alert 03-01, respond by 03-04; next order within 90 days
    #   and before respond_by -> won_back in the window. Then 03-02 12:00 + 60 d = 05-01 12:00 alert, lapsed at
    #   05-31 12:00.
    # won_late: 01-01 -> 03-05 is 64 days: alert 03-01, won back on 03-05 but after respond_by 03-04; then
    #   03-05 + 60 d = 05-04 alert, lapsed at 06-03.
    # no_alert: 06-01 + 60 d = 07-31 is after as_of.
    rows = query(
        alerts_db,
        "select customer_id, alert_at, respond_by, outcome, resolved_at, is_won_back_in_response_window "
        "from fct_churn_alerts order by customer_id, alert_at",
    )
    assert [tuple(row.values()) for row in rows] == [
        ("lapsed", datetime(2024, 5, 9), datetime(2024, 5, 12), "lapsed", datetime(2024, 6, 8), False),
        ("open", datetime(2024, 6, 14), datetime(2024, 6, 17), "open", None, False),
        ("won", datetime(2024, 3, 1), datetime(2024, 3, 4), "won_back", datetime(2024, 3, 2, 12), True),
        ("won", datetime(2024, 5, 1, 12), datetime(2024, 5, 4, 12), "lapsed", datetime(2024, 5, 31, 12), False),
        ("won_late", datetime(2024, 3, 1), datetime(2024, 3, 4), "won_back", datetime(2024, 3, 5), False),
        ("won_late", datetime(2024, 5, 4), datetime(2024, 5, 7), "lapsed", datetime(2024, 6, 3), False),
    ]


def test_win_back_rate_per_period(alerts_db):
    # Alerts by the month of alert_at: March 2 won back -> 2 / 2; May 3 lapsed -> 0 / 3; June 1 open -> NULL.
    rows = {
        row["period_start"]: row
        for row in query(alerts_db, "select * from fct_lifecycle_metrics where grain = 'month'")
    }
    assert (rows[date(2024, 3, 1)]["won_back_alerts"], rows[date(2024, 3, 1)]["win_back_rate"]) == (2, 1.0)
    assert (rows[date(2024, 5, 1)]["lapsed_alerts"], rows[date(2024, 5, 1)]["win_back_rate"]) == (3, 0.0)
    assert (rows[date(2024, 6, 1)]["open_alerts"], rows[date(2024, 6, 1)]["win_back_rate"]) == (1, None)
    quarter = query(
        alerts_db,
        "select * from fct_lifecycle_metrics where grain = 'quarter' and period_start = '2024-04-01'",
    )[0]
    # Q2: the three May alerts lapsed and the June one is open -> 0 / 3
    assert (quarter["churn_alerts"], quarter["win_back_rate"]) == (4, 0.0)


def test_open_alert_work_list(alerts_db):
    rows = query(alerts_db, "select customer_id, priority_rank, current_state from fct_open_churn_alerts")
    assert rows == [{"customer_id": "open", "priority_rank": 1, "current_state": "at_risk"}]


@pytest.fixture(scope="module")
def cohort_db(build_from_rows):
    rows = [
        order("1", "x1", "2024-01-05"),
        order("2", "x1", "2024-02-10"),
        order("3", "x1", "2024-03-15"),
        order("4", "x2", "2024-01-20"),
        order("5", "x2", "2024-03-01"),
        order("6", "x3", "2024-02-03"),
    ]
    return build_from_rows(rows, metrics_as_of="2024-04-01")


def test_cohort_retention_by_month(cohort_db):
    # January cohort {x1, x2}: January 2 of 2, February x1 (1 of 2), March x1 and x2 (2 of 2).
    # February cohort {x3}: February 1 of 1, March nobody. April starts at metrics_as_of: no cell.
    # Revenue per member of the January cohort: 20 / 2, 10 / 2, 20 / 2 -> cumulative 10, 15, 25.
    rows = query(
        cohort_db,
        "select cohort_period_start, periods_since_first, cohort_size, ordering_customers, cohort_retention_rate, "
        "cumulative_net_revenue_per_customer, is_complete "
        "from fct_cohort_retention where grain = 'month' order by 1, 2",
    )
    assert [tuple(row.values()) for row in rows] == [
        (date(2024, 1, 1), 0, 2, 2, 1.0, 10.0, True),
        (date(2024, 1, 1), 1, 2, 1, 0.5, 15.0, True),
        (date(2024, 1, 1), 2, 2, 2, 1.0, 25.0, True),
        (date(2024, 2, 1), 0, 1, 1, 1.0, 10.0, True),
        (date(2024, 2, 1), 1, 1, 0, 0.0, 10.0, True),
    ]


def test_cohort_retention_by_quarter(cohort_db):
    # One Q1 cohort of 3; Q2 starts at metrics_as_of, so only k = 0 exists.
    rows = query(
        cohort_db,
        "select cohort_period_start, periods_since_first, cohort_size, ordering_customers, is_complete "
        "from fct_cohort_retention where grain = 'quarter'",
    )
    assert [tuple(row.values()) for row in rows] == [(date(2024, 1, 1), 0, 3, 3, True)]
