#!/usr/bin/env python
"""Check that the demo orders exercise every lifecycle state, event and edge case of METRICS.md.

Independent of the dbt models: plain DuckDB SQL over the raw file, with the
default parameters (D = 90, A = 60, new_days = 30) and the default
metrics_as_of (00:00 UTC of the day after the latest order that meets every
other validity rule). Prints one line per requirement; exits 1 if any is missing.

Usage: python scripts/check_demo_coverage.py [data/demo/raw_orders.csv]
"""

from __future__ import annotations

import sys
from pathlib import Path

import duckdb

DEFAULT_PATH = Path(__file__).resolve().parent.parent / "data" / "demo" / "raw_orders.csv"

PARSED = """
create table parsed as
select
    row_number() over () as position,
    order_id,
    nullif(trim(customer_id), '') as customer_id,
    ordered_at as ordered_text,
    case
        when length(ordered_at) > 19 and regexp_matches(ordered_at[11:], '[+-]')
            then timezone('UTC', try_cast(ordered_at as timestamptz))
        else try_cast(ordered_at as timestamp)
    end as ordered_at,
    lower(trim(status)) as status,
    status as status_text,
    try_cast(amount as decimal(18, 2)) as amount,
    amount as amount_text,
    coalesce(try_cast(refunded_amount as decimal(18, 2)), 0) as refunded_amount,
    try_cast(updated_at as timestamp) as updated_at,
from read_csv('{path}', all_varchar = true)
"""

LATEST = """
create table latest as
select *
from parsed
qualify row_number() over (partition by order_id order by updated_at desc nulls last, position desc) = 1
"""

ORDERS = """
create table orders as
with candidates as (
    select customer_id, ordered_at
    from latest
    where
        customer_id is not null
        and ordered_at is not null
        and status in ('completed', 'paid', 'shipped', 'delivered')
        and amount >= 0
        and amount - refunded_amount > 0
),
as_of as (
    select date_trunc('day', max(ordered_at)) + interval 1 day as as_of from candidates
)
select
    customer_id,
    ordered_at,
    as_of,
    lag(ordered_at) over w as previous_at,
    lead(ordered_at) over w as next_at,
    min(ordered_at) over (partition by customer_id) as first_at,
from candidates, as_of
where ordered_at < as_of
window w as (partition by customer_id order by ordered_at)
"""

STATES = """
with spells as (
    select
        *,
        sum((previous_at is null or ordered_at - previous_at > interval 90 day)::int) over (
            partition by customer_id order by ordered_at rows unbounded preceding
        ) as spell_number,
    from orders
),
last_orders as (
    select
        customer_id,
        arg_max(ordered_at, ordered_at) as last_at,
        arg_max(spell_number, ordered_at) as spell_number,
        any_value(as_of) as as_of,
    from spells
    group by customer_id
),
spell_starts as (
    select customer_id, spell_number, min(ordered_at) as spell_start
    from spells
    group by all
)
select
    case
        when as_of - last_at > interval 90 day then 'dormant'
        when as_of - last_at > interval 60 day then 'at_risk'
        when l.spell_number = 1 and as_of - spell_start <= interval 30 day then 'new'
        when l.spell_number > 1 and as_of - spell_start <= interval 30 day then 'reactivated'
        else 'active'
    end as state,
    count(*),
from last_orders as l
join spell_starts using (customer_id, spell_number)
group by 1
"""

EVENTS = """
select 'churn' as kind, count(*) from orders
where (next_at is null or next_at - ordered_at > interval 90 day) and ordered_at + interval 90 day < as_of
union all
select 'reactivation', count(*) from orders where ordered_at - previous_at > interval 90 day
union all
select 'alert ' || case
        when next_at - ordered_at <= interval 90 day then 'won_back'
        when ordered_at + interval 90 day < as_of then 'lapsed'
        else 'open'
    end,
    count(*),
from orders
where (next_at is null or next_at - ordered_at > interval 60 day) and ordered_at + interval 60 day < as_of
group by 1
"""

EDGE_CASES = """
with versions as (
    select order_id, count(*) as n, count(distinct updated_at) as n_times, count(updated_at) as n_timed,
    from parsed
    group by order_id
    having count(*) > 1
)
select 'gap exactly 90 days', count(*) from orders where ordered_at - previous_at = interval 90 day
union all select 'gap exactly 91 days', count(*) from orders where ordered_at - previous_at = interval 91 day
union all select 'orders at the same instant', count(*) from orders where ordered_at = previous_at
union all select 'empty customer_id', count(*) from parsed where customer_id is null
union all select 'unparseable ordered_at', count(*) from parsed where ordered_at is null
union all select 'negative amount', count(*) from parsed where amount < 0
union all select 'non-numeric amount', count(*) from parsed where amount is null
union all select 'fully refunded', count(*) from parsed where amount > 0 and refunded_amount = amount
union all select 'partially refunded', count(*) from parsed where refunded_amount > 0 and refunded_amount < amount
union all select 'not counted status', count(*) from parsed
    where status not in ('completed', 'paid', 'shipped', 'delivered')
union all select 'status with case/spaces', count(*) from parsed where status_text <> status
union all select 'ordered_at with Z', count(*) from parsed where ordered_text like '%Z'
union all select 'ordered_at with +08:00', count(*) from parsed where ordered_text like '%+08:00'
union all select 'ordered_at with -05:00', count(*) from parsed where ordered_text like '%-05:00'
union all select 'ordered_at date only', count(*) from parsed where length(ordered_text) = 10 and ordered_at is not null
union all select 'later versions', count(*) from versions where n_times = n
union all select 'versions tied on updated_at', count(*) from versions where n_timed = n and n_times < n
union all select 'versions without updated_at', count(*) from versions where n_timed < n
union all select 'tie decides validity', count(*) from (
    select order_id from parsed
    group by order_id, updated_at
    having count(*) > 1 and count(distinct status = 'cancelled') > 1
)
"""

REQUIRED_STATES = ["new", "active", "at_risk", "dormant", "reactivated"]
REQUIRED_EVENTS = ["churn", "reactivation", "alert won_back", "alert lapsed", "alert open"]


def run(path: Path) -> dict[str, int]:
    """Build the helper tables and return every counted requirement."""
    con = duckdb.connect()
    for statement in (PARSED.format(path=str(path).replace("'", "''")), LATEST, ORDERS):
        con.execute(statement)
    counts: dict[str, int] = {}
    for query, prefix in ((STATES, "state "), (EVENTS, ""), (EDGE_CASES, "")):
        counts.update({prefix + name: int(n) for name, n in con.execute(query).fetchall()})
    as_of, customers, orders = con.execute(
        "select any_value(as_of), count(distinct customer_id), count(*) from orders"
    ).fetchone()
    print(f"metrics_as_of {as_of}, {customers} customers, {orders} valid orders")
    return counts


def main(argv: list[str]) -> int:
    """Print the coverage table and return 1 if a requirement is not met."""
    path = Path(argv[1]) if len(argv) > 1 else DEFAULT_PATH
    counts = run(path)
    required = [f"state {s}" for s in REQUIRED_STATES] + REQUIRED_EVENTS
    missing = [name for name in required if counts.get(name, 0) == 0]
    missing += [name for name, n in counts.items() if n == 0]
    for name in dict.fromkeys(required + list(counts)):
        print(f"{'ok  ' if counts.get(name, 0) else 'MISS'} {name:32} {counts.get(name, 0)}")
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
