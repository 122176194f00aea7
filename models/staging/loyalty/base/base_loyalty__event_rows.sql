{%- set timezone = validated_timezone('loyalty_events_timezone') -%}
{#- Every raw line of the point-events source, parsed and checked against the rules of METRICS.md §9 (all but
    "occurred_at before metrics_as_of"); a later valid row with an event_id already seen is a 'duplicate event_id'. -#}

with

source as (

    {{ optional_raw_source_select(
        'loyalty', 'raw_loyalty_events', 'loyalty_events', raw_loyalty_event_columns()
    ) | indent(4) }}

),

cleaned as (

    select
        *,
        lower(event_type) as event_type_key,
        {{ decimal_text_cleaned('points') }} as points_cleaned
    from source

),

parsed as (

    select
        *,
        {{ parse_timestamp('occurred_at', timezone) | indent(8) }} as occurred_at_utc,
        {{ parse_decimal('points_cleaned') | indent(8) }} as points_value
    from cleaned

),

checked as (

    select
        *,
        case
            when malformed_reason is not null then malformed_reason
            when event_id is null then 'missing event_id'
            when customer_id is null then 'missing customer_id'
            when occurred_at is null then 'missing occurred_at'
            when occurred_at_utc is null then 'unparseable occurred_at'
            when event_type is null then 'missing event_type'
            when event_type_key not in ('earn', 'redeem', 'expire', 'adjust') then 'unknown event_type'
            when points is null then 'missing points'
            when points_value is null then {{ decimal_rejection('points_cleaned', 'points') }}
            when event_type_key <> 'adjust' and points_value < 0 then 'negative points'
        end as row_failure
    from parsed

),

ranked as (

    select
        *,
        row_number() over (
            partition by event_id
            order by
                case when row_failure is null then 0 else 1 end,
                source_file,
                source_line_number
        ) as event_row_rank
    from checked

),

final as (

    select
        event_id,
        customer_id,
        event_type_key as event_type,
        occurred_at as occurred_at_text,
        points as points_text,
        coalesce(
            row_failure,
            case when event_row_rank > 1 then 'duplicate event_id' end
        ) as rule_failure,
        source_file,
        source_line_number,
        raw_line,
        points_value as points,
        case
            when event_type_key in ('earn', 'adjust') then points_value
            else -points_value
        end as signed_points,
        occurred_at_utc as occurred_at
    from ranked

)

select * from final
