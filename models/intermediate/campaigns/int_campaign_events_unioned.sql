{#- The dated campaign events of fct_campaign_metrics: non-control touches (flag: responded), reactivations
    attributed to a non-control touch, and churn alerts (flag: contacted in the response window); none at all
    without a touch. -#}

with

touches as (

    select * from {{ ref('int_campaign_touches_evaluated') }}

),

attributed_orders as (

    select * from {{ ref('int_orders_attributed') }}

),

alerts as (

    select * from {{ ref('int_churn_alerts_raised') }}

),

contacted_alerts as (

    select * from {{ ref('int_churn_alerts_contacted') }}

),

final as (

    select
        'touch' as event_type,
        customer_id,
        is_responded as is_flagged,
        cast(null as {{ dbt.type_string() }}) as alert_outcome,
        touched_at as event_at
    from touches
    where not is_control

    union all

    select
        'attributed_reactivation' as event_type,
        customer_id,
        true as is_flagged,
        cast(null as {{ dbt.type_string() }}) as alert_outcome,
        ordered_at as event_at
    from attributed_orders
    where
        is_reactivation
        and not is_control

    union all

    select
        'churn_alert' as event_type,
        alerts.customer_id,
        contacted_alerts.is_contacted_in_response_window as is_flagged,
        alerts.outcome as alert_outcome,
        alerts.alert_at as event_at
    from alerts
    inner join contacted_alerts
        on alerts.alert_id = contacted_alerts.alert_id
    -- without any touch there are no campaign figures (fct_campaign_metrics has no rows): skip every alert
    where exists (select 1 from touches)

)

select * from final
