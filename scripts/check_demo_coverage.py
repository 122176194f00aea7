#!/usr/bin/env python
"""Check that the demo data exercise every lifecycle state, event and edge case of METRICS.md.

Besides the orders, the loyalty members and point events (§9) and the campaign touches (§10) next to the orders
file: each point event type (adjust both ways), members who leave and who never redeem, a redemption above the
balance, events outside a membership, treated and held-out touches with and without an attributed order, dormant
customers won back in each group, churn alerts contacted within the 72 hours and later, and each bad row the
reading layer must reject.

Independent of the dbt models: plain DuckDB SQL over the raw files, with the
default parameters (D = 90, A = 60, new_days = 30, campaign_attribution_days W = 7,
churn_alert_response_hours = 72) and the default metrics_as_of (00:00 UTC of the day
after the latest order that meets every other validity rule). Prints one line per
requirement; exits 1 if any is missing.

Usage: python scripts/check_demo_coverage.py [data/demo/raw_orders.csv]
(raw_loyalty_members.csv, raw_loyalty_events.csv and campaign_touches.csv are read from the orders file's folder)
"""

from __future__ import annotations

import sys
from pathlib import Path

import duckdb

DEFAULT_PATH = Path(__file__).resolve().parent.parent / "data" / "demo" / "raw_orders.csv"
OTHER_FILES = {
    "members": "raw_loyalty_members.csv",
    "events": "raw_loyalty_events.csv",
    "touches": "campaign_touches.csv",
}

# ISO-8601 text as a naive UTC timestamp (an explicit offset is converted, none means UTC); NULL if it does not parse.
UTC = """
create macro utc(value) as case
    when length(value) > 19 and regexp_matches(value[11:], '[+-]') then timezone('UTC', try_cast(value as timestamptz))
    else try_cast(value as timestamp)
end
"""

# The lifecycle state at `instant` (METRICS.md §6) of a customer whose latest order before it is last_at, in the spell
# spell_number that started at spell_start; 'prospect' before any order.
STATE_AT = """
create macro state_at(instant, last_at, spell_number, spell_start) as case
    when last_at is null then 'prospect'
    when instant - last_at > interval 90 day then 'dormant'
    when instant - last_at > interval 60 day then 'at_risk'
    when spell_number = 1 and instant - spell_start <= interval 30 day then 'new'
    when spell_number > 1 and instant - spell_start <= interval 30 day then 'reactivated'
    else 'active'
end
"""

PARSED = """
create table parsed as
select
    row_number() over () as position,
    order_id,
    nullif(trim(customer_id), '') as customer_id,
    ordered_at as ordered_text,
    utc(ordered_at) as ordered_at,
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

SPELLS = """
create table spells as
with numbered as (
    select
        *,
        sum((previous_at is null or ordered_at - previous_at > interval 90 day)::int) over (
            partition by customer_id order by ordered_at rows unbounded preceding
        ) as spell_number,
    from orders
)
select *, min(ordered_at) over (partition by customer_id, spell_number) as spell_start,
from numbered
"""

STATES = """
with last_orders as (
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
    state_at(as_of, last_at, l.spell_number, spell_start) as state,
    count(*),
from last_orders as l
join spell_starts using (customer_id, spell_number)
group by 1
"""

# The churn alerts (METRICS.md §7): A days after an order not followed by another within A days, with their outcome.
ALERTS = """
create table alerts as
select
    customer_id,
    ordered_at,
    ordered_at + interval 60 day as alert_at,
    ordered_at + interval 60 day + interval 72 hour as respond_by,
    case
        when next_at - ordered_at <= interval 90 day then 'won_back'
        when ordered_at + interval 90 day < as_of then 'lapsed'
        else 'open'
    end as outcome,
from orders
where (next_at is null or next_at - ordered_at > interval 60 day) and ordered_at + interval 60 day < as_of
"""

EVENTS = """
select 'churn' as kind, count(*) from orders
where (next_at is null or next_at - ordered_at > interval 90 day) and ordered_at + interval 90 day < as_of
union all
select 'reactivation', count(*) from orders where ordered_at - previous_at > interval 90 day
union all
select 'alert ' || outcome, count(*) from alerts group by 1
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

AS_OF = """
create table metrics_as_of as select any_value(as_of) as as_of from orders
"""

MEMBERS = """
create table member_rows as
select
    row_number() over () as position,
    nullif(trim(customer_id), '') as customer_id,
    enrolled_at as enrolled_text,
    utc(enrolled_at) as enrolled_at,
    left_at as left_text,
    utc(left_at) as left_at,
from read_csv('{members}', all_varchar = true)
"""

MEMBERSHIPS = """
create table members as
select customer_id, enrolled_at, left_at
from member_rows
where customer_id is not null and enrolled_at is not null and (left_text is null or left_at is not null)
qualify row_number() over (partition by customer_id order by position) = 1
"""

POINT_EVENT_ROWS = """
create table point_event_rows as
select
    *,
    event_id is not null
    and customer_id is not null
    and occurred_at is not null
    and event_type in ('earn', 'redeem', 'expire', 'adjust')
    and points is not null
    and (points >= 0 or event_type = 'adjust') as is_valid,
from (
    select
        nullif(trim(event_id), '') as event_id,
        nullif(trim(customer_id), '') as customer_id,
        utc(occurred_at) as occurred_at,
        lower(trim(event_type)) as event_type,
        try_cast(points as decimal(18, 2)) as points,
        points as points_text,
    from read_csv('{events}', all_varchar = true)
)
"""

POINT_EVENTS = """
create table point_events as
with signed as (
    select *, case when event_type in ('earn', 'adjust') then points else -points end as signed_points,
    from point_event_rows, metrics_as_of
    where is_valid and occurred_at < as_of
)
select
    *,
    sum(signed_points) over (partition by customer_id order by occurred_at)
        - sum(signed_points) over (partition by customer_id, occurred_at) as balance_before,
from signed
"""

LOYALTY = """
with redeemers as (
    select distinct customer_id from point_events where event_type = 'redeem'
)
select 'member enrolled', count(*) from members, metrics_as_of where enrolled_at < as_of
union all select 'member enrolled after as_of', count(*) from members, metrics_as_of where enrolled_at >= as_of
union all select 'member who left', count(*) from members, metrics_as_of where left_at < as_of
union all select 'member leaving after as_of', count(*) from members, metrics_as_of
    where enrolled_at < as_of and left_at >= as_of
union all select 'member who redeems', count(*) from members, metrics_as_of
    where enrolled_at < as_of and customer_id in (select customer_id from redeemers)
union all select 'member who never redeems', count(*) from members, metrics_as_of
    where enrolled_at < as_of and customer_id not in (select customer_id from redeemers)
union all select 'earn event', count(*) from point_events where event_type = 'earn'
union all select 'redeem event', count(*) from point_events where event_type = 'redeem'
union all select 'expire event', count(*) from point_events where event_type = 'expire'
union all select 'adjust event adding points', count(*) from point_events where event_type = 'adjust' and points > 0
union all select 'adjust event removing points', count(*) from point_events where event_type = 'adjust' and points < 0
union all select 'redeem above the balance', count(*) from point_events
    where event_type = 'redeem' and points > balance_before
union all select 'event of a non-member', count(*) from point_events
    where customer_id not in (select customer_id from members)
union all select 'event outside the membership', count(*) from point_events join members using (customer_id)
    where not (enrolled_at < occurred_at and (left_at is null or occurred_at <= left_at))
union all select 'event at 00:00 (a day start)', count(*) from point_events
    where occurred_at = date_trunc('day', occurred_at)
union all select 'event at or after as_of', count(*) from point_event_rows, metrics_as_of
    where is_valid and occurred_at >= as_of
union all select 'member without customer_id', count(*) from member_rows where customer_id is null
union all select 'unparseable enrolled_at', count(*) from member_rows
    where customer_id is not null and enrolled_at is null
union all select 'second member row', count(*) - count(distinct customer_id) from member_rows
    where customer_id is not null and enrolled_at is not null and (left_text is null or left_at is not null)
union all select 'event without event_id', count(*) from point_event_rows where event_id is null
union all select 'event without event_type', count(*) from point_event_rows where event_type is null
union all select 'unknown event_type', count(*) from point_event_rows
    where event_type not in ('earn', 'redeem', 'expire', 'adjust')
union all select 'non-numeric points', count(*) from point_event_rows where points is null
union all select 'negative points (not adjust)', count(*) from point_event_rows
    where points < 0 and event_type in ('earn', 'redeem', 'expire')
"""

TOUCH_ROWS = """
create table touch_rows as
select
    *,
    touch_id is not null
    and campaign_id is not null
    and customer_id is not null
    and touched_at is not null
    and (control_text is null or is_control is not null)
    and (cost_text is null or coalesce(cost >= 0, false)) as is_valid,
    touch_id is not null and row_number() over (partition by touch_id order by position desc) > 1 as is_superseded,
from (
    select
        row_number() over () as position,
        nullif(trim(touch_id), '') as touch_id,
        nullif(trim(campaign_id), '') as campaign_id,
        nullif(trim(customer_id), '') as customer_id,
        touched_at as touched_text,
        utc(touched_at) as touched_at,
        is_control as control_text,
        case
            when lower(trim(is_control)) in ('true', 't', '1', 'yes', 'y') then true
            when lower(trim(is_control)) in ('false', 'f', '0', 'no', 'n') then false
        end as is_control,
        cost as cost_text,
        try_cast(cost as decimal(18, 2)) as cost,
    from read_csv('{touches}', all_varchar = true)
)
"""

TOUCHES = """
create table touches as
select touch_id, campaign_id, customer_id, touched_at, touched_text, coalesce(is_control, false) as is_control,
from touch_rows, metrics_as_of
where is_valid and not is_superseded and touched_at < as_of
"""

ATTRIBUTED = """
create table attributed as
select
    o.customer_id,
    o.ordered_at,
    o.previous_at,
    t.touch_id,
    t.is_control,
from orders as o
join touches as t
    on t.customer_id = o.customer_id and t.touched_at < o.ordered_at and o.ordered_at <= t.touched_at + interval 7 day
qualify row_number() over (partition by o.rowid order by t.touched_at desc, t.touch_id desc) = 1
"""

TOUCH_STATES = """
create table touch_states as
select
    t.*,
    state_at(t.touched_at, s.ordered_at, s.spell_number, s.spell_start) as state,
    t.touch_id in (select touch_id from attributed) as responded,
from touches as t
left join spells as s on s.customer_id = t.customer_id and s.ordered_at < t.touched_at
qualify row_number() over (partition by t.touch_id order by s.ordered_at desc nulls last) = 1
"""

CAMPAIGNS = """
with groups as (
    select
        campaign_id,
        is_control,
        customer_id,
        arg_min(state, touched_at) as state,
        count(distinct state) > 1 as state_changes,
        bool_or(responded) as responded,
    from touch_states
    group by all
),
next_orders as (
    select t.touch_id, min(o.ordered_at) as next_at,
    from touch_states as t
    join orders as o on o.customer_id = t.customer_id and o.ordered_at > t.touched_at
    where not t.responded
    group by t.touch_id, t.touched_at
    having min(o.ordered_at) > t.touched_at + interval 7 day
),
contacts as (
    select
        a.outcome,
        coalesce(bool_or(not t.is_control and t.touched_at <= a.respond_by), false) as contacted,
        coalesce(bool_or(t.is_control and t.touched_at <= a.respond_by), false) as held_out,
        coalesce(bool_or(not t.is_control and t.touched_at > a.respond_by), false) as touched_late,
        coalesce(bool_or(not t.is_control and t.touched_at = a.alert_at), false) as touched_at_alert,
    from alerts as a
    left join touches as t
        on
            t.customer_id = a.customer_id
            and a.alert_at <= t.touched_at
            and t.touched_at <= a.ordered_at + interval 90 day
    group by a.customer_id, a.ordered_at, a.outcome
)
select 'treated touch responded', count(*) from touch_states where not is_control and responded
union all select 'treated touch not responded', count(*) from touch_states where not is_control and not responded
union all select 'control touch responded', count(*) from touch_states where is_control and responded
union all select 'control touch not responded', count(*) from touch_states where is_control and not responded
union all select 'touch with next order after W', count(*) from next_orders
union all select 'order attributed to control', count(*) from attributed where is_control
union all select 'reactivation attributed', count(*) from attributed
    where not is_control and ordered_at - previous_at > interval 90 day
union all select 'reactivation attributed control', count(*) from attributed
    where is_control and ordered_at - previous_at > interval 90 day
union all select 'treated dormant customer', count(*) from groups where not is_control and state = 'dormant'
union all select 'treated dormant won back', count(*) from groups
    where not is_control and state = 'dormant' and responded
union all select 'treated not dormant customer', count(*) from groups where not is_control and state <> 'dormant'
union all select 'control dormant customer', count(*) from groups where is_control and state = 'dormant'
union all select 'control dormant won back', count(*) from groups where is_control and state = 'dormant' and responded
union all select 'control not dormant customer', count(*) from groups where is_control and state <> 'dormant'
union all select 'state at a later touch differs', count(*) from groups where state_changes
union all select 'campaign with a holdout', count(*) from (
    select campaign_id from touches group by campaign_id having count(distinct is_control) = 2
)
union all select 'alert contacted in 72h won_back', count(*) from contacts where contacted and outcome = 'won_back'
union all select 'alert contacted in 72h lapsed', count(*) from contacts where contacted and outcome = 'lapsed'
union all select 'alert not contacted won_back', count(*) from contacts where not contacted and outcome = 'won_back'
union all select 'alert not contacted lapsed', count(*) from contacts where not contacted and outcome = 'lapsed'
union all select 'alert held out in 72h', count(*) from contacts where held_out and not contacted
union all select 'alert touched after 72h only', count(*) from contacts where touched_late and not contacted
union all select 'touch exactly at alert_at', count(*) from contacts where touched_at_alert
union all select 'touched_at with +08:00', count(*) from touches where touched_text like '%+08:00'
union all select 'is_control empty', count(*) from touch_rows
    where is_valid and not is_superseded and control_text is null
union all select 'touch at or after as_of', count(*) from touch_rows, metrics_as_of
    where is_valid and not is_superseded and touched_at >= as_of
union all select 'repeated touch_id', count(*) from touch_rows where is_superseded
union all select 'touch without touch_id', count(*) from touch_rows where touch_id is null
union all select 'touch without campaign_id', count(*) from touch_rows where campaign_id is null
union all select 'touch without customer_id', count(*) from touch_rows where customer_id is null
union all select 'unparseable touched_at', count(*) from touch_rows
    where touched_text is not null and touched_at is null
union all select 'unparseable is_control', count(*) from touch_rows
    where control_text is not null and is_control is null
union all select 'non-numeric cost', count(*) from touch_rows where cost_text is not null and cost is null
union all select 'negative cost', count(*) from touch_rows where cost < 0
"""

REQUIRED_STATES = ["new", "active", "at_risk", "dormant", "reactivated"]
REQUIRED_EVENTS = ["churn", "reactivation", "alert won_back", "alert lapsed", "alert open"]


def run(path: Path) -> dict[str, int]:
    """Build the helper tables and return every counted requirement."""
    files = {"orders": path} | {name: path.parent / file_name for name, file_name in OTHER_FILES.items()}
    quoted = {name: str(file).replace("'", "''") for name, file in files.items()}
    con = duckdb.connect()
    statements = (UTC, STATE_AT, PARSED.format(path=quoted["orders"]), LATEST, ORDERS, SPELLS, AS_OF, ALERTS)
    statements += (MEMBERS.format(**quoted), MEMBERSHIPS, POINT_EVENT_ROWS.format(**quoted), POINT_EVENTS)
    statements += (TOUCH_ROWS.format(**quoted), TOUCHES, ATTRIBUTED, TOUCH_STATES)
    for statement in statements:
        con.execute(statement)
    counts: dict[str, int] = {}
    for query, prefix in ((STATES, "state "), (EVENTS, ""), (EDGE_CASES, ""), (LOYALTY, ""), (CAMPAIGNS, "")):
        counts.update({prefix + name: int(n) for name, n in con.execute(query).fetchall()})
    as_of, customers, orders = con.execute(
        "select any_value(as_of), count(distinct customer_id), count(*) from orders"
    ).fetchone()
    print(f"metrics_as_of {as_of}, {customers} customers, {orders} valid orders")
    members, events, touches = con.execute(
        "select (select count(*) from members), (select count(*) from point_events), (select count(*) from touches)"
    ).fetchone()
    print(f"{members} loyalty members, {events} valid point events and {touches} valid touches before metrics_as_of")
    return counts


def main(argv: list[str]) -> int:
    """Print the coverage table and return 1 if a requirement is not met."""
    path = Path(argv[1]) if len(argv) > 1 else DEFAULT_PATH
    absent = [name for name in OTHER_FILES.values() if not (path.parent / name).is_file()]
    for name in absent:
        print(f"MISS file {path.parent / name}")
    if absent:
        return 1
    counts = run(path)
    required = [f"state {s}" for s in REQUIRED_STATES] + REQUIRED_EVENTS
    missing = [name for name in required if counts.get(name, 0) == 0]
    missing += [name for name, n in counts.items() if n == 0]
    for name in dict.fromkeys(required + list(counts)):
        print(f"{'ok  ' if counts.get(name, 0) else 'MISS'} {name:32} {counts.get(name, 0)}")
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
