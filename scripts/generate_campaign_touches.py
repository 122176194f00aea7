#!/usr/bin/env python
"""Generate the bundled demo campaign touches (data/demo/campaign_touches.csv) from the demo orders.

METRICS.md §10's input, consistent with data/demo/raw_orders.csv (the same customers and time line):
* two win-back campaigns (email in summer 2024, SMS in autumn 2024) that select the customers dormant at the send
  date (last valid order more than 90 days before) and hold out about a fifth of them (is_control = true);
* a coupon programme in 2025 for dormant customers that works (more treated than held-out customers come back);
* a churn-alert programme that answers the alerts of METRICS.md §7 (60 days after an order not followed by another),
  most within the 72-hour response window, some later, over several channels with their costs, with a holdout;
* a few lines that the staging layer must reject (each rule once) and a repeated touch_id (the later row wins).

Deterministic: the same orders file gives the same touches (a fixed seed, customers in sorted order). The orders are
read with plain DuckDB SQL (latest version, counted status, positive net), independently of the dbt models.

Usage: python scripts/generate_campaign_touches.py [--orders data/demo/raw_orders.csv] [--out data/demo/...csv]
"""

from __future__ import annotations

import argparse
import csv
import random
from datetime import datetime, timedelta
from pathlib import Path

import duckdb

PROJECT_DIR = Path(__file__).resolve().parents[1]
DEFAULT_ORDERS = PROJECT_DIR / "data" / "demo" / "raw_orders.csv"
DEFAULT_OUT = PROJECT_DIR / "data" / "demo" / "campaign_touches.csv"
COLUMNS = ("touch_id", "campaign_id", "customer_id", "touched_at", "channel", "is_control", "cost")
SEED = 20240415

VALID_ORDERS = """
with parsed as (
    select
        row_number() over () as position,
        order_id,
        nullif(trim(customer_id), '') as customer_id,
        case
            when length(ordered_at) > 19 and regexp_matches(ordered_at[11:], '[+-]')
                then timezone('UTC', try_cast(ordered_at as timestamptz))
            else try_cast(ordered_at as timestamp)
        end as ordered_at,
        lower(trim(status)) as status,
        try_cast(amount as decimal(18, 2)) as amount,
        coalesce(try_cast(refunded_amount as decimal(18, 2)), 0) as refunded_amount,
        try_cast(updated_at as timestamp) as updated_at
    from read_csv(?, all_varchar = true)
),
latest as (
    select *
    from parsed
    qualify row_number() over (partition by order_id order by updated_at desc nulls last, position desc) = 1
)
select customer_id, ordered_at
from latest
where
    customer_id is not null
    and ordered_at is not null
    and status in ('completed', 'paid', 'shipped', 'delivered')
    and amount >= 0
    and amount - refunded_amount > 0
order by customer_id, ordered_at
"""


def valid_orders(path: Path) -> dict[str, list[datetime]]:
    orders: dict[str, list[datetime]] = {}
    for customer_id, ordered_at in duckdb.sql(VALID_ORDERS, params=[str(path)]).fetchall():
        orders.setdefault(customer_id, []).append(ordered_at)
    return orders


def is_held_out(rng: random.Random, share: float) -> bool:
    return rng.random() < share


def winback_campaign(orders, rng, campaign_id, sent_at, channel, cost, control_share, touches):
    """Every customer dormant at sent_at (last order more than 90 days before it), treated or held out."""
    for customer_id in sorted(orders):
        before = [instant for instant in orders[customer_id] if instant < sent_at]
        if not before or sent_at - before[-1] <= timedelta(days=90):
            continue
        control = is_held_out(rng, control_share)
        touched_at = sent_at + timedelta(minutes=rng.randrange(0, 180))
        touches.append({
            "campaign_id": campaign_id,
            "customer_id": customer_id,
            "touched_at": touched_at,
            "channel": channel,
            "is_control": control,
            "cost": "0.00" if control else cost,
        })


def churn_alert_programme(orders, rng, touches, as_of):
    """A touch for most churn alerts (60 days after an order not followed by another within 60 days): within the
    72-hour window, or one to eight days late; a tenth held out."""
    channels = [("app_push", "0.01"), ("sms", "0.08"), ("coupon", "2.00")]
    for customer_id in sorted(orders):
        instants = orders[customer_id]
        for index, ordered_at in enumerate(instants):
            following = instants[index + 1] if index + 1 < len(instants) else None
            alert_at = ordered_at + timedelta(days=60)
            if following is not None and following <= alert_at:
                continue
            if alert_at >= as_of - timedelta(days=1) or rng.random() < 0.5:
                continue
            control = is_held_out(rng, 0.1)
            if rng.random() < 0.7:
                delay = timedelta(minutes=rng.randrange(0, 72 * 60))
            else:
                delay = timedelta(hours=72, minutes=rng.randrange(1, 8 * 24 * 60))
            channel, cost = rng.choice(channels)
            touches.append({
                "campaign_id": "churn_alert_72h",
                "customer_id": customer_id,
                "touched_at": alert_at + delay,
                "channel": channel,
                "is_control": control,
                "cost": "0.00" if control else cost,
            })


def coupon_campaign(orders, rng, touches, start, end):
    """A coupon programme for dormant customers in [start, end): each customer who came back in it got a coupon
    one hour to six days before (four in five of them), and as many other dormant customers got one at random
    times, a third of these held out. In the demo it works: treated customers respond more than the holdout."""
    chosen = []
    for customer_id in sorted(orders):
        instants = orders[customer_id]
        for previous, ordered_at in zip(instants, instants[1:]):
            if start <= ordered_at < end and ordered_at - previous > timedelta(days=90) and rng.random() < 0.8:
                touched_at = ordered_at - timedelta(minutes=rng.randrange(60, 6 * 24 * 60))
                chosen.append((customer_id, touched_at, False))
    reactivated = {customer_id for customer_id, _, _ in chosen}
    others = [customer_id for customer_id in sorted(orders) if customer_id not in reactivated]
    span = int((end - start).total_seconds())
    for customer_id in rng.sample(others, min(len(others), 2 * len(chosen))):
        touched_at = start + timedelta(seconds=rng.randrange(0, span))
        before = [instant for instant in orders[customer_id] if instant < touched_at]
        if before and touched_at - before[-1] > timedelta(days=90):
            chosen.append((customer_id, touched_at, rng.random() < 1 / 3))
    for customer_id, touched_at, control in chosen:
        touches.append({
            "campaign_id": "winback_2025_coupon",
            "customer_id": customer_id,
            "touched_at": touched_at,
            "channel": "coupon",
            "is_control": control,
            "cost": "0.00" if control else "3.00",
        })


def spelled(rng: random.Random, touch: dict, number: int) -> dict:
    """The touch as text, with the spellings a CRM export uses (offsets, booleans as words and digits)."""
    instant = touch["touched_at"]
    if number % 7 == 3:
        touched_at = (instant + timedelta(hours=8)).strftime("%Y-%m-%dT%H:%M:%S") + "+08:00"
    else:
        touched_at = instant.strftime("%Y-%m-%d %H:%M:%S")
    control_spellings = (["true", "TRUE", "1", "yes", "t"] if touch["is_control"]
                         else ["false", "False", "0", "no", "f", ""])
    return {
        "touch_id": f"t{number:06d}",
        "campaign_id": touch["campaign_id"],
        "customer_id": touch["customer_id"],
        "touched_at": touched_at,
        "channel": touch["channel"] if not touch["is_control"] else "",
        "is_control": rng.choice(control_spellings),
        "cost": touch["cost"],
    }


def bad_lines(last: dict) -> list[dict]:
    """One line per rejection rule, and a later version of the last touch (a repeated touch_id keeps the later
    row)."""
    base = {"campaign_id": "winback_2024q4_sms", "customer_id": "c0001", "touched_at": "2024-10-15 09:00:00",
            "channel": "sms", "is_control": "false", "cost": "0.08"}
    return [
        {**base, "touch_id": ""},
        {**base, "touch_id": "bad_campaign", "campaign_id": ""},
        {**base, "touch_id": "bad_customer", "customer_id": ""},
        {**base, "touch_id": "bad_time", "touched_at": "15/10/2024"},
        {**base, "touch_id": "bad_control", "is_control": "maybe"},
        {**base, "touch_id": "bad_cost", "cost": "free"},
        {**base, "touch_id": "negative_cost", "cost": "-0.08"},
        {**base, "touch_id": "after_as_of", "touched_at": "2030-01-01 00:00:00"},
        {**last, "channel": "email", "cost": "0.06"},
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--orders", type=Path, default=DEFAULT_ORDERS)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args(argv)
    orders = valid_orders(args.orders)
    latest = max(instant for instants in orders.values() for instant in instants)
    as_of = datetime(latest.year, latest.month, latest.day) + timedelta(days=1)
    rng = random.Random(SEED)
    touches: list[dict] = []
    winback_campaign(orders, rng, "winback_2024q3_email", datetime(2024, 7, 8, 9), "email", "0.05", 0.2, touches)
    winback_campaign(orders, rng, "winback_2024q4_sms", datetime(2024, 10, 14, 10), "sms", "0.08", 0.25, touches)
    churn_alert_programme(orders, rng, touches, as_of)
    coupon_campaign(orders, rng, touches, datetime(2025, 3, 1), datetime(2025, 9, 1))
    touches.sort(key=lambda touch: (touch["touched_at"], touch["campaign_id"], touch["customer_id"]))
    rows = [spelled(rng, touch, number) for number, touch in enumerate(touches, start=1)]
    rows += bad_lines(rows[-1])
    with args.out.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
    print(f"wrote {len(rows):,} touches ({len(touches):,} valid) to {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
