#!/usr/bin/env python
"""Generate a synthetic raw orders file in the raw contract of METRICS.md section 1.

Columns: order_id, customer_id, ordered_at, status, amount, refunded_amount, updated_at.

Everything is computed in DuckDB SQL from a deterministic hash of
(seed, customer, order number, purpose), never from random(), so a given seed
always produces the same file, whatever the number of threads.

Clean mode (default) writes only valid rows with unique order ids (benchmark
mode); --messy adds format variations, invalid rows and later versions of
orders (demo / test mode).

Examples:
    python scripts/generate_orders.py --customers 3000 --seed 20240101 --messy --out data/demo/raw_orders.csv
    python scripts/generate_orders.py --customers 10000000 --out /tmp/orders.parquet
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import time
from pathlib import Path

import duckdb

MAX_ORDERS_PER_CUSTOMER = 99  # order_id = customer * 100 + order number stays unique
CONTINUE_PROBABILITY = 0.87  # geometric number of orders per customer, mean 7.7 before truncation
GROWTH = 2.0  # new-customer intake at --end is (1 + GROWTH) times the intake at --start
DAY = 86_400  # seconds

# Gap between consecutive orders of a customer: (cumulative probability, sql for seconds).
# `{u}` is a uniform [0, 1) draw; the bands are checked in this order.
GAP_MIXTURE: list[tuple[float, str]] = [
    (0.03, "0"),  # several orders at the same instant
    (0.05, f"{90 * DAY}"),  # exactly 90 days: still the same spell (D = 90)
    (0.07, f"{91 * DAY}"),  # exactly 91 days: a reactivation
    (0.75, f"{1 * DAY} + floor({{u}} * {58 * DAY})"),  # short gap, 1-59 days
    (0.87, f"{60 * DAY} + floor({{u}} * {30 * DAY})"),  # 60-90 days: at risk, then won back
    (1.00, f"{91 * DAY} + floor({{u}} * {{u}} * {400 * DAY})"),  # dormancy, then a reactivation
]


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Parse the command line."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--customers", type=int, required=True, help="number of customers")
    parser.add_argument("--out", type=Path, required=True, help="output file, .csv or .parquet")
    parser.add_argument("--seed", type=int, default=42, help="seed of the pseudo-random hash (default 42)")
    parser.add_argument("--start", type=dt.date.fromisoformat, default=dt.date(2024, 1, 1), help="first order date")
    parser.add_argument("--end", type=dt.date.fromisoformat, default=dt.date(2025, 12, 31), help="last order date")
    parser.add_argument("--messy", action="store_true", help="add bad rows, edge cases and order versions")
    args = parser.parse_args(argv)
    if args.customers < 1:
        parser.error("--customers must be positive")
    if args.end < args.start:
        parser.error("--end must not be before --start")
    if args.out.suffix.lower() not in (".csv", ".parquet"):
        parser.error("--out must end in .csv or .parquet")
    return args


def uniform(seed: int, purpose: int, key: str = "c, k") -> str:
    """SQL for a deterministic uniform [0, 1) draw from (seed, key, purpose).

    The multi-argument hash() only mixes its last arguments into the low bits,
    so it is hashed once more to decorrelate draws that differ in `purpose`.
    """
    return f"(hash(hash({seed}, {key}, {purpose})) / 18446744073709551616.0)"


def gap_seconds_sql(seed: int) -> str:
    """SQL lambda body: seconds between order k - 1 and order k of customer c."""
    band = uniform(seed, 1)
    u = uniform(seed, 2)
    whens = "\n".join(f"                when {band} < {p} then {expr.format(u=u)}" for p, expr in GAP_MIXTURE[:-1])
    return f"""case
{whens}
                else {GAP_MIXTURE[-1][1].format(u=u)}
            end"""


def base_orders_sql(args: argparse.Namespace) -> str:
    """SQL for one clean order per row: customer c, order number k, instant, status, amounts.

    Each customer's orders are built as a list (gaps, then offsets), so rows come
    out in customer order without a window or a sort.
    """
    seed = args.seed
    span = ((args.end - args.start).days + 1) * DAY
    id_width = len(str(args.customers))
    order_width = len(str(args.customers * 100))
    # inverse cdf of a density growing linearly from 1 to 1 + GROWTH over the range
    first_fraction = f"((-1 + sqrt(1 + {GROWTH} * (2 + {GROWTH}) * {uniform(seed, 0, 'c, 0')})) / {GROWTH})"
    n_orders = (
        f"1 + least({MAX_ORDERS_PER_CUSTOMER - 1}, "
        f"floor(ln(1 - {uniform(seed, 0, 'c, 1')}) / ln({CONTINUE_PROBABILITY})))::integer"
    )
    status_band = uniform(seed, 3)
    return f"""
    customers as (
        select
            range as c,
            floor({span} * {first_fraction})::bigint as first_offset,
            {n_orders} as n_orders,
        from range({args.customers})
    ),

    gap_lists as (
        select
            c,
            first_offset,
            list_transform(
                range(n_orders),
                lambda k: case when k = 0 then 0 else {gap_seconds_sql(seed)} end::bigint
            ) as gaps,
        from customers
    ),

    offsets as (
        select
            c,
            unnest(range(len(gaps))) as k,
            unnest(list_transform(range(len(gaps)), lambda i: first_offset + list_sum(gaps[1:i + 1]))) as offset_s,
        from gap_lists
    ),

    base_orders as (
        select
            c,
            k,
            'o' || lpad((c * 100 + k)::varchar, {order_width}, '0') as order_id,
            'c' || lpad((c + 1)::varchar, {id_width}, '0') as customer_id,
            timestamp '{args.start}' + to_seconds(offset_s) as ordered_ts,
            timestamp '{args.start}' + to_seconds(offset_s + floor({uniform(seed, 4)} * {14 * DAY})::bigint)
                as updated_ts,
            case
                when {status_band} < 0.40 then 'completed'
                when {status_band} < 0.70 then 'delivered'
                when {status_band} < 0.85 then 'shipped'
                else 'paid'
            end as status,
            round(exp(ln(5) + {uniform(seed, 5)} * ln(100)), 2)::decimal(10, 2) as amount,
            case
                when {uniform(seed, 6)} < 0.06
                    then round(amount * (0.1 + 0.8 * {uniform(seed, 7)}), 2)::decimal(10, 2)
                else 0
            end::decimal(10, 2) as refunded_amount,
        from offsets
        where offset_s < {span}
    )"""


def clean_query(args: argparse.Namespace) -> str:
    """SQL for the clean (benchmark) file: valid rows only, unique order ids. Parquet keeps timestamps typed (as a
    shop's Parquet export does); CSV writes them as text."""
    timestamp_type = "timestamp" if args.out.suffix.lower() == ".parquet" else "varchar"
    return f"""
with {base_orders_sql(args)}

select
    order_id,
    customer_id,
    ordered_ts::{timestamp_type} as ordered_at,
    status,
    amount,
    refunded_amount,
    updated_ts::{timestamp_type} as updated_at,
from base_orders
"""


def messy_query(args: argparse.Namespace) -> str:
    """SQL for the messy file: varied formats, invalid rows, later and duplicate versions.

    Every column is text. Rows are sorted by version time, so a later version is
    also later in the file; a copy without updated_at comes right after its original.
    """
    seed = args.seed
    fmt = uniform(seed, 10)
    case_band = uniform(seed, 11)
    status_band = uniform(seed, 12)
    bad = uniform(seed, 13)
    version_band = uniform(seed, 14)
    refund_render = uniform(seed, 15)
    later_ts = f"updated_ts + to_seconds(1 + floor({uniform(seed, 16)} * {20 * DAY})::bigint)"
    return f"""
with {base_orders_sql(args)},

    -- version 1 of every order, with messy rendering and some invalid rows
    first_versions as (
        select
            c,
            k,
            1 as version,
            order_id,
            case when {bad} >= 0.9975 then null else customer_id end as customer_id,
            case
                when {bad} between 0.9950 and 0.9960 then 'not a date'
                when {bad} between 0.9960 and 0.9975 then '2024-13-45'
                when {fmt} < 0.80 then strftime(ordered_ts, '%Y-%m-%d %H:%M:%S')
                when {fmt} < 0.87 then strftime(ordered_ts, '%Y-%m-%dT%H:%M:%SZ')
                when {fmt} < 0.92 then strftime(ordered_ts + interval 8 hour, '%Y-%m-%dT%H:%M:%S') || '+08:00'
                when {fmt} < 0.97 then strftime(ordered_ts - interval 5 hour, '%Y-%m-%dT%H:%M:%S') || '-05:00'
                else strftime(ordered_ts, '%Y-%m-%d')
            end as ordered_at,
            case
                when {status_band} < 0.020 then 'cancelled'
                when {status_band} < 0.030 then 'pending'
                when {status_band} < 0.040 then 'refunded'
                else status
            end as raw_status,
            case
                when {case_band} < 0.70 then raw_status
                when {case_band} < 0.80 then upper(raw_status)
                when {case_band} < 0.90 then upper(raw_status[1]) || raw_status[2:]
                else ' ' || upper(raw_status[1]) || raw_status[2:] || ' '
            end as status,
            case
                when {bad} between 0.9900 and 0.9925 then (-amount)::varchar
                when {bad} between 0.9925 and 0.9950 then 'abc'
                else amount::varchar
            end as amount,
            case
                when {bad} between 0.9850 and 0.9900 then amount::varchar  -- fully refunded
                when refunded_amount > 0 then refunded_amount::varchar
                when {refund_render} < 0.6 then null
                when {refund_render} < 0.8 then '0'
                else '0.00'
            end as refunded_amount,
            updated_ts,
            updated_ts as file_sort_ts,
            {version_band} as version_band,
        from base_orders
    ),

    -- later versions: a status change to cancelled, an amount correction, a refund
    later_versions as (
        select
            c,
            k,
            2 as version,
            order_id,
            customer_id,
            ordered_at,
            case when version_band < 0.015 then 'cancelled' else status end as status,
            case
                when version_band >= 0.015 and version_band < 0.025
                    then round(amount::decimal(10, 2) * 0.9, 2)::varchar
                else amount
            end as amount,
            case
                when version_band >= 0.025 and version_band < 0.030
                    then round(try_cast(amount as decimal(10, 2)) * 0.5, 2)::varchar
                else refunded_amount
            end as refunded_amount,
            {later_ts} as updated_ts,
            {later_ts} as file_sort_ts,
        from first_versions
        where version_band < 0.030 and try_cast(amount as decimal(10, 2)) is not null
    ),

    -- same updated_at, different content: the row later in the file wins
    tied_versions as (
        select
            c,
            k,
            3 as version,
            order_id,
            customer_id,
            ordered_at,
            case when version_band < 0.034 then 'cancelled' else 'delivered' end as status,
            case when version_band < 0.034 then amount else round(amount::decimal(10, 2) + 1, 2)::varchar end
                as amount,
            refunded_amount,
            updated_ts,
            file_sort_ts,
        from first_versions
        where version_band >= 0.030 and version_band < 0.038 and try_cast(amount as decimal(10, 2)) is not null
    ),

    -- exact copies without updated_at: the same content whichever copy is kept
    untimed_copies as (
        select
            c,
            k,
            4 as version,
            order_id,
            customer_id,
            ordered_at,
            status,
            amount,
            refunded_amount,
            null::timestamp as updated_ts,
            file_sort_ts,
        from first_versions
        where version_band >= 0.038 and version_band < 0.045
    ),

    all_versions as (
        select * exclude (raw_status, version_band) from first_versions
        union all
        select * from later_versions
        union all
        select * from tied_versions
        union all
        select * from untimed_copies
    )

select
    order_id,
    customer_id,
    ordered_at,
    status,
    amount,
    refunded_amount,
    strftime(updated_ts, '%Y-%m-%d %H:%M:%S') as updated_at,
from all_versions
order by
    file_sort_ts,
    order_id,
    version
"""


def copy_options(path: Path) -> str:
    """COPY options for the output format chosen by the file extension."""
    if path.suffix.lower() == ".csv":
        return "format csv, header true"
    # ids and timestamps are unique: a small dictionary limit makes the writer give up
    # on dictionary encoding early for them (several times faster), status keeps it
    return "format parquet, compression zstd, compression_level 1, dictionary_size_limit 1000"


def generate(args: argparse.Namespace) -> int:
    """Write the orders file and return the number of rows written."""
    query = messy_query(args) if args.messy else clean_query(args)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    out = str(args.out).replace("'", "''")
    con = duckdb.connect()
    con.execute("set preserve_insertion_order = true")
    result = con.execute(f"copy ({query}) to '{out}' ({copy_options(args.out)})").fetchone()
    return int(result[0]) if result else 0


def main(argv: list[str] | None = None) -> int:
    """Entry point: generate the file and report rows and seconds on stderr."""
    args = parse_args(argv)
    started = time.perf_counter()
    rows = generate(args)
    elapsed = time.perf_counter() - started
    print(f"wrote {rows} rows to {args.out} in {elapsed:.1f} s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
