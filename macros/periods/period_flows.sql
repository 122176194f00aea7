{% macro period_event_days(events_relation) %}
{#- The events grouped by all that the flows of period_flows() read of them: type, alert outcome and
    reporting-timezone day, and for each grain of period_grains() whether the event is the customer's first of its
    kind in its period (previous_event_at in an earlier period), whether a churned spell started before the period
    and whether the customer's first order is before it. A few rows per day and type, whatever the number of
    customers: each grain's flows are sums over these rows (the period of an instant is the period of its day),
    so the events are read once for all grains. -#}
{%- set flags = [] -%}
{%- for grain in period_grains() -%}
    {%- set period_start = truncate_date_to_grain(grain, "event_date") -%}
    {%- do flags.append((
        "is_first_in_" ~ grain,
        is_first_in_period(grain, "previous_event_date", "event_date", are_dates=true),
    )) -%}
    {#- the spell of a churn started before the period: one of the spells of customers_at_start -#}
    {%- do flags.append((
        "is_spell_started_before_" ~ grain,
        truncate_date_to_grain(grain, "spell_started_date") ~ " < " ~ period_start,
    )) -%}
    {#- the customer's first order is before the period: an old customer at period_start -#}
    {%- do flags.append((
        "is_old_customer_at_" ~ grain,
        truncate_date_to_grain(grain, "customer_first_ordered_date") ~ " < " ~ period_start,
    )) -%}
{%- endfor -%}
select
    event_type,
    alert_outcome,
    event_date,
    {% for name, _ in flags -%}
    {{ name }},
    {% endfor -%}
    count(*) as events,
    sum(net_amount) as net_amount
from (
    select
        event_type,
        alert_outcome,
        net_amount,
        event_date,
        {% for name, expression in flags -%}
        {{ expression }} as {{ name }}{{ "," if not loop.last }}
        {% endfor %}
    from (
        select
            event_type,
            alert_outcome,
            net_amount,
            {{ truncate_to_grain("day", "event_at") }} as event_date,
            {{ truncate_to_grain("day", "previous_event_at") }} as previous_event_date,
            {{ truncate_to_grain("day", "spell_started_at") }} as spell_started_date,
            {{ truncate_to_grain("day", "customer_first_ordered_at") }} as customer_first_ordered_date
        from {{ events_relation }}
    ) as dated
) as flagged
group by
    event_type,
    alert_outcome,
    event_date,
    {% for name, _ in flags -%}
    {{ name }}{{ "," if not loop.last }}
    {% endfor %}
{%- endmacro %}


{% macro period_flows(grain, event_days_relation) %}
{#- The flows of METRICS.md §4 for one grain: one row per period holding at least one event, each event counted
    in the period that contains it, summed over the rows of period_event_days() (each carries its number of
    events). A customer is counted once per period at their first event of a kind in it, the one whose previous
    event of the same kind (previous_event_at) lies in an earlier period: sums, not count(distinct). -#}
{%- do validate_grain(grain) -%}
{%- set period_start = truncate_date_to_grain(grain, "event_date") -%}
{#- the flags of period_event_days() for this grain -#}
{%- set is_first_in_period = "is_first_in_" ~ grain -%}
{%- set is_spell_at_start = "is_spell_started_before_" ~ grain -%}
{%- set is_old_customer = "is_old_customer_at_" ~ grain -%}
select
    '{{ grain }}' as grain,
    {{ period_start }} as period_start,
    {{ count_where("event_type = 'new'", "events") }} as new_customers,
    {{ count_where("event_type = 'reactivation' and " ~ is_first_in_period, "events") }} as reactivated_customers,
    {{ count_where("event_type = 'reactivation'", "events") }} as reactivation_events,
    {{ count_where("event_type = 'churn' and " ~ is_first_in_period, "events") }} as churned_customers,
    {{ count_where("event_type = 'churn'", "events") }} as churn_events,
    {{ count_where("event_type = 'churn' and " ~ is_spell_at_start, "events") }} as churn_events_of_spells_at_start,
    {{ count_where("event_type = 'order' and " ~ is_first_in_period, "events") }} as ordering_customers,
    {{ count_where("event_type = 'order' and " ~ is_first_in_period ~ " and " ~ is_old_customer, "events") }}
        as repeat_customers,
    {{ count_where("event_type = 'order'", "events") }} as orders,
    sum(case when event_type = 'order' then net_amount end) as net_revenue,
    {{ count_where("event_type = 'churn_alert'", "events") }} as churn_alerts,
    {{ count_where("alert_outcome = 'won_back'", "events") }} as won_back_alerts,
    {{ count_where("alert_outcome = 'lapsed'", "events") }} as lapsed_alerts,
    {{ count_where("alert_outcome = 'open'", "events") }} as open_alerts
from {{ event_days_relation }}
group by {{ period_start }}
{%- endmacro %}


{% macro count_where(condition, count_column=none) %}
    {#- SQL counting the rows of a group where a condition holds, as a bigint (0 when none does); with
        count_column, summing that column of those rows instead (rows that each stand for several). -#}
    cast(sum(case when {{ condition }} then {{ count_column or 1 }} else 0 end) as {{ dbt.type_bigint() }})
{%- endmacro %}


{% macro period_flow_columns() %}
    {#- The flow columns of period_flows(), in its order, after grain and period_start. -#}
    {{ return([
        "new_customers", "reactivated_customers", "reactivation_events", "churned_customers", "churn_events",
        "churn_events_of_spells_at_start", "ordering_customers", "repeat_customers", "orders", "net_revenue",
        "churn_alerts", "won_back_alerts", "lapsed_alerts", "open_alerts",
    ]) }}
{% endmacro %}


{% macro period_event_count() %}
    {#- SQL for the number of events of a period row of period_flows(): each event counts in exactly one of these. -#}
    (new_customers + reactivation_events + churn_events + orders + churn_alerts)
{%- endmacro %}
