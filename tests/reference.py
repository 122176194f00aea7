"""Independent pure-Python reference implementation of shared/METRICS.md.

Written from the definitions, instant by instant, to be compared with the dbt
marts on randomized histories.  It is deliberately naive (quadratic scans, no
"spells" table): every figure is obtained by evaluating the contract's sentence
at the instants that matter.  Standard library only.

Conventions
-----------
* Every instant is a *naive* ``datetime`` in UTC.  "D days" / "A days" /
  "lifecycle_new_days" are exact multiples of 24 hours on the UTC time line
  (not local calendar days), "churn_alert_response_hours" exact hours.
* A customer's orders are handled as the sorted list of their valid order
  instants (duplicates kept: several orders at the same instant are fine, the gap
  between them is 0).

Readings chosen where METRICS.md is silent or ambiguous (see also the report):
* Latest version of an order: largest key (updated_at parses, updated_at,
  file position).  A version with a missing/empty/unparseable ``updated_at``
  loses against any version that has one; ties (equal instants, offsets
  normalised to UTC) and versions both without ``updated_at`` go to the row
  later in the file.  Superseded rows are superseded whatever their content.
* ``order_id`` and ``customer_id`` are compared as text after trimming
  whitespace; empty after trimming = missing.  Rows with an empty ``order_id``
  are rejected on their own (not deduplicated with each other).
* A file without a ``status`` column counts every row as ``completed``; a
  *present but empty* status is not a counted status (rejected).
* Negative ``refunded_amount`` is not a rejection rule of the contract, so it is
  accepted (net = amount - refunded_amount may then exceed amount).
* Amounts: ``Decimal`` of the trimmed text; NaN/Infinity are rejected as
  unparseable.
* ``metrics_as_of`` default: 00:00 UTC of the (UTC) calendar day after the latest
  ``ordered_at`` among latest versions that meet every other validity rule.  If
  there is none, ``as_of`` is ``None`` and nothing is valid.
* Rejection reasons (first failing rule wins, in this order):
  missing_order_id, missing_customer_id, missing_ordered_at,
  unparseable_ordered_at, status_not_counted, invalid_amount, negative_amount,
  invalid_refunded_amount, not_positive_net_amount, not_before_metrics_as_of.
* Churn alert "not followed by another order within A days": an order n with
  n - o <= A days prevents the alert (consistent with §6 at_risk = last order
  *more than* A days before t): with no order in (o, o + A] the alert is dated
  o + A, and the customer is at_risk from just after that instant.  Several
  orders at the same instant raise at most one alert; it carries the largest
  order_id (text order) among them, i.e. the one that is "last" when a
  customer's orders are sorted by (ordered_at, order_id).
* Period boundaries: local midnight of the boundary date in
  ``reporting_timezone`` (zoneinfo, fold=0; a nonexistent midnight maps to the
  transition instant), converted to UTC.  An instant belongs to the period whose
  [start, end) UTC range contains it.
* ``win_back_rates`` lists only periods that hold at least one alert.
* ``customer_states_at`` lists only customers with an order strictly before t.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal, InvalidOperation
from zoneinfo import ZoneInfo

UTC = timezone.utc
GRAINS = ("day", "week", "month", "quarter", "year")

# The public names of METRICS.md §4: the counts, then the rates, of fct_lifecycle_metrics.
COUNT_COLUMNS = (
    "customers_at_start",
    "customers_at_end",
    "new_customers",
    "reactivated_customers",
    "churned_customers",
    "reactivation_events",
    "churn_events",
    "retained_customers",
    "old_customers_at_start",
    "dormant_customers_at_start",
    "ordering_customers",
    "repeat_customers",
    "orders",
)
RATE_COLUMNS = (
    "retention_rate",
    "base_retention_rate",
    "reactivation_rate",
    "dormant_reactivation_rate",
    "churn_rate",
    "repeat_purchase_rate",
    "quick_ratio",
)
COHORT_GRAINS = ("week", "month", "quarter")
STATES = ("dormant", "at_risk", "new", "reactivated", "active")


# --------------------------------------------------------------------------
# Parameters and order records
# --------------------------------------------------------------------------
@dataclass
class Params:
    dormancy_days: int = 90          # D
    at_risk_days: int = 60           # A
    new_days: int = 30
    response_hours: int = 72
    counted_statuses: tuple = ("completed", "paid", "shipped", "delivered")
    metrics_as_of: datetime | None = None   # naive UTC; None = default of §2
    reporting_timezone: str = "UTC"

    @property
    def D(self) -> timedelta:
        return timedelta(days=self.dormancy_days)

    @property
    def A(self) -> timedelta:
        return timedelta(days=self.at_risk_days)

    @property
    def N(self) -> timedelta:
        return timedelta(days=self.new_days)

    @property
    def H(self) -> timedelta:
        return timedelta(hours=self.response_hours)

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.reporting_timezone)


@dataclass(frozen=True)
class Order:
    """A valid order (latest version of its order_id, passing every rule)."""
    order_id: str
    customer_id: str
    ordered_at: datetime            # naive UTC
    status: str                     # normalised (trimmed, lower case)
    amount: Decimal
    refunded_amount: Decimal
    updated_at: datetime | None     # naive UTC
    row_number: int                 # 0-based position in the raw file

    @property
    def net_amount(self) -> Decimal:
        return self.amount - self.refunded_amount


# --------------------------------------------------------------------------
# Parsing
# --------------------------------------------------------------------------
_TS_RE = re.compile(
    r"""^(?P<y>\d{4})-(?P<mo>\d{2})-(?P<d>\d{2})
        (?:[Tt ](?P<h>\d{2}):(?P<mi>\d{2})
            (?::(?P<s>\d{2})(?:\.(?P<f>\d{1,9}))?)?
            \s*(?:(?P<z>[Zz])|(?P<sign>[+-])(?P<oh>\d{2})(?::?(?P<om>\d{2}))?)?
        )?$""",
    re.X,
)


def _text(value) -> str:
    """Raw cell -> trimmed text ('' for None/absent)."""
    if value is None:
        return ""
    return str(value).strip()


def parse_timestamp(text) -> datetime | None:
    """ISO-8601 text -> naive UTC datetime, or None when it does not parse.

    Accepted: YYYY-MM-DD; YYYY-MM-DD[T| ]HH:MM[:SS[.fraction]] optionally
    followed by Z or an offset +HH, +HHMM, +HH:MM.  No offset = UTC.  Fractions
    beyond microseconds are truncated.
    """
    text = _text(text)
    if not text:
        return None
    m = _TS_RE.match(text)
    if not m:
        return None
    try:
        frac = (m["f"] or "").ljust(6, "0")[:6]
        dt = datetime(
            int(m["y"]), int(m["mo"]), int(m["d"]),
            int(m["h"] or 0), int(m["mi"] or 0), int(m["s"] or 0),
            int(frac or 0),
        )
    except ValueError:
        return None
    if m["sign"]:
        oh, om = int(m["oh"]), int(m["om"] or 0)
        if oh > 23 or om > 59:
            return None
        offset = timedelta(hours=oh, minutes=om)
        dt = dt - offset if m["sign"] == "+" else dt + offset
    return dt


def parse_decimal(text) -> Decimal | None:
    text = _text(text)
    if not text:
        return None
    try:
        d = Decimal(text)
    except InvalidOperation:
        return None
    if not d.is_finite():
        return None
    return d


def _naive_utc(dt: datetime | None) -> datetime | None:
    if dt is None or dt.tzinfo is None:
        return dt
    return dt.astimezone(UTC).replace(tzinfo=None)


# --------------------------------------------------------------------------
# §1 cleaning
# --------------------------------------------------------------------------
def _check_row(row: dict, index: int, params: Params):
    """Every rule of §1 except `ordered_at < metrics_as_of`.

    Returns (Order, None) or (None, reason)."""
    order_id = _text(row.get("order_id"))
    if not order_id:
        return None, "missing_order_id"
    customer_id = _text(row.get("customer_id"))
    if not customer_id:
        return None, "missing_customer_id"
    ordered_text = _text(row.get("ordered_at"))
    if not ordered_text:
        return None, "missing_ordered_at"
    ordered_at = parse_timestamp(ordered_text)
    if ordered_at is None:
        return None, "unparseable_ordered_at"
    if "status" in row:
        status = _text(row.get("status")).lower()
    else:
        status = "completed"   # file without a status column
    counted = {s.strip().lower() for s in params.counted_statuses}
    if status not in counted:
        return None, "status_not_counted"
    amount = parse_decimal(row.get("amount"))
    if amount is None:
        return None, "invalid_amount"
    if amount < 0:
        return None, "negative_amount"
    refund_text = _text(row.get("refunded_amount"))
    if refund_text == "":
        refund = Decimal(0)
    else:
        refund = parse_decimal(refund_text)
        if refund is None:
            return None, "invalid_refunded_amount"
    if not (amount - refund > 0):
        return None, "not_positive_net_amount"
    return Order(
        order_id=order_id,
        customer_id=customer_id,
        ordered_at=ordered_at,
        status=status,
        amount=amount,
        refunded_amount=refund,
        updated_at=parse_timestamp(row.get("updated_at")),
        row_number=index,
    ), None


def clean_orders(raw_rows: list[dict], params: Params):
    """§1.  Returns (valid, superseded, rejected, as_of).

    valid:      list[Order], in file order.
    superseded: list of dict(row_number, order_id, superseded_by, row).
    rejected:   list of dict(row_number, order_id, customer_id, reason, row).
    as_of:      naive UTC datetime (params.metrics_as_of or the §2 default),
                None when nothing can be valid and no value was given.
    Invariant: len(raw_rows) == len(valid) + len(superseded) + len(rejected).
    """
    rejected: list[dict] = []
    superseded: list[dict] = []

    def reject(i, reason):
        row = raw_rows[i]
        rejected.append(dict(
            row_number=i,
            order_id=_text(row.get("order_id")),
            customer_id=_text(row.get("customer_id")),
            reason=reason,
            row=row,
        ))

    versions: dict[str, list[int]] = {}
    for i, row in enumerate(raw_rows):
        oid = _text(row.get("order_id"))
        if not oid:
            reject(i, "missing_order_id")
        else:
            versions.setdefault(oid, []).append(i)

    def version_key(i):
        u = parse_timestamp(raw_rows[i].get("updated_at"))
        return (u is not None, u or datetime.min, i)

    latest: list[int] = []
    for oid, idxs in versions.items():
        winner = max(idxs, key=version_key)
        latest.append(winner)
        for i in idxs:
            if i != winner:
                superseded.append(dict(
                    row_number=i, order_id=oid, superseded_by=winner,
                    row=raw_rows[i],
                ))

    candidates: list[Order] = []
    for i in sorted(latest):
        order, reason = _check_row(raw_rows[i], i, params)
        if order is None:
            reject(i, reason)
        else:
            candidates.append(order)

    as_of = _naive_utc(params.metrics_as_of)
    if as_of is None and candidates:
        last_day = max(o.ordered_at for o in candidates).date()
        as_of = datetime.combine(last_day + timedelta(days=1), datetime.min.time())

    valid: list[Order] = []
    for o in candidates:
        if as_of is not None and o.ordered_at < as_of:
            valid.append(o)
        else:
            reject(o.row_number, "not_before_metrics_as_of")

    rejected.sort(key=lambda r: r["row_number"])
    superseded.sort(key=lambda r: r["row_number"])
    assert len(raw_rows) == len(valid) + len(superseded) + len(rejected)
    return valid, superseded, rejected, as_of


# --------------------------------------------------------------------------
# §3 the activity model, evaluated directly on a customer's order instants
# --------------------------------------------------------------------------
def _instants(orders) -> list[datetime]:
    """Sorted order instants (accepts Order objects or datetimes)."""
    return sorted(o.ordered_at if isinstance(o, Order) else o for o in orders)


def _by_customer(valid) -> dict[str, list[Order]]:
    out: dict[str, list[Order]] = {}
    for o in valid:
        out.setdefault(o.customer_id, []).append(o)
    return out


def last_order_before(ts: list[datetime], t: datetime) -> datetime | None:
    before = [x for x in ts if x < t]
    return max(before) if before else None


def ordered_before(ts, t) -> bool:
    """Old customer at t: first valid order strictly before t."""
    return any(x < t for x in ts)


def is_active(ts, t, p: Params) -> bool:
    """Latest valid order strictly before t is at most D days before t."""
    last = last_order_before(ts, t)
    return last is not None and t - last <= p.D


def is_dormant(ts, t, p: Params) -> bool:
    return ordered_before(ts, t) and not is_active(ts, t, p)


def new_instant(ts) -> datetime:
    """The new event: the customer's first valid order."""
    return min(ts)


def reactivation_instants(ts, p: Params) -> list[datetime]:
    """Orders placed more than D days after the customer's previous order.

    Evaluated instant-wise: an order at x is a reactivation iff the customer
    is dormant at x (ordered before x, latest order before x more than D before
    x).  Several orders at the same instant make one event (the others have a
    gap of 0 to it)."""
    return sorted({x for x in ts if is_dormant(ts, x, p)})


def churn_instants(ts, p: Params, as_of: datetime) -> list[datetime]:
    """o + D for every order o with no order in (o, o + D], if o + D < as_of.

    Same-instant orders give one event (the earlier ones are followed, at
    gap 0, by the last one)."""
    out = set()
    for o in ts:
        followed = any(o < n <= o + p.D for n in ts)
        if not followed and o + p.D < as_of:
            out.add(o + p.D)
    return sorted(out)


# --------------------------------------------------------------------------
# Calendar periods
# --------------------------------------------------------------------------
def period_start_of(d: date, grain: str) -> date:
    if grain == "day":
        return d
    if grain == "week":
        return d - timedelta(days=d.weekday())   # ISO week, Monday
    if grain == "month":
        return d.replace(day=1)
    if grain == "quarter":
        return date(d.year, 3 * ((d.month - 1) // 3) + 1, 1)
    if grain == "year":
        return date(d.year, 1, 1)
    raise ValueError(grain)


def add_periods(d: date, grain: str, k: int = 1) -> date:
    """Start of the k-th period after the period starting at d."""
    if grain == "day":
        return d + timedelta(days=k)
    if grain == "week":
        return d + timedelta(days=7 * k)
    months = {"month": 1, "quarter": 3, "year": 12}[grain] * k
    idx = d.year * 12 + (d.month - 1) + months
    return date(idx // 12, idx % 12 + 1, 1)


def local_midnight_utc(d: date, tz: ZoneInfo) -> datetime:
    """First instant of local date d in tz, as naive UTC."""
    return datetime(d.year, d.month, d.day, tzinfo=tz).astimezone(UTC).replace(tzinfo=None)


def local_date(x: datetime, tz: ZoneInfo) -> date:
    return x.replace(tzinfo=UTC).astimezone(tz).date()


def period_containing(x: datetime, grain: str, tz: ZoneInfo) -> date:
    """Start date of the period whose UTC range [start, end) contains x."""
    ps = period_start_of(local_date(x, tz), grain)
    while local_midnight_utc(ps, tz) > x:
        ps = add_periods(ps, grain, -1)
    while local_midnight_utc(add_periods(ps, grain, 1), tz) <= x:
        ps = add_periods(ps, grain, 1)
    return ps


def periods_between(first: datetime, as_of: datetime, grain: str, tz: ZoneInfo):
    """[(start_date, end_date, start_utc, end_utc)] from the period holding
    `first` through the last period with start < as_of."""
    out = []
    ps = period_containing(first, grain, tz)
    while local_midnight_utc(ps, tz) < as_of:
        pe = add_periods(ps, grain, 1)
        out.append((ps, pe, local_midnight_utc(ps, tz), local_midnight_utc(pe, tz)))
        ps = pe
    return out


# --------------------------------------------------------------------------
# §4 period metrics
# --------------------------------------------------------------------------
def _ratio(num, den) -> float | None:
    return None if den == 0 else num / den


def compute_rates(*, customers_at_start=0, customers_at_end=0, new_customers=0,
                  reactivated_customers=0, churned_customers=0,
                  retained_customers=0, old_customers_at_start=0,
                  dormant_customers_at_start=None, repeat_customers=0) -> dict:
    """The rate formulas of §4 (None when the denominator is 0)."""
    if dormant_customers_at_start is None:
        dormant_customers_at_start = old_customers_at_start - customers_at_start
    return dict(
        retention_rate=_ratio(customers_at_end - new_customers, customers_at_start),
        base_retention_rate=_ratio(retained_customers, customers_at_start),
        reactivation_rate=_ratio(reactivated_customers, old_customers_at_start),
        dormant_reactivation_rate=_ratio(reactivated_customers, dormant_customers_at_start),
        churn_rate=_ratio(churned_customers, customers_at_start),
        repeat_purchase_rate=_ratio(repeat_customers, old_customers_at_start),
        quick_ratio=_ratio(new_customers + reactivated_customers, churned_customers),
    )


def period_metrics(valid_orders, as_of: datetime, params: Params,
                   grains=GRAINS) -> dict:
    """§4.  {(grain, period_start_date): {...}} (see module docstring)."""
    p = params
    tz = p.tz
    out: dict = {}
    if not valid_orders or as_of is None:
        return out
    customers = _by_customer(valid_orders)
    ts_of = {c: _instants(os) for c, os in customers.items()}
    react_of = {c: reactivation_instants(ts, p) for c, ts in ts_of.items()}
    churn_of = {c: churn_instants(ts, p, as_of) for c, ts in ts_of.items()}
    first = min(o.ordered_at for o in valid_orders)

    for grain in grains:
        for ps_d, pe_d, ps, pe in periods_between(first, as_of, grain, tz):
            end = min(pe, as_of)

            def inside(x):
                return ps <= x < pe

            cs = ce = cn = react_c = churn_c = react_e = churn_e = 0
            retained = old = repeat = ordering = n_orders = 0
            revenue = Decimal(0)
            for c, ts in ts_of.items():
                a_start = is_active(ts, ps, p)
                a_end = is_active(ts, end, p)
                cs += a_start
                ce += a_end
                cn += inside(new_instant(ts))
                r = [x for x in react_of[c] if inside(x)]
                ch = [x for x in churn_of[c] if inside(x)]
                react_e += len(r)
                churn_e += len(ch)
                react_c += bool(r)
                churn_c += bool(ch)
                # active at every instant of [ps, end]: active at both ends and
                # no reactivation (= a return from dormancy) in (ps, end]
                if a_start and a_end and not any(ps < x <= end for x in react_of[c]):
                    retained += 1
                is_old = ordered_before(ts, ps)
                old += is_old
                ordered_in = [o for o in customers[c] if inside(o.ordered_at)]
                ordering += bool(ordered_in)
                repeat += bool(is_old and ordered_in)
                n_orders += len(ordered_in)
                revenue += sum((o.net_amount for o in ordered_in), Decimal(0))
            row = dict(
                period_end=pe_d,
                is_complete=pe <= as_of,
                customers_at_start=cs,
                customers_at_end=ce,
                new_customers=cn,
                reactivated_customers=react_c,
                churned_customers=churn_c,
                reactivation_events=react_e,
                churn_events=churn_e,
                retained_customers=retained,
                old_customers_at_start=old,
                dormant_customers_at_start=old - cs,
                ordering_customers=ordering,
                repeat_customers=repeat,
                orders=n_orders,
                net_revenue=revenue,
            )
            row.update(compute_rates(
                customers_at_start=cs, customers_at_end=ce, new_customers=cn,
                reactivated_customers=react_c, churned_customers=churn_c,
                retained_customers=retained, old_customers_at_start=old,
                dormant_customers_at_start=old - cs, repeat_customers=repeat,
            ))
            out[(grain, ps_d)] = row
    return out


# --------------------------------------------------------------------------
# §6 customer state
# --------------------------------------------------------------------------
def customer_state(valid_orders_of_customer, t: datetime, params: Params) -> str | None:
    """State of one customer at instant t (None: no order strictly before t)."""
    p = params
    ts = _instants(valid_orders_of_customer)
    last = last_order_before(ts, t)
    if last is None:
        return None
    if not is_active(ts, t, p):
        return "dormant"
    if t - last > p.A:
        return "at_risk"
    reacts_before = [x for x in reactivation_instants(ts, p) if x < t]
    if not reacts_before:                       # in the first spell
        if t - new_instant(ts) <= p.N:
            return "new"
    else:                                       # in a later spell
        if t - max(reacts_before) <= p.N:
            return "reactivated"
    return "active"


def customer_states_at(valid, t: datetime, params: Params) -> dict[str, str]:
    """{customer_id: state at t} for customers with an order strictly before t."""
    out = {}
    for c, os in _by_customer(valid).items():
        s = customer_state(os, t, params)
        if s is not None:
            out[c] = s
    return out


def customer_summary(valid, as_of: datetime, params: Params) -> dict[str, dict]:
    out = {}
    for c, os in _by_customer(valid).items():
        ts = _instants(os)
        reacts = [x for x in reactivation_instants(ts, params) if x <= as_of]
        out[c] = dict(
            first_ordered_at=min(ts),
            last_ordered_at=max(ts),
            order_count=len(os),
            net_revenue=sum((o.net_amount for o in os), Decimal(0)),
            current_spell_number=1 + len(reacts),
            current_state=customer_state(os, as_of, params),
        )
    return out


# --------------------------------------------------------------------------
# §7 churn early warning
# --------------------------------------------------------------------------
def churn_alerts(valid, as_of: datetime, params: Params) -> list[dict]:
    p = params
    out = []
    for c, os in _by_customer(valid).items():
        ts = _instants(os)
        for o in sorted(set(ts)):
            # "within A days" = n - o <= A: such an order prevents the alert.
            if any(o < n <= o + p.A for n in ts):
                continue
            alert_at = o + p.A
            if not alert_at < as_of:
                continue
            later = [n for n in ts if n > o]
            n = min(later) if later else None
            respond_by = alert_at + p.H
            if n is not None and n - o <= p.D:
                outcome, resolved_at = "won_back", n
            elif o + p.D < as_of:
                outcome, resolved_at = "lapsed", o + p.D
            else:
                outcome, resolved_at = "open", None
            order_id = max(x.order_id for x in os if x.ordered_at == o)
            out.append(dict(
                customer_id=c,
                order_id=order_id,
                ordered_at=o,
                alert_at=alert_at,
                respond_by=respond_by,
                outcome=outcome,
                resolved_at=resolved_at,
                is_won_back_in_response_window=(
                    outcome == "won_back" and n <= respond_by),
            ))
    out.sort(key=lambda a: (a["alert_at"], a["customer_id"]))
    return out


def win_back_rates(alerts, as_of: datetime, params: Params, grains=GRAINS) -> dict:
    """{(grain, period_start): dict(won_back, lapsed, open, win_back_rate)}
    for the periods (in reporting_timezone) that contain at least one alert_at."""
    tz = params.tz
    out: dict = {}
    for grain in grains:
        for a in alerts:
            key = (grain, period_containing(a["alert_at"], grain, tz))
            cell = out.setdefault(key, dict(won_back=0, lapsed=0, open=0))
            cell[a["outcome"]] += 1
    for cell in out.values():
        cell["win_back_rate"] = _ratio(cell["won_back"], cell["won_back"] + cell["lapsed"])
    return out


# --------------------------------------------------------------------------
# §8 cohort retention
# --------------------------------------------------------------------------
def cohort_retention(valid, as_of: datetime, params: Params,
                     grains=COHORT_GRAINS) -> dict:
    """{(grain, cohort_period_start, k): dict(cohort_size, ordering_customers,
    cohort_retention_rate, is_complete, net_revenue)} for every cohort and every
    k whose period (cohort + k) started before as_of."""
    tz = params.tz
    out: dict = {}
    customers = _by_customer(valid)
    if not customers or as_of is None:
        return out
    for grain in grains:
        cohorts: dict[date, list[str]] = {}
        for c, os in customers.items():
            first = min(o.ordered_at for o in os)
            cohorts.setdefault(period_containing(first, grain, tz), []).append(c)
        for cohort_start, members in cohorts.items():
            k = 0
            while True:
                ps_d = add_periods(cohort_start, grain, k)
                pe_d = add_periods(cohort_start, grain, k + 1)
                ps, pe = local_midnight_utc(ps_d, tz), local_midnight_utc(pe_d, tz)
                if not ps < as_of:
                    break
                in_period = {c: [o for o in customers[c] if ps <= o.ordered_at < pe]
                             for c in members}
                ordering = sum(1 for c in members if in_period[c])
                out[(grain, cohort_start, k)] = dict(
                    cohort_size=len(members),
                    ordering_customers=ordering,
                    cohort_retention_rate=_ratio(ordering, len(members)),
                    is_complete=pe <= as_of,
                    net_revenue=sum((o.net_amount for c in members for o in in_period[c]),
                                    Decimal(0)),
                )
                k += 1
    return out


# --------------------------------------------------------------------------
# Convenience: everything at once from raw rows
# --------------------------------------------------------------------------
def compute_all(raw_rows, params: Params | None = None) -> dict:
    params = params or Params()
    valid, superseded, rejected, as_of = clean_orders(raw_rows, params)
    alerts = churn_alerts(valid, as_of, params) if as_of else []
    return dict(
        valid=valid, superseded=superseded, rejected=rejected, as_of=as_of,
        periods=period_metrics(valid, as_of, params),
        customers=customer_summary(valid, as_of, params) if as_of else {},
        alerts=alerts,
        win_back=win_back_rates(alerts, as_of, params),
        cohorts=cohort_retention(valid, as_of, params),
    )


# --------------------------------------------------------------------------
# §4 Returns: purchase attempts
# --------------------------------------------------------------------------
RETURN_COUNT_COLUMNS = ("purchase_attempts", "returned_orders")
RETURN_RATE_COLUMNS = ("order_return_rate", "revenue_return_rate")


def purchase_attempts(raw_rows, params: Params) -> list[dict]:
    """§4 "Returns": the latest versions that meet every validity rule except the refund rule, placed before
    metrics_as_of; each as dict(ordered_at, amount, refunded_amount)."""
    valid, _, rejected, as_of = clean_orders(raw_rows, params)
    if as_of is None:
        return []
    out = [dict(ordered_at=o.ordered_at, amount=o.amount, refunded_amount=o.refunded_amount) for o in valid]
    for r in rejected:
        if r["reason"] != "not_positive_net_amount":
            continue
        row = r["row"]
        ordered_at = parse_timestamp(row.get("ordered_at"))
        if ordered_at is None or ordered_at >= as_of:
            continue
        refund_text = _text(row.get("refunded_amount"))
        out.append(dict(
            ordered_at=ordered_at,
            amount=parse_decimal(row.get("amount")),
            refunded_amount=Decimal(0) if refund_text == "" else parse_decimal(refund_text),
        ))
    return out


def return_metrics(raw_rows, params: Params | None = None, grains=GRAINS) -> dict:
    """{(grain, period_start_date): {purchase_attempts, returned_orders, attempted_amount, refunded_amount,
    order_return_rate, revenue_return_rate}} for the periods of fct_lifecycle_metrics (from the one holding the
    first valid order)."""
    params = params or Params()
    valid, _, _, as_of = clean_orders(raw_rows, params)
    out: dict = {}
    if not valid or as_of is None:
        return out
    attempts = purchase_attempts(raw_rows, params)
    first = min(o.ordered_at for o in valid)
    for grain in grains:
        for ps_d, _, ps, pe in periods_between(first, as_of, grain, params.tz):
            inside = [a for a in attempts if ps <= a["ordered_at"] < pe]
            amount = sum((a["amount"] for a in inside), Decimal(0))
            refunded = sum((a["refunded_amount"] for a in inside), Decimal(0))
            returned = sum(1 for a in inside if a["refunded_amount"] > 0)
            out[(grain, ps_d)] = dict(
                purchase_attempts=len(inside),
                returned_orders=returned,
                attempted_amount=amount,
                refunded_amount=refunded,
                order_return_rate=_ratio(returned, len(inside)),
                revenue_return_rate=None if amount == 0 else float(refunded / amount),
            )
    return out
