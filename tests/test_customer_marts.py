"""Hand-computed examples for the customer marts: RFM, value tiers and predicted customer value (dim_customers),
churn alerts and win-back rates (fct_churn_alerts, fct_lifecycle_metrics), cohort retention (fct_cohort_retention).

Every expected value below is worked out by hand in the comments, from METRICS.md and the model descriptions.
"""

from __future__ import annotations

from datetime import date, datetime

import pytest

from conftest import query, raw_order as order


# Given BG/NBD and Gamma-Gamma parameters (var clv_parameters), in time units of one day, chosen so that the closed
# forms can be worked out by hand: with a + b - 1 = r the hypergeometric factor of E[Y(t)] is 2F1(0, a - 1; ...) = 1,
# so E[Y(t) | x, t_x, T] = (a + b + x - 1) / (a - 1) * (1 - (alpha + T) / (alpha + T + t)) * P(alive)
#                        = (2 + x) * t / (alpha + T + t) * P(alive), and the Gamma-Gamma mean p * gamma / (q - 1) = 10.
HAND_PARAMETERS = {
    "bg_nbd": {"r": 2, "alpha": 20, "a": 2, "b": 1},
    "gamma_gamma": {"p": 2, "q": 3, "gamma": 10},
}


@pytest.fixture(scope="module")
def rfm_db(build_from_rows):
    """Five customers, metrics_as_of 2024-07-01 (D = 90, A = 60, new = 30 days); the CLV models are given
    (HAND_PARAMETERS) in days (clv_time_unit_days 1) over a 30-day horizon."""
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
    return build_from_rows(
        rows, metrics_as_of="2024-07-01", clv_parameters=HAND_PARAMETERS, clv_time_unit_days=1, clv_horizon_days=30
    )


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


def test_states_and_historical_value(rfm_db):
    # States at 2024-07-01: c1 new (first order 11 days ago), c2 dormant (113 > 90), c3 active (spell started
    # 61 days ago, last order 30 days ago), c4 at_risk (77 > 60), c5 new. average_order_value = revenue / orders.
    expected = {"c1": ("new", 100.0), "c2": ("dormant", 50.0), "c3": ("active", 20.0), "c4": ("at_risk", 300.0),
                "c5": ("new", 10.0)}
    actual = customers(rfm_db)
    for customer_id, (state, aov) in expected.items():
        row = actual[customer_id]
        assert row["current_state"] == state, customer_id
        assert row["average_order_value"] == pytest.approx(aov)
        assert float(row["historical_clv"]) == pytest.approx(float(row["net_revenue"]))
    assert not {"orders_per_year", "value_at_risk", "predicted_12m_value"} & set(actual["c1"])


def test_clv_summary_in_whole_days(rfm_db):
    # metrics_as_of 2024-07-01 00:00 UTC: the last observed day L is 2024-06-30. In days (u = 1):
    # c1 one purchase day 06-20: x 0, t_x 0, T 10. c2 01-10, 02-10, 03-10: x 2, t_x 60 (21 + 29 + 10), T 172
    # (21 + 29 + 31 + 30 + 31 + 30), m 50. c3 05-01, 06-01: x 1, t_x 31, T 60, m 20. c4 04-15: x 0, T 76.
    # c5 06-25 to 06-28: x 3, t_x 3, T 5, m 10.
    summary = {row["customer_id"]: row for row in query(rfm_db, "select * from int_customers_clv_summarized")}
    expected = {"c1": (0, 0, 10, None), "c2": (2, 60, 172, 50), "c3": (1, 31, 60, 20), "c4": (0, 0, 76, None),
                "c5": (3, 3, 5, 10)}
    for customer_id, (x, t_x, age, m) in expected.items():
        row = summary[customer_id]
        assert (row["frequency"], row["recency"], row["age"], row["mean_repeat_value"]) == (x, t_x, age, m)


def test_predicted_customer_value_by_hand(rfm_db):
    # r = 2, alpha = 20, a = 2, b = 1; horizon t = 30 days.
    # P(alive) = 1 / (1 + [x > 0] * a / (b + x - 1) * ((alpha + T) / (alpha + t_x)) ** (r + x)):
    #   c1, c4 (x = 0): 1.  c2: 1 / (1 + 1 * (192 / 80) ** 4) = 1 / (1 + 33.1776) = 625 / 21361.
    #   c3: 1 / (1 + 2 * (80 / 51) ** 3) = 132651 / 1156651.  c5: 1 / (1 + 2 / 3 * (25 / 23) ** 5) = 19309029 / 38840279.
    # E = (2 + x) * 30 / (20 + T + 30) * P(alive):
    #   c1: 2 * 30 / 60 = 1.  c2: 4 * 30 / 222 * 625 / 21361.  c3: 3 * 30 / 110 * 132651 / 1156651.
    #   c4: 2 * 30 / 126 = 10 / 21.  c5: 5 * 30 / 55 * 19309029 / 38840279.
    # Gamma-Gamma p * (gamma + x * m) / (p * x + q - 1) = (10 + x * m) / (x + 1); x = 0: p * gamma / (q - 1) = 10:
    #   c1, c4: 10.  c2: (10 + 100) / 3.  c3: (10 + 20) / 2 = 15.  c5: (10 + 30) / 4 = 10.
    alive = {"c1": 1, "c2": 625 / 21361, "c3": 132651 / 1156651, "c4": 1, "c5": 19309029 / 38840279}
    purchases = {
        "c1": 1.0, "c2": 4 * 30 / 222 * alive["c2"], "c3": 3 * 30 / 110 * alive["c3"], "c4": 10 / 21,
        "c5": 5 * 30 / 55 * alive["c5"],
    }
    value = {"c1": 10.0, "c2": 110 / 3, "c3": 15.0, "c4": 10.0, "c5": 10.0}
    actual = customers(rfm_db)
    for customer_id in alive:
        row = actual[customer_id]
        assert row["probability_alive"] == pytest.approx(alive[customer_id], rel=1e-9), customer_id
        assert row["expected_purchases"] == pytest.approx(purchases[customer_id], rel=1e-9), customer_id
        assert row["expected_purchase_value"] == pytest.approx(value[customer_id], rel=1e-12), customer_id
        assert row["predicted_clv"] == pytest.approx(purchases[customer_id] * value[customer_id], rel=1e-9)
    # c2, 2.93 % alive after 113 days of silence, is worth 0.58 in the next 30 days; c5 13.56
    assert actual["c2"]["predicted_clv"] == pytest.approx(0.579907, abs=1e-6)
    parameters = query(rfm_db, "select distinct fit_status from clv_model_parameters where fitted_on = 'observation'")
    assert parameters == [{"fit_status": "given"}]


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


def test_open_alerts_rank_by_predicted_value(build_from_rows):
    # Three customers whose last order, 2024-04-27, raised a churn alert still open at metrics_as_of 2024-07-01
    # (A = 60, D = 90); the models are given (HAND_PARAMETERS, in days, 30-day horizon). L = 06-30.
    #   big:   04-27 (500). x 0, T 64: P 1, E = 2 * 30 / (20 + 64 + 30) = 60 / 114, value 10 -> 5.263
    #   loyal: 02-27, 03-28, 04-27 (40 each). x 2, t_x 60, T 124, m 40: P = 1 / (1 + (144 / 80) ** 4)
    #          = 1 / 11.4976, E = 4 * 30 / 174 * P, value (10 + 2 * 40) / 3 = 30 -> 1.7995
    #   small: 03-28 (1000), 04-27 (5). x 1, t_x 30, T 94, m 5 (the first day's value is not repeat spend):
    #          P = 1 / (1 + 2 * (114 / 50) ** 3) = 1 / 24.704704, E = 3 * 30 / 144 * P, value (10 + 5) / 2 = 7.5
    #          -> 0.18975
    # Ranked by predicted_clv: big, loyal, small — by historical value it would be small (1005), big, loyal.
    rows = [
        order("1", "big", "2024-04-27", "500.00"),
        order("2", "loyal", "2024-02-27", "40.00"),
        order("3", "loyal", "2024-03-28", "40.00"),
        order("4", "loyal", "2024-04-27", "40.00"),
        order("5", "small", "2024-03-28", "1000.00"),
        order("6", "small", "2024-04-27", "5.00"),
    ]
    db_path = build_from_rows(rows, metrics_as_of="2024-07-01", with_tests=False, clv_parameters=HAND_PARAMETERS,
                              clv_time_unit_days=1, clv_horizon_days=30)
    ranked = query(db_path, "select customer_id, priority_rank, predicted_clv, historical_clv "
                            "from fct_open_churn_alerts order by priority_rank")
    assert [row["customer_id"] for row in ranked] == ["big", "loyal", "small"]
    assert [row["priority_rank"] for row in ranked] == [1, 2, 3]
    assert ranked[0]["predicted_clv"] == pytest.approx(60 / 114 * 10, rel=1e-9)
    assert ranked[1]["predicted_clv"] == pytest.approx(4 * 30 / 174 / 11.4976 * 30, rel=1e-9)
    assert ranked[2]["predicted_clv"] == pytest.approx(3 * 30 / 144 / 24.704704 * 7.5, rel=1e-9)


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
