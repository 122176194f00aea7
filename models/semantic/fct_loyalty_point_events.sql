{#- The counted earn and redeem events with the calendar day (in var `reporting_timezone`) they are counted on:
    MetricFlow counts participating and redeeming members per period from them (distinct customers do not add up
    across days). -#}

with

events as (

    select * from {{ ref('stg_loyalty__point_events') }}

),

final as (

    select
        event_id,
        customer_id,
        event_type,
        {{ truncate_to_grain('day', 'occurred_at') }} as event_date,
        occurred_at
    from events
    where event_type in ('earn', 'redeem')

)

select * from final
