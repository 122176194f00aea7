#!/usr/bin/env python
"""Generate the bundled demo loyalty files (METRICS.md §9) from the demo orders, deterministically.

    python scripts/generate_loyalty.py            # writes data/demo/raw_loyalty_members.csv and raw_loyalty_events.csv

About 40% of the demo customers join the programme, at or after their first order (a few before it); one in ten
of them leaves later. Members earn one point per whole unit of each counted order placed while they are members,
an hour after it; they redeem part of their balance now and then, points expire, and a few adjustments (signed)
correct balances. Every choice is a hash of the customer, the order or the event, never random().

The files also carry the bad input the README describes, so that the demo exercises it: rejected rows (unknown
event type, non-numeric points, negative earn points, a second member row for a customer, missing ids and
timestamps) and kept-but-flagged rows (a redemption above the balance, an earn outside the membership).
"""

from __future__ import annotations

import csv
import hashlib
from collections import defaultdict
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parents[1]
ORDERS = PROJECT_DIR / "data" / "demo" / "raw_orders.csv"
MEMBERS = PROJECT_DIR / "data" / "demo" / "raw_loyalty_members.csv"
EVENTS = PROJECT_DIR / "data" / "demo" / "raw_loyalty_events.csv"
COUNTED = {"completed", "paid", "shipped", "delivered"}
DEMO_START = datetime(2024, 1, 2)


def draw(*parts: object) -> float:
    """A uniform [0, 1) draw from a hash of the parts."""
    digest = hashlib.sha256("|".join(str(part) for part in parts).encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def parse(text: str) -> datetime | None:
    try:
        value = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    if value.tzinfo is not None:
        value = (value - value.utcoffset()).replace(tzinfo=None)
    return value


def stamp(value: datetime) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S")


def counted_orders() -> dict[str, list[tuple[datetime, Decimal]]]:
    """Each customer's plausible orders (counted status, parseable), by time; versions are not deduplicated."""
    orders: dict[str, list[tuple[datetime, Decimal]]] = defaultdict(list)
    with ORDERS.open(newline="", encoding="utf-8-sig") as handle:
        for row in csv.DictReader(handle):
            when = parse(row.get("ordered_at") or "")
            if when is None or (row.get("status") or "").strip().lower() not in COUNTED:
                continue
            try:
                amount = Decimal((row.get("amount") or "").strip())
            except InvalidOperation:
                continue
            if amount > 0 and (row.get("customer_id") or "").strip():
                orders[row["customer_id"].strip()].append((when, amount))
    return {customer: sorted(rows) for customer, rows in orders.items()}


def main() -> None:
    orders = counted_orders()
    members: list[dict] = []
    events: list[dict] = []
    sequence = 0

    def event(customer: str, when: datetime, kind: str, points: str) -> None:
        nonlocal sequence
        sequence += 1
        events.append({"event_id": f"e{sequence:06d}", "customer_id": customer, "occurred_at": stamp(when),
                       "event_type": kind, "points": points})

    for customer in sorted(orders):
        history = orders[customer]
        if draw("member", customer) >= 0.4:
            continue
        first = history[0][0]
        # up to 5 days before the customer's first order, but not before the demo's first day
        enrolled = max(first + timedelta(days=int(draw("enrol", customer) * 60) - 5, hours=3), DEMO_START)
        left = None
        if draw("leave", customer) < 0.1:
            left = enrolled + timedelta(days=30 + int(draw("stay", customer) * 300))
        members.append({"customer_id": customer, "enrolled_at": stamp(enrolled),
                        "left_at": stamp(left) if left else ""})
        balance = 0
        for number, (when, amount) in enumerate(history):
            if not (enrolled < when and (left is None or when <= left)):
                continue
            earn = int(amount)
            if earn <= 0:
                continue
            event(customer, when + timedelta(hours=1), "earn", str(earn))
            balance += earn
            if balance >= 50 and draw("redeem", customer, number) < 0.35:
                spent = max(1, int(balance * (0.3 + 0.7 * draw("spend", customer, number))))
                event(customer, when + timedelta(days=2, hours=5), "redeem", str(spent))
                balance -= spent
            if balance > 0 and draw("expire", customer, number) < 0.05:
                lapsed = max(1, balance // 4)
                event(customer, when + timedelta(days=20), "expire", str(lapsed))
                balance -= lapsed
            if draw("adjust", customer, number) < 0.02:
                change = int(draw("change", customer, number) * 40) - 15
                event(customer, when + timedelta(days=1), "adjust", str(change))
                balance += change

    # Bad input, kept visible: see the module docstring.
    first_member = members[0]
    members.append({**first_member, "enrolled_at": "2024-06-01 00:00:00"})  # a second row for the customer
    members.append({"customer_id": "", "enrolled_at": "2024-03-01 00:00:00", "left_at": ""})
    members.append({"customer_id": "c9001", "enrolled_at": "someday", "left_at": ""})
    non_member = next(customer for customer in sorted(orders) if draw("member", customer) >= 0.4)
    some_member = members[1]["customer_id"]
    base = parse(members[1]["enrolled_at"]) + timedelta(days=3)
    event(some_member, base, "bonus", "10")                       # unknown event type
    event(some_member, base, "earn", "ten")                       # non-numeric points
    event(some_member, base, "earn", "-5")                        # negative earn points
    event(some_member, base, "redeem", "-5")                      # negative redeem points
    event(some_member, base + timedelta(hours=1), "redeem", "250")  # above the balance: kept, flagged
    event(non_member, orders[non_member][0][0] + timedelta(hours=1), "earn", "12")  # outside membership: kept
    event(some_member, base, "", "3")                             # missing event type
    events.append({"event_id": "", "customer_id": some_member, "occurred_at": stamp(base), "event_type": "earn",
                   "points": "4"})

    with MEMBERS.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=["customer_id", "enrolled_at", "left_at"])
        writer.writeheader()
        writer.writerows(members)
    events.sort(key=lambda row: (row["occurred_at"], row["event_id"]))
    with EVENTS.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=["event_id", "customer_id", "occurred_at", "event_type", "points"])
        writer.writeheader()
        writer.writerows(events)
    print(f"wrote {len(members):,} member rows to {MEMBERS} and {len(events):,} point events to {EVENTS}")


if __name__ == "__main__":
    main()
