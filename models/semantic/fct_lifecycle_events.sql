{#- One row per dated lifecycle fact of METRICS.md §3 (order, new, reactivation, churn; other rows of the union,
    such as churn alerts, are left out), dated on its calendar day in var `reporting_timezone`: the grain at which
    MetricFlow counts distinct customers, which do not add up across days. -#}

with

events as (

    select * from {{ ref('int_lifecycle_events_unioned') }}

),

final as (

    select
        customer_id,
        event_type,
        spell_number,
        net_amount,
        {{ truncate_to_grain("day", "event_at") }} as event_date,
        event_at
    from events
    where event_type in ('order', 'new', 'reactivation', 'churn')

)

select * from final
