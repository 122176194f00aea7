"""Independent pure-Python reference of METRICS.md §10 (campaigns and win-back attribution).

Written from the contract's sentences, naively (every order scans every touch of its customer), on top of the
§1-§7 reference (tests/reference.py: valid orders, states, alerts, periods). Nothing here mirrors the SQL's
one-pass timelines. The lift intervals use scipy's Wilson interval (scipy.stats.binomtest) combined by Newcombe's
rule, an implementation independent of the SQL macros.

Readings where METRICS.md is silent (each is tested against the marts):
* touch rejection reasons, first failing rule wins: missing touch_id, missing campaign_id, missing customer_id,
  missing touched_at, unparseable touched_at, unparseable is_control, unparseable cost, negative cost, then
  "not before metrics_as_of" (also when there is no metrics_as_of: no valid order at all);
* is_control reads true/1/yes/t/y and false/0/no/f/n in any case; empty = false;
* a repeated touch_id keeps the row later in the file, whatever it holds (a bad later row rejects the touch);
* `attributed_orders` / `attributed_net_revenue` / `cost` of a campaign are over its treated touches only;
* fct_campaign_metrics has no rows without a valid touch; otherwise the periods of fct_lifecycle_metrics;
* a lift interval and its significance flag are None when either group is empty (or has no dormant customer).
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation

from reference import (
    GRAINS, Params, _by_customer, _instants, churn_alerts, clean_orders, customer_state, parse_timestamp,
    period_containing, period_metrics, reactivation_instants,
)

TRUE_SPELLINGS = {"true", "1", "yes", "t", "y"}
FALSE_SPELLINGS = {"false", "0", "no", "f", "n"}
Z = 1.959963984540054


def _text(value) -> str:
    return "" if value is None else str(value).strip()


def _cost(text: str) -> Decimal | None:
    try:
        value = Decimal(text)
    except InvalidOperation:
        return None
    return value if value.is_finite() else None


def clean_touches(raw_rows: list[dict], as_of: datetime | None) -> tuple[list[dict], list[dict], list[dict]]:
    """(valid touches, superseded rows, rejected rows with a reason)."""
    latest: dict[str, int] = {}
    rejected, superseded = [], []
    for index, row in enumerate(raw_rows):
        touch_id = _text(row.get("touch_id"))
        if not touch_id:
            rejected.append({"row": index, "reason": "missing touch_id"})
            continue
        if touch_id in latest:
            superseded.append({"row": latest[touch_id]})
        latest[touch_id] = index
    valid = []
    for touch_id, index in latest.items():
        row = raw_rows[index]
        reason = None
        touched_at = parse_timestamp(row.get("touched_at"))
        control_text = _text(row.get("is_control")).lower()
        cost_text = _text(row.get("cost"))
        cost = _cost(cost_text) if cost_text else Decimal(0)
        if not _text(row.get("campaign_id")):
            reason = "missing campaign_id"
        elif not _text(row.get("customer_id")):
            reason = "missing customer_id"
        elif not _text(row.get("touched_at")):
            reason = "missing touched_at"
        elif touched_at is None:
            reason = "unparseable touched_at"
        elif control_text and control_text not in TRUE_SPELLINGS | FALSE_SPELLINGS:
            reason = "unparseable is_control"
        elif cost is None:
            reason = "unparseable cost"
        elif cost < 0:
            reason = "negative cost"
        elif as_of is None or not touched_at < as_of:
            reason = "not before metrics_as_of"
        if reason is not None:
            rejected.append({"row": index, "reason": reason})
            continue
        valid.append({
            "touch_id": touch_id,
            "campaign_id": _text(row.get("campaign_id")),
            "customer_id": _text(row.get("customer_id")),
            "touched_at": touched_at,
            "channel": _text(row.get("channel")) or None,
            "is_control": control_text in TRUE_SPELLINGS,
            "cost": cost,
        })
    assert len(valid) + len(superseded) + len(rejected) == len(raw_rows)
    return valid, superseded, rejected


def attribute(valid_orders, touches, attribution_days: int) -> dict[str, dict]:
    """{order_id: the touch it belongs to}: the customer's touch with the latest touched_at such that
    touched_at < ordered_at <= touched_at + W, a tie going to the greatest touch_id."""
    window = timedelta(days=attribution_days)
    touches_of: dict[str, list[dict]] = {}
    for touch in touches:
        touches_of.setdefault(touch["customer_id"], []).append(touch)
    out = {}
    for order in valid_orders:
        candidates = [touch for touch in touches_of.get(order.customer_id, [])
                      if touch["touched_at"] < order.ordered_at <= touch["touched_at"] + window]
        if candidates:
            out[order.order_id] = max(candidates, key=lambda touch: (touch["touched_at"], touch["touch_id"]))
    return out


def state_at(orders_by_customer, customer_id: str, instant: datetime, params: Params) -> str:
    state = customer_state(orders_by_customer.get(customer_id, []), instant, params)
    return "prospect" if state is None else state


def _ratio(numerator, denominator):
    return None if denominator == 0 else numerator / denominator


def wilson(successes: int, trials: int) -> tuple[float, float]:
    from scipy.stats import binomtest

    interval = binomtest(successes, trials).proportion_ci(confidence_level=0.95, method="wilson")
    return interval.low, interval.high


def newcombe(x1: int, n1: int, x2: int, n2: int) -> tuple[float | None, float | None]:
    """Newcombe's hybrid score interval of p1 - p2 (method 10 of Newcombe 1998)."""
    if n1 == 0 or n2 == 0:
        return None, None
    p1, p2 = x1 / n1, x2 / n2
    l1, u1 = wilson(x1, n1)
    l2, u2 = wilson(x2, n2)
    return (p1 - p2 - math.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2),
            p1 - p2 + math.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2))


def campaign_results(valid_orders, touches, attribution, params: Params) -> dict[str, dict]:
    by_customer = _by_customer(valid_orders)
    responded = {touch["touch_id"] for touch in attribution.values()}
    orders = {order.order_id: order for order in valid_orders}
    out = {}
    for campaign_id in sorted({touch["campaign_id"] for touch in touches}):
        mine = [touch for touch in touches if touch["campaign_id"] == campaign_id]
        row = {}
        for group, control in (("treated", False), ("control", True)):
            group_touches = [touch for touch in mine if touch["is_control"] == control]
            customers = {touch["customer_id"] for touch in group_touches}
            responders = {touch["customer_id"] for touch in group_touches if touch["touch_id"] in responded}
            dormant = set()
            for customer_id in customers:
                first = min(touch["touched_at"] for touch in group_touches if touch["customer_id"] == customer_id)
                if state_at(by_customer, customer_id, first, params) == "dormant":
                    dormant.add(customer_id)
            row[f"{group}_customers"] = len(customers)
            row[f"{group}_responders"] = len(responders)
            row[f"{group}_response_rate"] = _ratio(len(responders), len(customers))
            row[f"{group}_dormant_customers"] = len(dormant)
            row[f"{group}_reactivated_customers"] = len(dormant & responders)
            row[f"{group}_reactivation_rate"] = _ratio(len(dormant & responders), len(dormant))
        for kind, successes, trials in (("response", "responders", "customers"),
                                        ("reactivation", "reactivated_customers", "dormant_customers")):
            treated, control = row[f"treated_{kind}_rate"], row[f"control_{kind}_rate"]
            row[f"{kind}_rate_lift"] = None if treated is None or control is None else treated - control
            lower, upper = newcombe(row[f"treated_{successes}"], row[f"treated_{trials}"],
                                    row[f"control_{successes}"], row[f"control_{trials}"])
            row[f"{kind}_rate_lift_lower"], row[f"{kind}_rate_lift_upper"] = lower, upper
            row[f"is_{kind}_rate_lift_significant"] = None if lower is None else (lower > 0 or upper < 0)
        treated_ids = {touch["touch_id"] for touch in mine if not touch["is_control"]}
        attributed = [orders[order_id] for order_id, touch in attribution.items() if touch["touch_id"] in treated_ids]
        row["attributed_orders"] = len(attributed)
        row["attributed_net_revenue"] = sum((order.net_amount for order in attributed), Decimal(0))
        row["cost"] = sum((touch["cost"] for touch in mine if not touch["is_control"]), Decimal(0))
        row["cost_per_reactivated_customer"] = _ratio(float(row["cost"]), row["treated_reactivated_customers"])
        row["first_touched_at"] = min(touch["touched_at"] for touch in mine)
        row["last_touched_at"] = max(touch["touched_at"] for touch in mine)
        channels = sorted({touch["channel"] for touch in mine if touch["channel"]})
        row["channels"] = ", ".join(channels) if channels else None
        out[campaign_id] = row
    return out


def contacted_alerts(alerts, touches, params: Params) -> dict[tuple, bool]:
    """{(customer_id, alert_at): contacted} — a non-control touch at alert_at <= touched_at <= respond_by."""
    return {
        (alert["customer_id"], alert["alert_at"]): any(
            touch["customer_id"] == alert["customer_id"] and not touch["is_control"]
            and alert["alert_at"] <= touch["touched_at"] <= alert["respond_by"]
            for touch in touches)
        for alert in alerts
    }


def campaign_metrics(valid_orders, touches, attribution, alerts, contacted, periods, params: Params) -> dict:
    """{(grain, period_start): the §10 columns} for the periods of fct_lifecycle_metrics; {} without touches."""
    if not touches:
        return {}
    tz = params.tz
    responded = {touch["touch_id"] for touch in attribution.values()}
    by_customer = _by_customer(valid_orders)
    reactivation_orders = []
    for customer_id, orders in by_customer.items():
        instants = set(reactivation_instants(_instants(orders), params))
        for instant in instants:
            # several orders at one instant are one event; they share their touch (it depends on the instant only)
            order = min((order for order in orders if order.ordered_at == instant), key=lambda o: o.order_id)
            reactivation_orders.append(order)
    out = {}
    period_of: dict = {}
    for (grain, period_start), period in periods.items():
        def inside(instant, grain=grain, period_start=period_start):
            if (grain, instant) not in period_of:
                period_of[(grain, instant)] = period_containing(instant, grain, tz)
            return period_of[(grain, instant)] == period_start

        treated = [touch for touch in touches if not touch["is_control"] and inside(touch["touched_at"])]
        touched = {touch["customer_id"] for touch in treated}
        responding = {touch["customer_id"] for touch in treated if touch["touch_id"] in responded}
        attributed = sum(1 for order in reactivation_orders if inside(order.ordered_at)
                         and order.order_id in attribution and not attribution[order.order_id]["is_control"])
        period_alerts = [alert for alert in alerts if inside(alert["alert_at"])]
        counts = {(flag, outcome): 0 for flag in (True, False) for outcome in ("won_back", "lapsed", "open")}
        for alert in period_alerts:
            counts[(contacted[(alert["customer_id"], alert["alert_at"])], alert["outcome"])] += 1
        out[(grain, period_start)] = {
            "touched_customers": len(touched),
            "responding_customers": len(responding),
            "campaign_response_rate": _ratio(len(responding), len(touched)),
            "reactivation_events": period["reactivation_events"],
            "attributed_reactivations": attributed,
            "attributed_reactivation_share": _ratio(attributed, period["reactivation_events"]),
            "churn_alerts": len(period_alerts),
            "alerts_contacted_in_window": sum(counts[(True, outcome)] for outcome in ("won_back", "lapsed", "open")),
            "contacted_won_back_alerts": counts[(True, "won_back")],
            "contacted_lapsed_alerts": counts[(True, "lapsed")],
            "uncontacted_won_back_alerts": counts[(False, "won_back")],
            "uncontacted_lapsed_alerts": counts[(False, "lapsed")],
            "contacted_win_back_rate": _ratio(counts[(True, "won_back")],
                                              counts[(True, "won_back")] + counts[(True, "lapsed")]),
            "uncontacted_win_back_rate": _ratio(counts[(False, "won_back")],
                                                counts[(False, "won_back")] + counts[(False, "lapsed")]),
        }
    return out


def compute_campaigns(order_rows, touch_rows, params: Params | None = None, attribution_days: int = 7,
                      grains=GRAINS) -> dict:
    params = params or Params()
    valid_orders, _, _, as_of = clean_orders(order_rows, params)
    touches, superseded, rejected = clean_touches(touch_rows, as_of)
    attribution = attribute(valid_orders, touches, attribution_days)
    alerts = churn_alerts(valid_orders, as_of, params) if as_of else []
    contacted = contacted_alerts(alerts, touches, params)
    periods = period_metrics(valid_orders, as_of, params, grains) if as_of else {}
    return {
        "as_of": as_of,
        "touches": touches,
        "superseded": superseded,
        "rejected": rejected,
        "attribution": attribution,
        "results": campaign_results(valid_orders, touches, attribution, params),
        "contacted": contacted,
        "metrics": campaign_metrics(valid_orders, touches, attribution, alerts, contacted, periods, params),
    }
