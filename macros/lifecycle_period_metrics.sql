{% macro lifecycle_period_metrics(grain, events_relation, as_of_relation) %}
    {{ return(adapter.dispatch("lifecycle_period_metrics", "customer_lifecycle")(grain, events_relation, as_of_relation)) }}
{% endmacro %}

{% macro default__lifecycle_period_metrics(grain, events_relation, as_of_relation) %}
{#- Every column of METRICS.md §4 for one grain, as a query with one row per period.

    Flows (new, reactivation and churn events, orders, churn alerts) are counted where they are dated, in one
    pass over the events; stocks (customers at start and end, old customers) are running sums of the flows of
    earlier periods. A customer is active at t
    when a spell has started before t and ends at or after t, so
        customers_at_start = entries before period_start - churns before period_start,
        customers_at_end   = customers_at_start + entries in the period - churns in the period.
    Cost grows with the number of events and periods, never with customers x periods. -#}
{%- set period_start = truncate_to_grain(grain, "event_at") -%}
{%- set is_first_in_period = "(previous_event_at is null or "
    ~ truncate_to_grain(grain, "previous_event_at") ~ " < " ~ period_start ~ ")" -%}
with

flows as (

    {#- A customer is counted once per period at their first event of a kind in it: the one whose previous
        event of the same kind (previous_event_at) lies in an earlier period. Sums, not count(distinct). -#}
    select
        {{ period_start }} as period_start,
        sum(case when event_type = 'new' then 1 else 0 end) as new_customers,
        sum(case when event_type = 'reactivation' and {{ is_first_in_period }} then 1 else 0 end)
            as reactivated_customers,
        sum(case when event_type = 'reactivation' then 1 else 0 end) as reactivation_events,
        sum(case when event_type = 'churn' and {{ is_first_in_period }} then 1 else 0 end) as churned_customers,
        sum(case when event_type = 'churn' then 1 else 0 end) as churn_events,
        {#- Churns of spells already active at period_start: the spells of CS that did not last to the end. -#}
        sum(
            case
                when event_type = 'churn'
                    and {{ truncate_to_grain(grain, "spell_started_at") }} < {{ period_start }}
                    then 1
                else 0
            end
        ) as churn_events_of_spells_at_start,
        sum(case when event_type = 'order' and {{ is_first_in_period }} then 1 else 0 end) as ordering_customers,
        sum(
            case
                when event_type = 'order'
                    and {{ is_first_in_period }}
                    and {{ truncate_to_grain(grain, "customer_first_ordered_at") }} < {{ period_start }}
                    then 1
                else 0
            end
        ) as repeat_customers,
        sum(case when event_type = 'order' then 1 else 0 end) as orders,
        sum(case when event_type = 'order' then net_amount end) as net_revenue,
        sum(case when event_type = 'churn_alert' then 1 else 0 end) as churn_alerts,
        sum(case when alert_outcome = 'won_back' then 1 else 0 end) as won_back_alerts,
        sum(case when alert_outcome = 'lapsed' then 1 else 0 end) as lapsed_alerts,
        sum(case when alert_outcome = 'open' then 1 else 0 end) as open_alerts
    from {{ events_relation }}
    group by {{ period_start }}

),

bounds as (

    {#- The first period is the one holding the first event (the first valid order). -#}
    select
        min(flows.period_start) as first_period_start,
        max(as_of.metrics_as_of) as metrics_as_of
    from flows
    cross join {{ as_of_relation }} as as_of

),

period_counts as (

    {#- Periods from the one holding the first valid order to the last one starting before metrics_as_of. -#}
    select
        first_period_start,
        {{ to_reporting_timezone("metrics_as_of") }} as local_as_of,
        {{ periods_starting_before(grain, "first_period_start", "metrics_as_of") | indent(8) }} as period_count
    from bounds

),

periods as (

    select
        {{ add_periods(grain, "period_index", "first_period_start") }} as period_start,
        {{ add_periods(grain, "period_index + 1", "first_period_start") }} as period_end,
        local_as_of
    from period_counts
    {{ join_integer_series("period_count", "period_index") }}

),

filled as (

    select
        periods.period_start,
        periods.period_end,
        periods.local_as_of,
        coalesce(flows.new_customers, 0) as new_customers,
        coalesce(flows.reactivated_customers, 0) as reactivated_customers,
        coalesce(flows.reactivation_events, 0) as reactivation_events,
        coalesce(flows.churned_customers, 0) as churned_customers,
        coalesce(flows.churn_events, 0) as churn_events,
        coalesce(flows.churn_events_of_spells_at_start, 0) as churn_events_of_spells_at_start,
        coalesce(flows.ordering_customers, 0) as ordering_customers,
        coalesce(flows.repeat_customers, 0) as repeat_customers,
        coalesce(flows.orders, 0) as orders,
        coalesce(flows.net_revenue, 0) as net_revenue,
        coalesce(flows.churn_alerts, 0) as churn_alerts,
        coalesce(flows.won_back_alerts, 0) as won_back_alerts,
        coalesce(flows.lapsed_alerts, 0) as lapsed_alerts,
        coalesce(flows.open_alerts, 0) as open_alerts
    from periods
    left join flows
        on periods.period_start = flows.period_start

),

stocks as (

    select
        *,
        coalesce(
            sum(new_customers + reactivation_events - churn_events) over (
                order by period_start rows between unbounded preceding and 1 preceding
            ),
            0
        ) as customers_at_start,
        coalesce(
            sum(new_customers) over (
                order by period_start rows between unbounded preceding and 1 preceding
            ),
            0
        ) as old_customers_at_start
    from filled

),

counts as (

    select
        period_start,
        period_end,
        local_as_of,
        {% for column in [
            "customers_at_start",
            "new_customers",
            "reactivated_customers",
            "churned_customers",
            "reactivation_events",
            "churn_events",
            "old_customers_at_start",
            "ordering_customers",
            "repeat_customers",
            "orders",
            "churn_alerts",
            "won_back_alerts",
            "lapsed_alerts",
            "open_alerts",
        ] -%}
        cast({{ column }} as {{ dbt.type_bigint() }}) as {{ column }},
        {% endfor -%}
        cast(customers_at_start + new_customers + reactivation_events - churn_events as {{ dbt.type_bigint() }})
            as customers_at_end,
        cast(customers_at_start - churn_events_of_spells_at_start as {{ dbt.type_bigint() }})
            as retained_customers,
        cast(old_customers_at_start - customers_at_start as {{ dbt.type_bigint() }})
            as dormant_customers_at_start,
        net_revenue
    from stocks

),

final as (

    select
        '{{ grain }}' as grain,
        customers_at_start,
        customers_at_end,
        new_customers,
        reactivated_customers,
        churned_customers,
        reactivation_events,
        churn_events,
        retained_customers,
        old_customers_at_start,
        dormant_customers_at_start,
        ordering_customers,
        repeat_customers,
        orders,
        churn_alerts,
        won_back_alerts,
        lapsed_alerts,
        open_alerts,
        net_revenue,
        {{ retention_rate() }} as retention_rate,
        {{ base_retention_rate() }} as base_retention_rate,
        {{ reactivation_rate() }} as reactivation_rate,
        {{ dormant_reactivation_rate() }} as dormant_reactivation_rate,
        {{ churn_rate() }} as churn_rate,
        {{ repeat_purchase_rate() }} as repeat_purchase_rate,
        {{ quick_ratio() }} as quick_ratio,
        {{ win_back_rate() }} as win_back_rate,
        cast(period_end as {{ dbt.type_timestamp() }}) <= local_as_of as is_complete,
        period_start,
        period_end
    from counts

)

select * from final
{%- endmacro %}
