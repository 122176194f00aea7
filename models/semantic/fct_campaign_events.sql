{#- One row per dated campaign event of int_campaign_events_unioned (a non-control touch, a reactivation attributed
    to one, a churn alert), on its calendar day in var `reporting_timezone`: where MetricFlow counts the campaign
    figures of METRICS.md §10 at any grain. -#}

with

events as (

    select * from {{ ref('int_campaign_events_unioned') }}

),

final as (

    select
        event_type,
        customer_id,
        is_flagged,
        alert_outcome,
        {{ truncate_to_grain("day", "event_at") }} as event_date,
        event_at
    from events

)

select * from final
