{{ config(materialized=shared_view_materialization()) }}
{#- The customer-base stocks of every period, at every grain, as running sums of the flows of earlier periods.
    A customer is active at t when a spell has started before t and ends at or after t, so
        customers_at_start = entries before period_start - churns before period_start,
        customers_at_end   = customers_at_start + entries in the period - churns in the period,
    and an old customer at period_start is one whose new event is before it. Every period of the spine is kept,
    with its flows (0 where nothing happened) beside its stocks. -#}

with

periods as (

    select * from {{ ref('int_periods_spined') }}

),

flows as (

    select * from {{ ref('int_period_flows_aggregated') }}

),

filled as (

    select
        periods.grain,
        periods.period_start,
        periods.period_end,
        periods.is_complete,
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
        on
            periods.grain = flows.grain
            and periods.period_start = flows.period_start

),

running_sums as (

    select
        *,
        cast(coalesce(
            sum(new_customers + reactivation_events - churn_events) over (
                partition by grain
                order by period_start
                rows between unbounded preceding and 1 preceding
            ),
            0
        ) as {{ dbt.type_bigint() }}) as customers_at_start,
        cast(coalesce(
            sum(new_customers) over (
                partition by grain
                order by period_start
                rows between unbounded preceding and 1 preceding
            ),
            0
        ) as {{ dbt.type_bigint() }}) as old_customers_at_start
    from filled

),

final as (

    select
        grain,
        period_start,
        period_end,
        is_complete,
        customers_at_start,
        customers_at_start + new_customers + reactivation_events - churn_events as customers_at_end,
        customers_at_start - churn_events_of_spells_at_start as retained_customers,
        old_customers_at_start,
        old_customers_at_start - customers_at_start as dormant_customers_at_start,
        new_customers,
        reactivated_customers,
        reactivation_events,
        churned_customers,
        churn_events,
        ordering_customers,
        repeat_customers,
        orders,
        net_revenue,
        churn_alerts,
        won_back_alerts,
        lapsed_alerts,
        open_alerts
    from running_sums

)

select * from final
