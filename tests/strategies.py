"""Hypothesis strategies for randomized raw order histories (METRICS.md §1 shape).

`raw_histories()` draws `(rows, metrics_as_of)`:
* rows: list of dicts of *text* values in file order, keys order_id,
  customer_id, ordered_at, amount and, per history, status / refunded_amount /
  updated_at (a history either has a column for every row or for none, so it
  can be written to CSV as is);
* metrics_as_of: a naive UTC datetime or None (= the §2 default).

The generator aims at edge cases: gaps of exactly D days, D +- 1 second, A days,
A +- 1 second, lifecycle_new_days, 0 (same instant), orders and churn/alert
instants on period boundaries (midnight of the 1st of a month/quarter/year,
Mondays, in `boundary_timezone`), offsets in the text, invalid rows (bad
status, fully refunded, negative amount, unparseable date, missing ids), a
customer with only rejected rows, and superseded versions (with updated_at
ties and blanks).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from hypothesis import strategies as st

UTC = timezone.utc
WINDOW_START = date(2022, 7, 1)
WINDOW_DAYS = 730            # anchors fall in ~2 years
LATEST = datetime(2025, 6, 30)
COUNTED = ["completed", "paid", "shipped", "delivered", "Completed", " PAID ",
           "Shipped ", "DELIVERED"]
NOT_COUNTED = ["cancelled", "pending", "refunded", "", "draft"]
OFFSETS = ["+08:00", "-05:00", "+05:30", "+00:00", "-03:00", "+0100"]
BAD_DATES = ["not a date", "2024-02-30", "2023-13-01 10:00:00", "31/12/2023",
             "2024-04-31T00:00:00Z"]


def _local_midnight_utc(d: date, tz: ZoneInfo) -> datetime:
    return datetime(d.year, d.month, d.day, tzinfo=tz).astimezone(UTC).replace(tzinfo=None)


@st.composite
def boundary_instants(draw, tz_name="UTC"):
    """Midnight (in tz) of a period start: a 1st of month/quarter/year, a Monday
    or any day, within the window."""
    tz = ZoneInfo(tz_name)
    kind = draw(st.sampled_from(["month", "quarter", "year", "monday", "day"]))
    d = WINDOW_START + timedelta(days=draw(st.integers(0, WINDOW_DAYS)))
    if kind == "month":
        d = d.replace(day=1)
    elif kind == "quarter":
        d = date(d.year, 3 * ((d.month - 1) // 3) + 1, 1)
    elif kind == "year":
        d = date(draw(st.sampled_from([2023, 2024, 2025])), 1, 1)
    elif kind == "monday":
        d = d - timedelta(days=d.weekday())
    return _local_midnight_utc(d, tz)


@st.composite
def anchor_instants(draw, D, A, N, tz_name="UTC"):
    """A customer's first order: random, on a boundary, or placed so that its
    churn (o + D) / alert (o + A) / new-state end (o + N) falls on a boundary."""
    kind = draw(st.sampled_from(
        ["random", "random", "boundary", "boundary", "boundary-1s", "boundary+1s",
         "churn_on_boundary", "churn_on_boundary-1s", "alert_on_boundary"]))
    if kind == "random":
        return datetime.combine(WINDOW_START, datetime.min.time()) + timedelta(
            seconds=draw(st.integers(0, WINDOW_DAYS * 86400)))
    b = draw(boundary_instants(tz_name))
    one = timedelta(seconds=1)
    return {
        "boundary": b,
        "boundary-1s": b - one,
        "boundary+1s": b + one,
        "churn_on_boundary": b - D,
        "churn_on_boundary-1s": b - D - one,
        "alert_on_boundary": b - A,
    }[kind]


@st.composite
def gaps(draw, D, A, N):
    one = timedelta(seconds=1)
    kind = draw(st.sampled_from(
        ["D", "D", "D-1s", "D+1s", "D+1d", "A", "A-1s", "A+1s", "0", "0",
         "N", "N+1s", "small", "small", "medium", "large"]))
    fixed = {
        "D": D, "D-1s": D - one, "D+1s": D + one, "D+1d": D + timedelta(days=1),
        "A": A, "A-1s": A - one, "A+1s": A + one, "0": timedelta(0),
        "N": N, "N+1s": N + one,
    }
    if kind in fixed:
        return fixed[kind]
    d_s = int(D.total_seconds())
    mid = min(30 * 86400, d_s)
    if kind == "small":
        return timedelta(seconds=draw(st.integers(1, mid)))
    if kind == "medium":
        return timedelta(seconds=draw(st.integers(mid, d_s)))
    return timedelta(seconds=draw(st.integers(d_s, max(200 * 86400, 2 * d_s))))


@st.composite
def timestamp_text(draw, x: datetime, offsets=True):
    """Render a naive UTC instant as ISO-8601 text in one of the allowed forms."""
    styles = ["space", "T", "Z"]
    if offsets:
        styles += ["offset", "offset"]
    if x.time() == datetime.min.time():
        styles.append("date")
    style = draw(st.sampled_from(styles))
    if style == "space":
        return x.strftime("%Y-%m-%d %H:%M:%S")
    if style == "T":
        return x.strftime("%Y-%m-%dT%H:%M:%S")
    if style == "Z":
        return x.strftime("%Y-%m-%dT%H:%M:%SZ")
    if style == "date":
        return x.strftime("%Y-%m-%d")
    off = draw(st.sampled_from(OFFSETS))
    sign = 1 if off[0] == "+" else -1
    hh, mm = int(off[1:3]), int(off[-2:])
    local = x + sign * timedelta(hours=hh, minutes=mm)
    sep = draw(st.sampled_from(["T", " "]))
    return local.strftime(f"%Y-%m-%d{sep}%H:%M:%S") + off


def _money(cents: int) -> str:
    sign = "-" if cents < 0 else ""
    cents = abs(cents)
    return f"{sign}{cents // 100}.{cents % 100:02d}"


@st.composite
def raw_histories(draw, dormancy_days=90, at_risk_days=60, new_days=30,
                  min_customers=1, max_customers=8, max_orders=8,
                  invalid=True, offsets=True, versions=True,
                  boundary_timezone="UTC", as_of=True):
    """(rows, metrics_as_of or None); see the module docstring."""
    D = timedelta(days=dormancy_days)
    A = timedelta(days=at_risk_days)
    N = timedelta(days=new_days)
    has_status = draw(st.sampled_from([True, True, True, False]))
    has_refund = draw(st.sampled_from([True, True, False]))
    has_updated = versions and draw(st.sampled_from([True, True, False]))
    numeric_ids = draw(st.booleans())

    n_customers = draw(st.integers(min_customers, max_customers))
    # (customer_id, instant) of the intended orders
    planned: list[tuple[str, datetime]] = []
    for c in range(n_customers):
        cid = str(100 + c) if numeric_ids else f"c{c}"
        t = draw(anchor_instants(D, A, N, boundary_timezone))
        planned.append((cid, t))
        for _ in range(draw(st.integers(1, max_orders)) - 1):
            t = t + draw(gaps(D, A, N))
            if t > LATEST:
                break
            planned.append((cid, t))
    only_rejected_customer = invalid and draw(st.integers(0, 3)) == 0
    if only_rejected_customer:
        cid = "999" if numeric_ids else "rejected_only"
        for _ in range(draw(st.integers(1, 3))):
            planned.append((cid, draw(anchor_instants(D, A, N, boundary_timezone))))

    rows: list[dict] = []
    for k, (cid, t) in enumerate(planned):
        oid = str(5000 + k) if numeric_ids else f"o{k}"
        cents = draw(st.integers(1, 50000))
        row = {
            "order_id": oid,
            "customer_id": cid,
            "ordered_at": draw(timestamp_text(t, offsets)),
            "amount": _money(cents),
        }
        if has_status:
            row["status"] = draw(st.sampled_from(COUNTED))
        if has_refund:
            kind = draw(st.sampled_from(["empty", "empty", "zero", "partial"]))
            row["refunded_amount"] = {
                "empty": "", "zero": "0",
                "partial": _money(draw(st.integers(0, cents - 1))),
            }[kind]
        if has_updated:
            row["updated_at"] = ""
        must_break = cid in ("999", "rejected_only") and only_rejected_customer
        if invalid and (must_break or draw(st.integers(0, 9)) == 0):
            _break_row(draw, row, has_status, has_refund, cents)
        rows.append(row)

    if versions:
        extra = []
        for row in rows:
            if row["customer_id"] in ("999", "rejected_only"):
                continue   # keep that customer's rows all rejected
            if draw(st.integers(0, 6)) != 0:
                continue
            for _ in range(draw(st.integers(1, 2))):
                v = dict(row)
                change = draw(st.sampled_from(["status", "amount", "ordered_at", "same"]))
                if change == "status" and has_status:
                    v["status"] = draw(st.sampled_from(COUNTED + NOT_COUNTED))
                elif change == "amount":
                    v["amount"] = _money(draw(st.integers(1, 50000)))
                    if has_refund:
                        v["refunded_amount"] = ""
                elif change == "ordered_at":
                    base = draw(anchor_instants(D, A, N, boundary_timezone))
                    v["ordered_at"] = draw(timestamp_text(base, offsets))
                extra.append(v)
        rows.extend(extra)
        if has_updated:
            pool = [datetime(2025, 7, 1) + timedelta(hours=h) for h in range(4)]
            for row in rows:
                u = draw(st.sampled_from(pool + [None]))
                row["updated_at"] = "" if u is None else u.strftime("%Y-%m-%d %H:%M:%S")
        rows = draw(st.permutations(rows))

    metrics_as_of = None
    if as_of and draw(st.booleans()):
        instants = [t for _, t in planned]
        kind = draw(st.sampled_from(
            ["boundary", "order", "order+D", "order+D+1s", "order+A", "random",
             "after_last", "after_last"]))
        if kind == "boundary":
            metrics_as_of = draw(boundary_instants(boundary_timezone))
        elif kind == "after_last":
            metrics_as_of = max(instants) + timedelta(
                seconds=draw(st.integers(-30 * 86400, 150 * 86400)))
        else:
            t = draw(st.sampled_from(instants))
            metrics_as_of = {
                "order": t,
                "order+D": t + D,
                "order+D+1s": t + D + timedelta(seconds=1),
                "order+A": t + A,
                "random": t + timedelta(seconds=draw(st.integers(-30 * 86400, 150 * 86400))),
            }[kind]
    return list(rows), metrics_as_of


def _break_row(draw, row, has_status, has_refund, cents):
    kinds = ["negative_amount", "bad_date", "missing_customer", "missing_date",
             "bad_amount", "missing_order_id"]
    if has_status:
        kinds += ["bad_status", "bad_status"]
    if has_refund:
        kinds += ["fully_refunded", "fully_refunded", "over_refunded"]
    kind = draw(st.sampled_from(kinds))
    if kind == "negative_amount":
        row["amount"] = _money(-cents)
    elif kind == "bad_date":
        row["ordered_at"] = draw(st.sampled_from(BAD_DATES))
    elif kind == "missing_customer":
        row["customer_id"] = ""
    elif kind == "missing_date":
        row["ordered_at"] = ""
    elif kind == "bad_amount":
        row["amount"] = ""
    elif kind == "missing_order_id":
        row["order_id"] = ""
    elif kind == "bad_status":
        row["status"] = draw(st.sampled_from(NOT_COUNTED))
    elif kind == "fully_refunded":
        row["refunded_amount"] = row["amount"]
    elif kind == "over_refunded":
        row["refunded_amount"] = _money(cents + 100)
