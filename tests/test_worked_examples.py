"""The worked examples of METRICS.md §5, as fixtures whose expected values are written by hand."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from conftest import query, raw_order as order


def metrics_row(db_path, grain: str, period_start: date) -> dict:
    rows = query(
        db_path,
        "select * from fct_lifecycle_metrics where grain = ? and period_start = ?",
        [grain, period_start],
    )
    assert len(rows) == 1, f"expected one {grain} row for {period_start}, got {len(rows)}"
    return rows[0]


def test_example_1_retention_rate(build_from_rows):
    """100 customers at start, 20 new in the period, 90 at end -> retention_rate = (90 - 20) / 100 = 70%.

    March 2024: 70 customers ordered on 2024-02-15 (active all March), 30 ordered on 2023-12-05 (active at
    March 1, churn on 2024-03-04 = 2023-12-05 + 90 days), 20 new customers order on 2024-03-10.
    """
    rows = []
    rows += [order(f"a{i}", f"stay{i}", "2024-02-15 12:00:00") for i in range(70)]
    rows += [order(f"b{i}", f"leave{i}", "2023-12-05 12:00:00") for i in range(30)]
    rows += [order(f"c{i}", f"new{i}", "2024-03-10 12:00:00") for i in range(20)]
    db_path = build_from_rows(rows, metrics_as_of="2024-04-01")

    march = metrics_row(db_path, "month", date(2024, 3, 1))
    assert march["customers_at_start"] == 100
    assert march["new_customers"] == 20
    assert march["customers_at_end"] == 90
    assert march["churned_customers"] == 30
    assert march["retention_rate"] == pytest.approx(0.70)
    # the strict rate agrees here because nobody was reactivated: 70 of the 100 stayed within their spell
    assert march["retained_customers"] == 70
    assert march["base_retention_rate"] == pytest.approx(0.70)


def test_example_2_reactivation_rate(build_from_rows):
    """1,000 old customers at start, 200 of them reactivated in the period -> reactivation_rate = 20%.

    1,000 customers first ordered on 2023-01-10 (dormant from 2023-04-10 on); 200 of them order again on
    2024-06-10, more than 90 days later: a reactivation in June 2024.
    """
    rows = [order(f"first{i}", f"c{i}", "2023-01-10 09:00:00") for i in range(1000)]
    rows += [order(f"back{i}", f"c{i}", "2024-06-10 09:00:00") for i in range(200)]
    db_path = build_from_rows(rows, metrics_as_of="2024-07-01")

    june = metrics_row(db_path, "month", date(2024, 6, 1))
    assert june["old_customers_at_start"] == 1000
    assert june["reactivated_customers"] == 200
    assert june["reactivation_rate"] == pytest.approx(0.20)
    assert june["dormant_customers_at_start"] == 1000
    assert june["dormant_reactivation_rate"] == pytest.approx(0.20)
    assert june["customers_at_start"] == 0
    assert june["retention_rate"] is None  # CS = 0: NULL, never 0


def test_example_3_gap_of_exactly_d_days(build_from_rows):
    """D = 90: 2024-01-10 and 2024-04-09 (90 days) are one spell; 2024-01-10 and 2024-04-10 (91 days) are two:
    the second order is a reactivation in April, and the churn is dated 2024-04-09 (= 2024-01-10 + 90 days)."""
    rows = [
        order("o1", "one_spell", "2024-01-10"),
        order("o2", "one_spell", "2024-04-09"),
        order("o3", "two_spells", "2024-01-10"),
        order("o4", "two_spells", "2024-04-10"),
    ]
    db_path = build_from_rows(rows, metrics_as_of="2024-05-01")

    spells = query(
        db_path,
        "select customer_id, spell_number, started_at, active_until from int_spells_identified "
        "order by customer_id, spell_number",
    )
    assert [(s["customer_id"], s["spell_number"]) for s in spells] == [
        ("one_spell", 1),
        ("two_spells", 1),
        ("two_spells", 2),
    ]
    assert spells[1]["active_until"] == datetime(2024, 4, 9)

    april = metrics_row(db_path, "month", date(2024, 4, 1))
    assert april["reactivated_customers"] == 1
    assert april["reactivation_events"] == 1
    assert april["churned_customers"] == 1

    churn_day = metrics_row(db_path, "day", date(2024, 4, 9))
    assert churn_day["churn_events"] == 1
    assert churn_day["reactivation_events"] == 0
    reactivation_day = metrics_row(db_path, "day", date(2024, 4, 10))
    assert reactivation_day["reactivation_events"] == 1
    assert reactivation_day["churn_events"] == 0


def test_example_4_only_order_at_midnight(build_from_rows):
    """An only order at 2024-03-01 00:00 is not active at 2024-03-01 00:00 (nothing strictly before), is new
    in March, and is active at 2024-04-01."""
    db_path = build_from_rows([order("o1", "c1", "2024-03-01 00:00:00")], metrics_as_of="2024-05-01")

    first_day = metrics_row(db_path, "day", date(2024, 3, 1))
    assert first_day["customers_at_start"] == 0
    assert first_day["new_customers"] == 1
    assert first_day["customers_at_end"] == 1

    march = metrics_row(db_path, "month", date(2024, 3, 1))
    assert march["customers_at_start"] == 0
    assert march["new_customers"] == 1

    april = metrics_row(db_path, "month", date(2024, 4, 1))
    assert april["customers_at_start"] == 1
    assert april["old_customers_at_start"] == 1
