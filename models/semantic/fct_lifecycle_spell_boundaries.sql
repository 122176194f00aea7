{#- Two rows per spell at most: its start (the new or reactivation event) and its churn, when that happened
    before metrics_as_of, each dated on its calendar day in var `reporting_timezone`. Taking, within a period,
    each spell's earliest boundary and counting the churns among them counts the churns of spells that were
    already active at period_start, whatever the grain: the customers of the starting base lost in the period. -#}

with

events as (

    select * from {{ ref('int_lifecycle_events_unioned') }}

),

final as (

    select
        {{ dbt.concat(["customer_id", "'-'", "cast(spell_number as " ~ dbt.type_string() ~ ")"]) }} as spell_id,
        customer_id,
        spell_number,
        case when event_type = 'churn' then 'churn' else 'start' end as boundary_type,
        {{ truncate_to_grain("day", "event_at") }} as boundary_date,
        event_at as boundary_at,
        {{ truncate_to_grain("day", "spell_started_at") }} as spell_start_date
    from events
    where event_type in ('new', 'reactivation', 'churn')

)

select * from final
