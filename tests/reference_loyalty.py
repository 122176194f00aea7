"""Independent pure-Python reference of METRICS.md §9 (the loyalty programme), for tests/test_loyalty.py.

Written from the contract's sentences, evaluated at each period's instants by scanning every member and event (no
intervals, no running sums): who is a member at t, each customer's balance at t as the sum over their events
strictly before t, and the lifecycle split through reference.py's own activity model. Standard library only.

Readings chosen where METRICS.md is silent (the same as the models; README "Loyalty programme"):
* members: the first valid row of a customer in file order is kept; every later valid row of the same customer is
  rejected as duplicate_customer_id. A row whose left_at is not after enrolled_at is rejected (an empty
  membership).
* events: an event_id seen on an earlier valid row is rejected as duplicate_event_id; event types are compared
  after trimming and lower-casing; points are decimals, negative ones rejected for earn, redeem and expire.
* the periods run from the one holding the earliest enrolled_at; events before it count in balances only.
* member / non-member split: membership at period_start; customers without a member row are non-members.
"""

from __future__ import annotations

from decimal import Decimal

from reference import (
    GRAINS,
    Params,
    _by_customer,
    _instants,
    _ratio,
    _text,
    clean_orders,
    is_active,
    ordered_before,
    parse_decimal,
    parse_timestamp,
    periods_between,
    reactivation_instants,
)

EVENT_TYPES = ("earn", "redeem", "expire", "adjust")
LOYALTY_COUNT_COLUMNS = (
    "members_at_end", "participating_members", "redeeming_members", "positive_balance_customers_at_start",
    "member_customers_at_start", "member_retained_customers", "non_member_customers_at_start",
    "non_member_retained_customers", "member_old_customers_at_start", "member_reactivated_customers",
    "non_member_old_customers_at_start", "non_member_reactivated_customers",
)
LOYALTY_POINT_COLUMNS = ("points_earned", "points_redeemed", "points_expired", "points_adjusted")
LOYALTY_RATE_COLUMNS = (
    "participation_rate", "points_redemption_rate", "member_redemption_rate", "member_base_retention_rate",
    "non_member_base_retention_rate", "member_reactivation_rate", "non_member_reactivation_rate",
)


def clean_members(rows: list[dict]) -> tuple[dict, list[dict]]:
    """({customer_id: (enrolled_at, left_at)}, rejected [dict(row_number, reason)])."""
    members: dict = {}
    rejected: list[dict] = []
    for index, row in enumerate(rows):
        customer = _text(row.get("customer_id"))
        enrolled_text = _text(row.get("enrolled_at"))
        left_text = _text(row.get("left_at"))
        enrolled = parse_timestamp(enrolled_text)
        left = parse_timestamp(left_text) if left_text else None
        if not customer:
            reason = "missing customer_id"
        elif not enrolled_text:
            reason = "missing enrolled_at"
        elif enrolled is None:
            reason = "unparseable enrolled_at"
        elif left_text and left is None:
            reason = "unparseable left_at"
        elif left is not None and left <= enrolled:
            reason = "left_at not after enrolled_at"
        elif customer in members:
            reason = "duplicate customer_id"
        else:
            members[customer] = (enrolled, left)
            continue
        rejected.append(dict(row_number=index, reason=reason))
    return members, rejected


def clean_events(rows: list[dict], as_of) -> tuple[list[dict], list[dict]]:
    """(counted events [dict(event_id, customer_id, occurred_at, event_type, points)], rejected)."""
    events: list[dict] = []
    rejected: list[dict] = []
    seen: set[str] = set()
    for index, row in enumerate(rows):
        event_id = _text(row.get("event_id"))
        customer = _text(row.get("customer_id"))
        occurred_text = _text(row.get("occurred_at"))
        occurred = parse_timestamp(occurred_text)
        kind = _text(row.get("event_type")).lower()
        points_text = _text(row.get("points"))
        points = parse_decimal(points_text)
        if not event_id:
            reason = "missing event_id"
        elif not customer:
            reason = "missing customer_id"
        elif not occurred_text:
            reason = "missing occurred_at"
        elif occurred is None:
            reason = "unparseable occurred_at"
        elif not kind:
            reason = "missing event_type"
        elif kind not in EVENT_TYPES:
            reason = "unknown event_type"
        elif not points_text:
            reason = "missing points"
        elif points is None:
            reason = "unparseable points"
        elif kind != "adjust" and points < 0:
            reason = "negative points"
        elif event_id in seen:
            reason = "duplicate event_id"
        else:
            seen.add(event_id)
            if as_of is not None and occurred < as_of:
                events.append(dict(event_id=event_id, customer_id=customer, occurred_at=occurred,
                                   event_type=kind, points=points))
                continue
            reason = "not before metrics_as_of"
        rejected.append(dict(row_number=index, reason=reason))
    return events, rejected


def is_member(members: dict, customer: str, t) -> bool:
    if customer not in members:
        return False
    enrolled, left = members[customer]
    return enrolled < t and (left is None or t <= left)


def balance(events: list[dict], customer: str, t) -> Decimal:
    total = Decimal(0)
    for event in events:
        if event["customer_id"] == customer and event["occurred_at"] < t:
            sign = 1 if event["event_type"] in ("earn", "adjust") else -1
            total += sign * event["points"]
    return total


def flags(events: list[dict], members: dict) -> dict[str, tuple[bool, bool]]:
    """{event_id: (is_above_balance, is_outside_membership)}."""
    return {
        event["event_id"]: (
            event["event_type"] == "redeem" and event["points"] > balance(events, event["customer_id"],
                                                                          event["occurred_at"]),
            not is_member(members, event["customer_id"], event["occurred_at"]),
        )
        for event in events
    }


def loyalty_metrics(order_rows, member_rows, event_rows, params: Params | None = None, grains=GRAINS) -> dict:
    """{members, member_rejected, events, event_rejected, periods: {(grain, period_start_date): {...}}}."""
    p = params or Params()
    valid, _, _, as_of = clean_orders(order_rows, p)
    members, member_rejected = clean_members(member_rows)
    events, event_rejected = clean_events(event_rows, as_of)
    out = dict(members=members, member_rejected=member_rejected, events=events, event_rejected=event_rejected,
               periods={})
    if not members or as_of is None:
        return out
    orders_of = {c: _instants(os) for c, os in _by_customer(valid).items()}
    react_of = {c: reactivation_instants(ts, p) for c, ts in orders_of.items()}
    event_customers = sorted({event["customer_id"] for event in events})
    first = min(enrolled for enrolled, _ in members.values())
    for grain in grains:
        for ps_d, pe_d, ps, pe in periods_between(first, as_of, grain, p.tz):
            end = min(pe, as_of)
            inside = [event for event in events if ps <= event["occurred_at"] < end]
            row = dict(period_end=pe_d, is_complete=pe <= as_of)
            row["members_at_end"] = sum(is_member(members, c, end) for c in members)
            row["participating_members"] = len({e["customer_id"] for e in inside
                                                if e["event_type"] in ("earn", "redeem")})
            row["redeeming_members"] = len({e["customer_id"] for e in inside if e["event_type"] == "redeem"})
            for column, kind in zip(LOYALTY_POINT_COLUMNS, EVENT_TYPES):
                row[column] = sum((e["points"] for e in inside if e["event_type"] == kind), Decimal(0))
            row["positive_balance_customers_at_start"] = sum(balance(events, c, ps) > 0 for c in event_customers)
            counts = {key: 0 for key in ("cs", "retained", "old", "reactivated")}
            member_counts = dict(counts)
            for c, ts in orders_of.items():
                a_start = is_active(ts, ps, p)
                retained = a_start and is_active(ts, end, p) and not any(ps < x <= end for x in react_of[c])
                figures = dict(cs=a_start, retained=retained, old=ordered_before(ts, ps),
                               reactivated=any(ps <= x < pe for x in react_of[c]))
                member = is_member(members, c, ps)
                for key, value in figures.items():
                    counts[key] += value
                    member_counts[key] += value and member
            row.update(
                member_customers_at_start=member_counts["cs"],
                member_retained_customers=member_counts["retained"],
                non_member_customers_at_start=counts["cs"] - member_counts["cs"],
                non_member_retained_customers=counts["retained"] - member_counts["retained"],
                member_old_customers_at_start=member_counts["old"],
                member_reactivated_customers=member_counts["reactivated"],
                non_member_old_customers_at_start=counts["old"] - member_counts["old"],
                non_member_reactivated_customers=counts["reactivated"] - member_counts["reactivated"],
            )
            row.update(
                participation_rate=_ratio(row["participating_members"], row["members_at_end"]),
                points_redemption_rate=(None if row["points_earned"] == 0
                                        else float(row["points_redeemed"] / row["points_earned"])),
                member_redemption_rate=_ratio(row["redeeming_members"], row["positive_balance_customers_at_start"]),
                member_base_retention_rate=_ratio(row["member_retained_customers"], row["member_customers_at_start"]),
                non_member_base_retention_rate=_ratio(row["non_member_retained_customers"],
                                                      row["non_member_customers_at_start"]),
                member_reactivation_rate=_ratio(row["member_reactivated_customers"],
                                                row["member_old_customers_at_start"]),
                non_member_reactivation_rate=_ratio(row["non_member_reactivated_customers"],
                                                    row["non_member_old_customers_at_start"]),
            )
            out["periods"][(grain, ps_d)] = row
    return out
