{%- set timezone = validated_timezone('loyalty_members_timezone') -%}
{#- Every raw line of the members source, parsed and checked (METRICS.md §9): one member row per customer, the
    first valid row in file order; a later valid row of the same customer is a 'duplicate customer_id'. -#}

with

source as (

    {{ optional_raw_source_select(
        'loyalty', 'raw_loyalty_members', 'loyalty_members', raw_loyalty_member_columns()
    ) | indent(4) }}

),

parsed as (

    select
        *,
        {{ parse_timestamp('enrolled_at', timezone) | indent(8) }} as enrolled_at_utc,
        {{ parse_timestamp('left_at', timezone) | indent(8) }} as left_at_utc
    from source

),

checked as (

    select
        *,
        case
            when malformed_reason is not null then malformed_reason
            when customer_id is null then 'missing customer_id'
            when enrolled_at is null then 'missing enrolled_at'
            when enrolled_at_utc is null then 'unparseable enrolled_at'
            when left_at is not null and left_at_utc is null then 'unparseable left_at'
            when left_at_utc <= enrolled_at_utc then 'left_at not after enrolled_at'
        end as row_failure
    from parsed

),

ranked as (

    select
        *,
        row_number() over (
            partition by customer_id
            order by
                case when row_failure is null then 0 else 1 end,
                source_file,
                source_line_number
        ) as customer_row_rank
    from checked

),

final as (

    select
        customer_id,
        enrolled_at as enrolled_at_text,
        left_at as left_at_text,
        coalesce(
            row_failure,
            case when customer_row_rank > 1 then 'duplicate customer_id' end
        ) as rule_failure,
        source_file,
        source_line_number,
        raw_line,
        enrolled_at_utc as enrolled_at,
        left_at_utc as left_at
    from ranked

)

select * from final
