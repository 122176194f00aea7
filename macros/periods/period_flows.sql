{% macro period_flows(grain, events_relation) %}
{#- The flows of METRICS.md §4 for one grain: one row per period holding at least one event, each event counted
    in the period that contains it, in one pass over the events. A customer is counted once per period at their
    first event of a kind in it, the one whose previous event of the same kind (previous_event_at) lies in an
    earlier period: sums, not count(distinct). -#}
{%- do validate_grain(grain) -%}
{%- set period_start = truncate_to_grain(grain, "event_at") -%}
{%- set is_first_in_period = "(previous_event_at is null or "
    ~ truncate_to_grain(grain, "previous_event_at") ~ " < " ~ period_start ~ ")" -%}
{#- the spell of a churn started before the period: one of the spells of customers_at_start -#}
{%- set is_spell_at_start = truncate_to_grain(grain, "spell_started_at") ~ " < " ~ period_start -%}
{#- the customer's first order is before the period: an old customer at period_start -#}
{%- set is_old_customer = truncate_to_grain(grain, "customer_first_ordered_at") ~ " < " ~ period_start -%}
select
    '{{ grain }}' as grain,
    {{ period_start }} as period_start,
    {{ count_where("event_type = 'new'") }} as new_customers,
    {{ count_where("event_type = 'reactivation' and " ~ is_first_in_period) }} as reactivated_customers,
    {{ count_where("event_type = 'reactivation'") }} as reactivation_events,
    {{ count_where("event_type = 'churn' and " ~ is_first_in_period) }} as churned_customers,
    {{ count_where("event_type = 'churn'") }} as churn_events,
    {{ count_where("event_type = 'churn' and " ~ is_spell_at_start) }} as churn_events_of_spells_at_start,
    {{ count_where("event_type = 'order' and " ~ is_first_in_period) }} as ordering_customers,
    {{ count_where("event_type = 'order' and " ~ is_first_in_period ~ " and " ~ is_old_customer) }}
        as repeat_customers,
    {{ count_where("event_type = 'order'") }} as orders,
    sum(case when event_type = 'order' then net_amount end) as net_revenue,
    {{ count_where("event_type = 'churn_alert'") }} as churn_alerts,
    {{ count_where("alert_outcome = 'won_back'") }} as won_back_alerts,
    {{ count_where("alert_outcome = 'lapsed'") }} as lapsed_alerts,
    {{ count_where("alert_outcome = 'open'") }} as open_alerts
from {{ events_relation }}
group by {{ period_start }}
{%- endmacro %}


{% macro count_where(condition) %}
    {#- SQL counting the rows of a group where a condition holds, as a bigint (0 when none does). -#}
    cast(sum(case when {{ condition }} then 1 else 0 end) as {{ dbt.type_bigint() }})
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
