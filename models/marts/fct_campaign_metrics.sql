{#- The campaign figures of METRICS.md §10 at the grains and periods of fct_lifecycle_metrics, zeros included; no
    rows at all without a valid campaign touch (the optional source is absent). -#}
{%- set published_grains = "'" ~ lifecycle_grains() | join("', '") ~ "'" %}

with

periods as (

    select * from {{ ref('int_period_stocks_accumulated') }}

),

flows as (

    select * from {{ ref('int_campaign_period_flows_aggregated') }}

),

touches as (

    select * from {{ ref('stg_campaigns__touches') }}

),

has_touches as (

    select count(*) > 0 as has_touches from touches

),

counts as (

    select
        periods.grain,
        periods.period_start,
        periods.period_end,
        periods.is_complete,
        periods.reactivation_events,
        periods.churn_alerts,
        cast(coalesce(flows.touched_customers, 0) as {{ dbt.type_bigint() }}) as touched_customers,
        cast(coalesce(flows.responding_customers, 0) as {{ dbt.type_bigint() }}) as responding_customers,
        cast(coalesce(flows.attributed_reactivations, 0) as {{ dbt.type_bigint() }}) as attributed_reactivations,
        cast(coalesce(flows.alerts_contacted_in_window, 0) as {{ dbt.type_bigint() }}) as alerts_contacted_in_window,
        cast(coalesce(flows.contacted_won_back_alerts, 0) as {{ dbt.type_bigint() }}) as contacted_won_back_alerts,
        cast(coalesce(flows.contacted_lapsed_alerts, 0) as {{ dbt.type_bigint() }}) as contacted_lapsed_alerts,
        cast(coalesce(flows.uncontacted_won_back_alerts, 0) as {{ dbt.type_bigint() }}) as uncontacted_won_back_alerts,
        cast(coalesce(flows.uncontacted_lapsed_alerts, 0) as {{ dbt.type_bigint() }}) as uncontacted_lapsed_alerts
    from periods
    cross join has_touches
    left join flows
        on
            periods.grain = flows.grain
            and periods.period_start = flows.period_start
    where
        periods.grain in ({{ published_grains }})
        and has_touches.has_touches

),

final as (

    select
        grain,
        touched_customers,
        responding_customers,
        {{ campaign_response_rate() }} as campaign_response_rate,
        reactivation_events,
        attributed_reactivations,
        {{ attributed_reactivation_share() }} as attributed_reactivation_share,
        churn_alerts,
        alerts_contacted_in_window,
        contacted_won_back_alerts,
        contacted_lapsed_alerts,
        uncontacted_won_back_alerts,
        uncontacted_lapsed_alerts,
        {{ contacted_win_back_rate() }} as contacted_win_back_rate,
        {{ uncontacted_win_back_rate() }} as uncontacted_win_back_rate,
        is_complete,
        period_start,
        period_end
    from counts

)

select * from final
