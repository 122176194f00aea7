{#- METRICS.md §10's 72-hour rule per churn alert, in one pass over each customer's alerts and non-control touches:
    the first touch at or after alert_at (a touch at alert_at sorts after the alert) is carried back to the
    alert; the alert is contacted when that touch is at or before respond_by. Only the alerts of customers with a
    non-control touch enter the timeline's window; the others have no touch to find. -#}

with

alerts as (

    select * from {{ ref('int_churn_alerts_raised') }}

),

touches as (

    select * from {{ ref('stg_campaigns__touches') }}
    where not is_control

),

touched_alerts as (

    select * from alerts
    where customer_id in (select touches.customer_id from touches)

),

timeline as (

    select
        customer_id,
        alert_at as event_at,
        0 as event_order,
        alert_id,
        cast(null as {{ dbt.type_timestamp() }}) as touched_at
    from touched_alerts

    union all

    select
        customer_id,
        touched_at as event_at,
        1 as event_order,
        cast(null as {{ dbt.type_string() }}) as alert_id,
        touched_at
    from touches

),

next_touches as (

    select
        alert_id,
        event_order,
        min(touched_at) over (
            partition by customer_id
            order by event_at, event_order
            rows between current row and unbounded following
        ) as next_touched_at
    from timeline

),

final as (

    select
        alerts.alert_id,
        alerts.customer_id,
        coalesce(next_touches.next_touched_at <= alerts.respond_by, false) as is_contacted_in_response_window,
        next_touches.next_touched_at as first_touched_at,
        alerts.alert_at,
        alerts.respond_by
    from alerts
    left join next_touches
        on
            alerts.alert_id = next_touches.alert_id
            and next_touches.event_order = 0

)

select * from final
