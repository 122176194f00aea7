#!/usr/bin/env python
"""Write a self-contained HTML report of the customer lifecycle marts (one file, works offline).

Reads the marts of a built project (`dbt build` first) from its DuckDB file, opened read-only:
fct_lifecycle_metrics, fct_cohort_retention, dim_customers, clv_model_parameters, fct_clv_holdout_validation and
base_shop__metrics_as_of. Draws five plotly charts (plotly.js inlined in the page) and tables of the latest
complete period's headline figures and of the predictive customer value model:

  (a) retention_rate (客户保留率), base_retention_rate and reactivation_rate (老客户唤醒率) per period;
  (b) the flows: new, reactivated and churned customers per period;
  (c) the cohort retention heatmap;
  (d) the customer state mix at metrics_as_of, by value tier;
  (e) the BG/NBD holdout validation: actual and predicted purchase days per customer in the holdout, by the
      customers' repeat purchase days in the calibration window (0 ... 7+), with the fitted parameters and the
      predicted customer value by state.

Usage: python scripts/report.py [--db target/lifecycle.duckdb] [--grain month] [--cohort-grain month]
                                [--out reports/lifecycle_report.html]
Exit status 2, with a one-line message, when the database or its marts are missing or a grain is unknown.
"""

from __future__ import annotations

import argparse
import html
import os
import sys
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

import duckdb
import plotly.graph_objects as go
from plotly.subplots import make_subplots

GRAINS = ("day", "week", "month", "quarter", "year")
STATES = ("new", "active", "reactivated", "at_risk", "dormant")
VALUE_TIERS = ("high", "medium", "low")
MARTS = ("fct_lifecycle_metrics", "fct_cohort_retention", "dim_customers", "base_shop__metrics_as_of",
         "clv_model_parameters", "fct_clv_holdout_validation")
# Heatmap cells are labelled with their percentage only while the grid stays readable.
MAX_LABELLED_COHORTS = 36

COLORS = {
    "retention_rate": "#1f77b4",
    "base_retention_rate": "#17becf",
    "reactivation_rate": "#ff7f0e",
    "new_customers": "#2ca02c",
    "reactivated_customers": "#ff7f0e",
    "churned_customers": "#d62728",
    "net_change": "#333333",
    "actual": "#333333",
    "predicted": "#d62728",
    "high": "#08519c",
    "medium": "#4292c6",
    "low": "#9ecae1",
}
LABELS = {
    "retention_rate": "retention_rate 客户保留率",
    "base_retention_rate": "base_retention_rate (strict)",
    "reactivation_rate": "reactivation_rate 老客户唤醒率",
    "new_customers": "new 新客户",
    "reactivated_customers": "reactivated 唤醒",
    "churned_customers": "churned 流失 (negative)",
}


class ReportError(Exception):
    """A problem the user can fix (missing database or marts, unknown grain); printed as one line, exit 2."""


@dataclass
class ReportData:
    """Everything the report shows, read from the marts."""

    metrics_as_of: datetime
    periods: list[dict]  # fct_lifecycle_metrics rows of the chosen grain, oldest first
    cohorts: list[dict]  # fct_cohort_retention rows of the chosen cohort grain
    states: list[dict]  # customers per current_state and value_tier
    clv_parameters: list[dict]  # clv_model_parameters rows
    clv_validation: list[dict]  # fct_clv_holdout_validation rows, by calibration frequency
    clv_by_state: list[dict]  # customers, P(alive) and predicted_clv per current_state
    loyalty: list[dict] = field(default_factory=list)  # fct_loyalty_metrics rows of the chosen grain (may be none)


def period_label(day: date, grain: str) -> str:
    """A short label for the period starting on `day`: 2025-03-14, 2025-W11, 2025-03, 2025-Q1 or 2025."""
    if grain == "week":
        year, week, _ = day.isocalendar()
        return f"{year}-W{week:02d}"
    if grain == "month":
        return f"{day:%Y-%m}"
    if grain == "quarter":
        return f"{day.year}-Q{(day.month - 1) // 3 + 1}"
    if grain == "year":
        return f"{day.year}"
    return day.isoformat()


def _rows(connection: duckdb.DuckDBPyConnection, sql: str, params: list | None = None) -> list[dict]:
    """The rows of a query as dicts."""
    cursor = connection.execute(sql, params or [])
    names = [column[0] for column in cursor.description]
    return [dict(zip(names, row)) for row in cursor.fetchall()]


def load_data(db_path: Path, grain: str, cohort_grain: str) -> ReportData:
    """Read the marts from the DuckDB file at `db_path`, opened read-only."""
    if not db_path.is_file():
        raise ReportError(f"database {db_path} not found: run `dbt build` first (or pass --db)")
    try:
        connection = duckdb.connect(str(db_path), read_only=True)
    except duckdb.Error as error:
        raise ReportError(f"cannot open {db_path} read-only: {str(error).splitlines()[0]}") from error
    try:
        present = {row[0] for row in connection.execute("select table_name from information_schema.tables").fetchall()}
        missing = [name for name in MARTS if name not in present]
        if missing:
            raise ReportError(f"{db_path} has no {', '.join(missing)}: run `dbt build` first")
        metrics_as_of = connection.execute("select max(metrics_as_of) from base_shop__metrics_as_of").fetchone()[0]
        periods = _rows(
            connection, "select * from fct_lifecycle_metrics where grain = ? order by period_start", [grain]
        )
        cohorts = _rows(
            connection,
            """select cohort_period_start, periods_since_first, cohort_size, ordering_customers,
                      cohort_retention_rate, is_complete
               from fct_cohort_retention where grain = ? order by cohort_period_start, periods_since_first""",
            [cohort_grain],
        )
        if not cohorts:
            built = [row[0] for row in connection.execute(
                "select distinct grain from fct_cohort_retention order by 1").fetchall()]
            raise ReportError(
                f"fct_cohort_retention has no {cohort_grain!r} cohorts (built grains: {', '.join(built) or 'none'};"
                " see var cohort_grains)")
        states = _rows(
            connection,
            "select current_state, value_tier, count(*) as customers from dim_customers group by all",
        )
        clv_parameters = _rows(connection, "select * from clv_model_parameters order by fitted_on desc, model")
        clv_validation = _rows(connection, "select * from fct_clv_holdout_validation order by calibration_frequency")
        clv_by_state = _rows(
            connection,
            """select current_state, count(*) as customers, avg(probability_alive) as probability_alive,
                      sum(expected_purchases) as expected_purchases, sum(predicted_clv) as predicted_clv
               from dim_customers group by current_state""",
        )
        loyalty = _rows(
            connection, "select * from fct_loyalty_metrics where grain = ? order by period_start", [grain]
        ) if "fct_loyalty_metrics" in present else []
    finally:
        connection.close()
    if not periods or metrics_as_of is None:
        raise ReportError(f"fct_lifecycle_metrics has no {grain!r} periods: run `dbt build` on some orders first")
    return ReportData(metrics_as_of, periods, cohorts, states, clv_parameters, clv_validation, clv_by_state,
                      loyalty)


def _incomplete_segment(periods: list[dict]) -> list[dict]:
    """The incomplete periods, preceded by the last complete one so that a dashed line joins the solid one."""
    first = next((index for index, row in enumerate(periods) if not row["is_complete"]), len(periods))
    return periods[max(first - 1, 0):] if first < len(periods) else []


def _period_axis(periods: list[dict], grain: str) -> dict:
    """A category x axis of period labels in time order (plotly thins the tick labels of long series)."""
    return {"type": "category", "categoryorder": "array", "nticks": 14, "tickangle": 0,
            "categoryarray": [period_label(row["period_start"], grain) for row in periods]}


def rates_chart(periods: list[dict], grain: str) -> go.Figure:
    """(a) retention_rate, base_retention_rate (top) and reactivation_rate (bottom) per period.

    Complete periods are solid lines with filled markers; a period still running at metrics_as_of is dashed with
    a hollow marker. reactivation_rate has its own panel because it is an order of magnitude smaller.
    """
    figure = make_subplots(rows=2, cols=1, shared_xaxes=True, vertical_spacing=0.08, row_heights=[0.6, 0.4])
    complete = [row for row in periods if row["is_complete"]]
    incomplete = _incomplete_segment(periods)
    for column, panel in (("retention_rate", 1), ("base_retention_rate", 1), ("reactivation_rate", 2)):
        styles = ((complete, "solid", "circle", True), (incomplete, "dash", "circle-open", False))
        for rows, dash, symbol, show in styles:
            if not rows:
                continue
            figure.add_trace(
                go.Scatter(
                    x=[period_label(row["period_start"], grain) for row in rows],
                    y=[row[column] for row in rows],
                    name=LABELS[column],
                    legendgroup=column,
                    showlegend=show or not complete,
                    mode="lines+markers" if len(periods) <= 120 or not show else "lines",
                    line={"color": COLORS[column], "dash": dash, "width": 1.5 if len(periods) > 120 else 2},
                    marker={"symbol": symbol, "size": 7},
                    customdata=["" if row["is_complete"] else " (incomplete)" for row in rows],
                    hovertemplate="%{y:.1%}%{customdata}<extra>" + column + "</extra>",
                ),
                row=panel,
                col=1,
            )
    figure.update_xaxes(**_period_axis(periods, grain))
    figure.update_yaxes(tickformat=".3~%", title_text="retention", row=1, col=1)
    figure.update_yaxes(tickformat=".3~%", title_text="reactivation", rangemode="tozero", row=2, col=1)
    figure.update_layout(title=f"Retention and reactivation rates per {grain}", hovermode="x unified", height=520)
    return figure


def flows_chart(periods: list[dict], grain: str) -> go.Figure:
    """(b) New and reactivated customers (up) and churned customers (down) per period, with the net change of
    the customer base (customers_at_end - customers_at_start) as a line. Incomplete periods are hatched."""
    figure = go.Figure()
    x = [period_label(row["period_start"], grain) for row in periods]
    hatch = ["" if row["is_complete"] else "/" for row in periods]
    notes = ["" if row["is_complete"] else " (incomplete)" for row in periods]
    for column, sign in (("new_customers", 1), ("reactivated_customers", 1), ("churned_customers", -1)):
        figure.add_trace(
            go.Bar(
                x=x,
                y=[sign * row[column] for row in periods],
                name=LABELS[column],
                marker={"color": COLORS[column], "pattern": {"shape": hatch}, "line": {"width": 0}},
                customdata=[[row[column], note] for row, note in zip(periods, notes)],
                hovertemplate="%{customdata[0]:,}%{customdata[1]}<extra>" + column + "</extra>",
            )
        )
    figure.add_trace(
        go.Scatter(
            x=x,
            y=[row["customers_at_end"] - row["customers_at_start"] for row in periods],
            name="net change of the base",
            mode="lines+markers" if len(periods) <= 60 else "lines",
            line={"color": COLORS["net_change"], "width": 1.5},
            hovertemplate="%{y:+,}<extra>net change</extra>",
        )
    )
    figure.update_layout(
        title=f"Customer flows per {grain}",
        barmode="relative",
        bargap=0.15 if len(periods) <= 120 else 0,
        hovermode="x unified",
        xaxis=_period_axis(periods, grain),
        yaxis={"title": {"text": "customers"}, "tickformat": ",", "zeroline": True, "zerolinewidth": 2},
    )
    return figure


def cohort_chart(cohorts: list[dict], grain: str) -> go.Figure:
    """(c) Cohort retention: the share of each cohort (rows) ordering k periods after its first (columns).

    The colour scale stops at the highest rate for k >= 1, since k = 0 is 100% by definition; cells of a period
    still running at metrics_as_of carry a '*' and are marked in the hover text.
    """
    starts = sorted({row["cohort_period_start"] for row in cohorts})
    width = max(row["periods_since_first"] for row in cohorts) + 1
    index = {start: position for position, start in enumerate(starts)}
    z: list[list[float | None]] = [[None] * width for _ in starts]
    text: list[list[str]] = [[""] * width for _ in starts]
    hover: list[list[str]] = [[""] * width for _ in starts]
    for row in cohorts:
        i, k = index[row["cohort_period_start"]], row["periods_since_first"]
        mark = "" if row["is_complete"] else "*"
        z[i][k] = row["cohort_retention_rate"]
        text[i][k] = f"{row['cohort_retention_rate']:.0%}{mark}"
        hover[i][k] = (f"{row['ordering_customers']:,} of {row['cohort_size']:,} customers"
                       + ("" if row["is_complete"] else " (period incomplete)"))
    later = [row["cohort_retention_rate"] for row in cohorts if row["periods_since_first"] > 0]
    labelled = len(starts) <= MAX_LABELLED_COHORTS
    cohort_sizes = {row["cohort_period_start"]: row["cohort_size"] for row in cohorts}
    figure = go.Figure(
        go.Heatmap(
            z=z,
            x=list(range(width)),
            y=[f"{period_label(start, grain)} (n={cohort_sizes[start]:,})" for start in starts],
            text=text if labelled else None,
            texttemplate="%{text}" if labelled else None,
            textfont={"size": 12 if width <= 12 else 9},
            customdata=hover,
            hovertemplate=f"cohort %{{y}}, {grain} +%{{x}}: %{{z:.1%}}<br>%{{customdata}}<extra></extra>",
            colorscale="Blues",
            zmin=0,
            zmax=max(later) if later and max(later) > 0 else 1,
            colorbar={"title": {"text": "retention"}, "tickformat": ".0%"},
            xgap=1,
            ygap=1,
        )
    )
    figure.update_layout(
        title=f"Cohort retention by {grain} of first order (rows: cohort, n = its size)",
        xaxis={"title": {"text": f"{grain}s since the first order (k)"}, "dtick": 1 if width <= 40 else None},
        yaxis={"autorange": "reversed", "type": "category"},  # rows: "<cohort period> (n=<cohort size>)"
        height=max(420, min(1400, 120 + 22 * len(starts))),
        plot_bgcolor="white",
    )
    return figure


def state_mix_chart(states: list[dict], metrics_as_of: datetime) -> go.Figure:
    """(d) Customers per current state at metrics_as_of, stacked by value tier, with each state's share."""
    counts = {(row["current_state"], row["value_tier"]): row["customers"] for row in states}
    total = sum(counts.values()) or 1
    tiers = list(VALUE_TIERS) + sorted({tier for _, tier in counts if tier not in VALUE_TIERS}, key=str)
    figure = go.Figure()
    for tier in tiers:
        figure.add_trace(
            go.Bar(
                y=list(STATES),
                x=[counts.get((state, tier), 0) for state in STATES],
                name=f"{tier} value",
                orientation="h",
                marker={"color": COLORS.get(tier, "#bbbbbb")},
                hovertemplate="%{y}, " + f"{tier}" + " value: %{x:,}<extra></extra>",
            )
        )
    state_totals = [sum(counts.get((state, tier), 0) for tier in tiers) for state in STATES]
    figure.add_trace(
        go.Scatter(
            y=list(STATES),
            x=state_totals,
            mode="text",
            text=[f"  {count:,} ({count / total:.0%})" for count in state_totals],
            textposition="middle right",
            showlegend=False,
            hoverinfo="skip",
        )
    )
    figure.update_layout(
        title=f"Customer state mix at {metrics_as_of:%Y-%m-%d %H:%M} UTC ({total:,} customers)",
        barmode="stack",
        xaxis={"title": {"text": "customers"}, "tickformat": ",", "range": [0, max(state_totals) * 1.25 or 1]},
        yaxis={"autorange": "reversed"},
        legend={"title": {"text": "value tier"}, "traceorder": "normal"},
        height=380,
    )
    return figure


def holdout_validation_chart(validation: list[dict]) -> go.Figure:
    """(e) The classic BG/NBD validation figure: for the customers with 0, 1, ..., 7+ repeat purchase days in the
    calibration window, their purchase days per customer in the holdout, actual and as the calibration fit
    predicted them."""
    labels = [row["calibration_frequency_label"] for row in validation]
    customers = [row["customers"] for row in validation]
    figure = go.Figure()
    for column, name, dash in (("actual_purchases_per_customer", "actual", "solid"),
                               ("predicted_purchases_per_customer", "predicted (BG/NBD)", "dash")):
        key = "actual" if column.startswith("actual") else "predicted"
        figure.add_trace(
            go.Scatter(
                x=labels,
                y=[row[column] for row in validation],
                name=name,
                mode="lines+markers",
                line={"color": COLORS[key], "dash": dash, "width": 2},
                marker={"size": 8},
                customdata=customers,
                hovertemplate="x = %{x}: %{y:.2f} per customer (%{customdata:,} customers)<extra>" + name + "</extra>",
            )
        )
    first = validation[0]
    figure.update_layout(
        title=(f"Purchase days in the {first['holdout_days']}-day holdout after {first['calibration_end_date']}, "
               "per customer, by repeat purchase days before it"),
        xaxis={"title": {"text": "repeat purchase days in the calibration window (x)"}, "type": "category"},
        yaxis={"title": {"text": "purchase days per customer in the holdout"}, "rangemode": "tozero"},
        hovermode="x unified",
        height=420,
    )
    return figure


def _number(value: float | None, digits: int = 4) -> str:
    return "—" if value is None else f"{value:,.{digits}g}"


def _amount(value: float | None) -> str:
    return "—" if value is None else f"{value:,.0f}"


def clv_tables(data: ReportData) -> str:
    """HTML tables of the fitted parameters (with their status) and of the predicted value by state."""
    fits: dict[tuple[str, str], dict] = {}
    for row in data.clv_parameters:
        fit = fits.setdefault((row["fitted_on"], row["model"]), {"status": row["fit_status"],
                                                                  "message": row["fit_message"], "values": []})
        fit["values"].append(f"{row['parameter']} = {_number(row['value'])}")
    unit = data.clv_parameters[0]["time_unit_days"] if data.clv_parameters else None
    fit_rows = "\n".join(
        f"<tr><td><code>{html.escape(model)}</code></td><td>{html.escape(fitted_on)}</td>"
        f"<td>{html.escape(', '.join(fit['values']))}</td><td>{html.escape(fit['status'])}</td>"
        f"<td>{html.escape(fit['message'])}</td></tr>"
        for (fitted_on, model), fit in fits.items()
    )
    by_state = {row["current_state"]: row for row in data.clv_by_state}
    state_rows = "\n".join(
        f"<tr><td>{state}</td><td class=num>{by_state[state]['customers']:,}</td>"
        f"<td class=num>{_percent(by_state[state]['probability_alive'])}</td>"
        f"<td class=num>{_amount(by_state[state]['expected_purchases'])}</td>"
        f"<td class=num>{_amount(by_state[state]['predicted_clv'])}</td></tr>"
        for state in STATES if state in by_state
    )
    return (
        f"<table id=clv-parameters><caption>Fitted parameters (time unit: {_number(unit)} days)</caption>\n"
        "<tr><th>model</th><th>fitted on</th><th>parameters</th><th>status</th><th>how</th></tr>\n"
        f"{fit_rows}\n</table>\n"
        "<table id=clv-by-state><caption>Predicted customer value by state (sums over the customers)</caption>\n"
        "<tr><th>state</th><th>customers</th><th>mean P(alive)</th><th>expected purchase days</th>"
        f"<th>predicted_clv</th></tr>\n{state_rows}\n</table>"
    )


def _percent(value: float | None) -> str:
    """A rate as a percentage, or an em dash when it is NULL (denominator 0)."""
    return "—" if value is None else f"{value:.1%}"


def headline_table(periods: list[dict], grain: str) -> str:
    """An HTML table of the latest complete period's headline figures."""
    complete = [row for row in periods if row["is_complete"]]
    if not complete:
        return f"<p>No {grain} is complete yet at metrics_as_of.</p>"
    row = complete[-1]
    figures = [
        ("customers_at_start", "期初客户数 customers at start", f"{row['customers_at_start']:,}"),
        ("customers_at_end", "期末客户数 customers at end", f"{row['customers_at_end']:,}"),
        ("new_customers", "新客户数 new customers", f"{row['new_customers']:,}"),
        ("reactivated_customers", "唤醒的老客户数 reactivated customers", f"{row['reactivated_customers']:,}"),
        ("churned_customers", "流失 churned customers", f"{row['churned_customers']:,}"),
        ("retention_rate", "客户保留率 retention rate", _percent(row["retention_rate"])),
        ("base_retention_rate", "strict retention rate", _percent(row["base_retention_rate"])),
        ("reactivation_rate", "老客户唤醒率 reactivation rate", _percent(row["reactivation_rate"])),
        ("churn_rate", "churn rate", _percent(row["churn_rate"])),
        ("win_back_rate", "churn-alert win-back rate", _percent(row.get("win_back_rate"))),
    ]
    body = "\n".join(
        f"<tr><td><code>{name}</code></td><td>{html.escape(label)}</td><td class=num>{value}</td></tr>"
        for name, label, value in figures
    )
    caption = (f"Latest complete {grain}: {period_label(row['period_start'], grain)} "
               f"[{row['period_start']}, {row['period_end']})")
    return (f"<table id=headline><caption>{html.escape(caption)}</caption>\n"
            f"<tr><th>column</th><th>metric</th><th>value</th></tr>\n{body}\n</table>")


EXPLANATIONS = {
    "rates": (
        "<b>客户保留率 <code>retention_rate</code></b> = (customers at end &minus; new customers) / customers at "
        "start: the textbook rate, which counts reactivated customers as retained and can exceed 100%. "
        "<code>base_retention_rate</code> is the strict rate: customers active at the start who stayed active "
        "through the period without lapsing. <b>老客户唤醒率 <code>reactivation_rate</code></b> = customers "
        "reactivated in the period (ordering more than D days after their previous order) / old customers at the "
        "start. A period still running at metrics_as_of is dashed, with a hollow marker."
    ),
    "flows": (
        "Customers entering the base per period (new: first order; reactivated: back after more than D days "
        "without an order) above zero, customers leaving it (churned: D days after their last order) below, and "
        "the net change of the customer base. Hatched bars are periods still running at metrics_as_of."
    ),
    "cohorts": (
        "Each row is a cohort (customers whose first valid order falls in that period, n = its size); column k "
        "is the share of the cohort that placed a valid order k periods later. Column 0 is 100% by definition, "
        "so the colour scale stops at the highest later rate. <code>*</code> marks a period still running."
    ),
    "clv": (
        "<b>Predictive customer value</b> (METRICS.md §11): BG/NBD models each customer's purchase days and the "
        "chance that they have silently dropped out; Gamma-Gamma the value of a purchase day. Both are fitted by "
        "maximum likelihood. <code>predicted_clv</code> = expected purchase days over the horizon &times; expected "
        "value of one. The figure is the model's check on history it did not see: fitted on the calibration "
        "window only, it predicts each customer's purchase days in the holdout after it; the lines compare the "
        "prediction (dashed) with what the customers really did, grouped by their repeat purchase days before "
        "the holdout."
    ),
    "states": (
        "Every customer's state at metrics_as_of: <code>new</code> (first spell, first order within the last "
        "lifecycle_new_days), <code>active</code>, <code>reactivated</code> (recently back), <code>at_risk</code> "
        "(沉默期: active but silent for more than A days) and <code>dormant</code> (沉睡/流失: no order for more "
        "than D days), split by value tier."
    ),
}

# The return and loyalty charts (METRICS.md §4 "Returns", §9).
COLORS.update({
    "order_return_rate": "#8c564b",
    "revenue_return_rate": "#e377c2",
    "participation_rate": "#2ca02c",
    "points_redemption_rate": "#9467bd",
    "member_redemption_rate": "#bcbd22",
    "member_base_retention_rate": "#1f77b4",
    "non_member_base_retention_rate": "#7f7f7f",
})
LABELS.update({
    "order_return_rate": "order_return_rate 客户退货率 (orders)",
    "revenue_return_rate": "revenue_return_rate (amount)",
    "participation_rate": "participation_rate 参与率",
    "points_redemption_rate": "points_redemption_rate 兑换率",
    "member_redemption_rate": "member_redemption_rate",
    "member_base_retention_rate": "base_retention_rate, members",
    "non_member_base_retention_rate": "base_retention_rate, non-members",
})
EXPLANATIONS.update({
    "returns": (
        "<b>客户退货率 <code>order_return_rate</code></b> = purchase attempts with a refund / purchase attempts of "
        "the period; <code>revenue_return_rate</code> = refunded amount / amount of the attempts. Purchase attempts "
        "are the orders that meet every validity rule except the refund rule, so fully refunded orders count here "
        "(and nowhere else). Refunds are dated by the order, not the refund: recent periods can still rise as "
        "refunds come in. A period still running at metrics_as_of is dashed."
    ),
    "loyalty": (
        "<b>参与率 <code>participation_rate</code></b> = members with an earn or redeem event / members at the end "
        "of the period; <b>兑换率 <code>points_redemption_rate</code></b> = points redeemed / points earned in the "
        "period (points earned earlier can be redeemed now, so it can exceed 100%); "
        "<code>member_redemption_rate</code> = redeeming members / customers with points at the start (customers "
        "who earn and redeem within the period can push it above 100%). Events outside a membership are counted, "
        "as METRICS.md §9 says. The lower panel is the strict retention rate of customers who were members at the "
        "period's start against the others: members choose to join, so the gap is not the programme's effect."
    ),
})


def rate_lines_chart(rows: list[dict], grain: str, columns: tuple[str, ...], title: str,
                     lower: tuple[str, ...] = ()) -> go.Figure:
    """Rates per period as lines (`lower` in a second panel): complete periods solid, the period still running at
    metrics_as_of dashed with a hollow marker, as the retention chart."""
    panels = 2 if lower else 1
    figure = make_subplots(rows=panels, cols=1, shared_xaxes=True, vertical_spacing=0.08,
                           row_heights=[0.6, 0.4] if lower else [1.0])
    complete = [row for row in rows if row["is_complete"]]
    incomplete = _incomplete_segment(rows)
    for panel, panel_columns in enumerate((columns, lower)[:panels], start=1):
        for column in panel_columns:
            for part, dash, symbol, show in ((complete, "solid", "circle", True),
                                             (incomplete, "dash", "circle-open", False)):
                if not part:
                    continue
                figure.add_trace(go.Scatter(
                    x=[period_label(row["period_start"], grain) for row in part],
                    y=[row[column] for row in part],
                    name=LABELS[column],
                    legendgroup=column,
                    showlegend=show or not complete,
                    mode="lines+markers" if len(rows) <= 120 else "lines",
                    line={"color": COLORS[column], "dash": dash, "width": 2},
                    marker={"symbol": symbol, "size": 7},
                    hovertemplate="%{y:.1%}<extra>" + column + "</extra>",
                ), row=panel, col=1)
        figure.update_yaxes(tickformat=".3~%", rangemode="tozero", row=panel, col=1)
    figure.update_xaxes(**_period_axis(rows, grain))
    figure.update_layout(title=title, hovermode="x unified", height=520 if lower else 420)
    return figure


def loyalty_chart(loyalty: list[dict], grain: str) -> go.Figure:
    """The loyalty rates per period (top) and base_retention_rate of members against non-members (bottom)."""
    return rate_lines_chart(
        loyalty, grain, ("participation_rate", "points_redemption_rate", "member_redemption_rate"),
        f"Loyalty programme per {grain}", lower=("member_base_retention_rate", "non_member_base_retention_rate"))


PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>
body {{ font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans CJK SC", "Microsoft YaHei",
       "WenQuanYi Micro Hei", sans-serif; margin: 0 auto; max-width: 1200px; padding: 1rem 2rem; color: #222; }}
h1 {{ margin-bottom: 0.2rem; }} .meta {{ color: #555; margin-top: 0; }}
section {{ margin: 2rem 0; }} p.explain {{ max-width: 60rem; line-height: 1.45; }}
table {{ border-collapse: collapse; margin: 1rem 0; }} caption {{ text-align: left; font-weight: bold; padding-bottom: 0.4rem; }}
th, td {{ border-bottom: 1px solid #ddd; padding: 0.3rem 0.8rem; text-align: left; }}
td.num {{ text-align: right; font-variant-numeric: tabular-nums; }}
</style></head>
<body>
<h1>{title}</h1>
<p class="meta">metrics_as_of: <b id="metrics-as-of">{metrics_as_of}</b> UTC &middot; period grain: {grain}
 &middot; cohort grain: {cohort_grain} &middot; generated {generated} from <code>{db}</code></p>
<p class="explain">Definitions follow METRICS.md. Rates are shown as percentages; a customer is active while
their latest order is at most D days (var <code>lifecycle_dormancy_days</code>) old.</p>
<section><h2>Headline figures</h2>
{table}
</section>
{sections}
</body></html>
"""


def render_html(data: ReportData, grain: str, cohort_grain: str, db_path: Path) -> str:
    """The whole page: header, headline table, and each chart with its explanation (plotly.js inlined once)."""
    charts = [
        ("rates", "Retention and reactivation", rates_chart(data.periods, grain)),
        ("flows", "New, reactivated and churned customers", flows_chart(data.periods, grain)),
        ("cohorts", "Cohort retention heatmap", cohort_chart(data.cohorts, cohort_grain)),
        ("states", "Customer state mix", state_mix_chart(data.states, data.metrics_as_of)),
    ]
    if data.clv_validation:
        charts.append(("clv", "Predictive customer value: holdout validation", holdout_validation_chart(
            data.clv_validation)))
    charts.append(("returns", "Returns 客户退货率", rate_lines_chart(
        data.periods, grain, ("order_return_rate", "revenue_return_rate"), f"Return rates per {grain}")))
    if data.loyalty:
        charts.append(("loyalty", "Loyalty programme 参与率 / 兑换率", loyalty_chart(data.loyalty, grain)))
    sections = []
    for position, (key, heading, figure) in enumerate(charts):
        figure.update_layout(template="plotly_white", margin={"t": 60, "r": 30, "b": 50},
                             legend_orientation="h", legend_y=-0.15)
        div = figure.to_html(
            full_html=False,
            include_plotlyjs=position == 0,  # the whole plotly.js bundle, inlined once, before the first chart
            div_id=f"chart-{key}",
            config={"displaylogo": False, "responsive": True},
        )
        extra = f"\n{clv_tables(data)}" if key == "clv" else ""
        sections.append(f'<section><h2>{heading}</h2>\n<p class="explain">{EXPLANATIONS[key]}</p>\n{div}{extra}\n'
                        "</section>")
    if not data.loyalty:
        sections.append('<section><h2>Loyalty programme</h2>\n<p class="explain">No loyalty data (vars '
                        "<code>loyalty_members_path</code>, <code>loyalty_events_path</code>).</p>\n</section>")
    if not data.clv_validation:
        sections.append('<section><h2>Predictive customer value</h2>\n<p class="explain">No holdout validation '
                        "(var <code>clv_holdout_days</code> is 0).</p>\n" + clv_tables(data) + "\n</section>")
    sections.append(campaign_section(db_path))
    return PAGE.format(
        title="Customer lifecycle report",
        metrics_as_of=f"{data.metrics_as_of:%Y-%m-%d %H:%M:%S}",
        grain=html.escape(grain),
        cohort_grain=html.escape(cohort_grain),
        generated=f"{datetime.now():%Y-%m-%d %H:%M}",
        db=html.escape(str(db_path)),
        table=headline_table(data.periods, grain),
        sections="\n".join(sections),
    )


# --- campaigns and win-back attribution (METRICS.md §10) ---------------------------------------------------------

CAMPAIGN_CAVEAT = (
    "An order is attributed to the customer's latest campaign touch at most W days before it (var "
    "<code>campaign_attribution_days</code>); that is correlation in time, not proof that the contact caused it. "
    "Read the treated rates against the holdout (control) group: the lift is the difference, and its 95% interval "
    "(Newcombe's hybrid score interval, z = 1.96) says how sure it is; <em>significant</em> means the interval "
    "excludes zero. A campaign without a holdout has no lift. Channels compare treated touches only, without a "
    "holdout of their own: their response rates are not causal."
)


def _campaign_table(rows: list[dict], columns: list[tuple[str, str, object]]) -> str:
    head = "".join(f"<th>{html.escape(label)}</th>" for _, label, _ in columns)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(str(render(row[name])))}</td>" for name, _, render in columns) + "</tr>"
        for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _lift(row: dict, kind: str) -> str:
    if row[f"{kind}_rate_lift"] is None:
        return "— (a group is empty: no holdout, or no dormant customer)"
    flag = " significant" if row[f"is_{kind}_rate_lift_significant"] else ""
    return (f"{_percent(row[f'{kind}_rate_lift'])} [{_percent(row[f'{kind}_rate_lift_lower'])}, "
            f"{_percent(row[f'{kind}_rate_lift_upper'])}]{flag}")


def campaign_section(db_path: Path) -> str:
    """Campaign results (treated against holdout, lifts with their interval, cost) and a comparison of channels."""
    heading = "<section><h2>Campaigns and win-back attribution</h2>\n"
    connection = duckdb.connect(str(db_path), read_only=True)
    try:
        present = {row[0] for row in connection.execute("select table_name from information_schema.tables").fetchall()}
        if "fct_campaign_results" not in present:
            return heading + '<p class="explain">No campaign marts in this database.</p></section>'
        campaigns = _rows(connection, "select * from fct_campaign_results order by first_touched_at, campaign_id")
        channels = _rows(connection, """
            select
                coalesce(channel, '(none)') as channel,
                count(distinct customer_id) as touched_customers,
                count(distinct case when is_responded then customer_id end) as responding_customers,
                count(distinct case when is_responded then customer_id end) * 1.0
                    / count(distinct customer_id) as response_rate,
                sum(attributed_net_revenue) as attributed_net_revenue,
                sum(cost) as cost
            from int_campaign_touches_evaluated
            where not is_control
            group by all
            order by channel""") if "int_campaign_touches_evaluated" in present else []
    finally:
        connection.close()
    if not campaigns:
        return heading + '<p class="explain">No campaign touches (var <code>campaign_touches_path</code>).</p></section>'
    for row in campaigns:
        row["response_lift"] = _lift(row, "response")
        row["reactivation_lift"] = _lift(row, "reactivation")
    table = _campaign_table(campaigns, [
        ("campaign_id", "campaign", str), ("channels", "channels", lambda v: v or ""),
        ("treated_customers", "treated", int), ("control_customers", "holdout", int),
        ("treated_response_rate", "response (treated)", _percent),
        ("control_response_rate", "response (holdout)", _percent),
        ("response_lift", "response lift [95% CI]", str),
        ("treated_reactivation_rate", "活动唤醒率 (treated)", _percent),
        ("control_reactivation_rate", "活动唤醒率 (holdout)", _percent),
        ("reactivation_lift", "reactivation lift [95% CI]", str),
        ("attributed_orders", "attributed orders", int), ("attributed_net_revenue", "attributed revenue", _amount),
        ("cost", "cost", _amount), ("cost_per_reactivated_customer", "cost per reactivated", _amount),
    ])
    channel_table = _campaign_table(channels, [
        ("channel", "channel", str), ("touched_customers", "touched", int),
        ("responding_customers", "responding", int), ("response_rate", "response rate", _percent),
        ("attributed_net_revenue", "attributed revenue", _amount), ("cost", "cost", _amount),
    ])
    return (f'{heading}<p class="explain">{CAMPAIGN_CAVEAT}</p>\n<h3>Campaigns</h3>\n{table}\n'
            f"<h3>Channels (treated touches)</h3>\n{channel_table}\n</section>")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """The command line; grains are checked here so that a typo fails before the database is opened."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, default=Path(os.environ.get("DBT_DUCKDB_PATH", "target/lifecycle.duckdb")),
                        help="the DuckDB file built by dbt (default: $DBT_DUCKDB_PATH or target/lifecycle.duckdb)")
    parser.add_argument("--grain", default="month", help=f"period grain of charts (a), (b): {', '.join(GRAINS)}")
    parser.add_argument("--cohort-grain", default="month", help="cohort grain of chart (c) (one of var cohort_grains)")
    parser.add_argument("--out", type=Path, default=Path("reports/lifecycle_report.html"), help="the HTML file")
    args = parser.parse_args(argv)
    for option, value in (("--grain", args.grain), ("--cohort-grain", args.cohort_grain)):
        if value not in GRAINS:
            raise ReportError(f"unknown {option} {value!r}: choose one of {', '.join(GRAINS)}")
    return args


def main(argv: list[str] | None = None) -> int:
    """Write the report; 0 on success, 2 (with a one-line message on stderr) on a problem the user can fix."""
    try:
        args = parse_args(argv)
        data = load_data(args.db, args.grain, args.cohort_grain)
    except ReportError as error:
        print(f"report.py: error: {error}", file=sys.stderr)
        return 2
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(render_html(data, args.grain, args.cohort_grain, args.db), encoding="utf-8")
    print(f"wrote {args.out} ({args.grain}, cohorts by {args.cohort_grain}, metrics_as_of {data.metrics_as_of})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
