with

event_rows as (

    select * from {{ ref('base_loyalty__event_rows') }}

),

as_of as (

    select * from {{ ref('base_shop__metrics_as_of') }}

),

final as (

    select
        event_rows.event_id,
        event_rows.customer_id,
        event_rows.event_type,
        coalesce(event_rows.rule_failure, 'not before metrics_as_of') as reason,
        event_rows.occurred_at_text,
        event_rows.points_text,
        event_rows.source_file,
        event_rows.source_line_number,
        event_rows.raw_line
    from event_rows
    cross join as_of
    where
        event_rows.rule_failure is not null
        or event_rows.occurred_at >= as_of.metrics_as_of
        or as_of.metrics_as_of is null

)

select * from final
