"""Bad input gets one clear line, never a silent drop: bad vars and files stop the run with a readable message."""

from __future__ import annotations

from datetime import datetime

import pytest

from conftest import DbtBuildError, query, raw_order, run_dbt, write_orders_csv


@pytest.fixture(scope="module")
def orders_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("errors") / "orders.csv"
    return write_orders_csv([raw_order("1", "c1", "2024-03-31T20:00:00-05:00")], path)


def compile_error(tmp_path, dbt_vars: dict) -> str:
    with pytest.raises(DbtBuildError) as failure:
        run_dbt(["compile", "--select", "base_shop__order_versions", "int_orders_sequenced", "fct_lifecycle_metrics"],
                tmp_path / "errors.duckdb", dbt_vars)
    return str(failure.value)


@pytest.mark.parametrize(
    ("dbt_vars", "message"),
    [
        ({"metrics_as_of": "last tuesday"}, "metrics_as_of must be an ISO-8601 date or timestamp"),
        ({"lifecycle_at_risk_days": 90}, "lifecycle_at_risk_days (90) must be less than lifecycle_dormancy_days (90)"),
        ({"lifecycle_dormancy_days": -5}, "must be a positive whole number"),
        ({"lifecycle_grains": ["month", "fortnight"]}, "Unknown grain 'fortnight'"),
        ({"customer_batch_orders": 0}, "customer_batch_orders must be a positive whole number of orders, got 0"),
        ({"customer_batch_orders": "10M"}, "customer_batch_orders must be a positive whole number of orders, got 10M"),
        ({"orders_path": "/tmp/orders.xlsx"}, "orders_path must name a .csv, .csv.gz or .parquet file"),
        ({"reporting_timezone": "Mars; drop table"}, "reporting_timezone must be an IANA zone name"),
    ],
)
def test_bad_vars_stop_with_one_clear_line(tmp_path, orders_file, dbt_vars, message):
    assert message in compile_error(tmp_path, {"orders_path": str(orders_file), **dbt_vars})


def test_a_file_without_a_required_column_is_named(tmp_path):
    path = tmp_path / "no_amount.csv"
    path.write_text("order_id,customer_id,ordered_at\n1,c1,2024-01-01\n")
    assert "lacks required column(s): amount" in compile_error(tmp_path, {"orders_path": str(path)})


def test_metrics_as_of_accepts_a_timestamp_with_an_offset(tmp_path, orders_file):
    """2024-04-01T08:00:00+08:00 is 2024-04-01 00:00 UTC; the order at 2024-03-31T20:00:00-05:00 is
    2024-04-01 01:00 UTC, so it is at or after metrics_as_of and rejected with that reason."""
    db_path = tmp_path / "offset.duckdb"
    run_dbt(["build"], db_path,
            {"orders_path": str(orders_file), "metrics_as_of": "2024-04-01T08:00:00+08:00"})
    assert query(db_path, "select metrics_as_of from base_shop__metrics_as_of") == [
        {"metrics_as_of": datetime(2024, 4, 1)}
    ]
    assert query(db_path, "select order_id, reason from stg_shop__rejected_orders") == [
        {"order_id": "1", "reason": "not before metrics_as_of"}
    ]
