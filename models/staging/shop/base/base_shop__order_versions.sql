{%- set timezone = orders_timezone() -%}
{#- Every raw line of the orders source, parsed, ranked among the versions of its order, and checked against
    the validity rules of METRICS.md §1 (all but "ordered_at before metrics_as_of"). -#}

with

source as (

    {{ raw_source_select(raw_source_relation('shop', 'raw_orders', 'orders'), raw_order_columns()) | indent(4) }}

),

cleaned as (

    select
        *,
        lower(status) as status_key,
        {{ decimal_text_cleaned('amount') }} as amount_cleaned,
        {{ decimal_text_cleaned('refunded_amount') }} as refunded_amount_cleaned
    from source

),

parsed as (

    select
        *,
        {{ parse_timestamp('ordered_at', timezone) | indent(8) }} as ordered_at_utc,
        {{ parse_timestamp('updated_at', timezone) | indent(8) }} as updated_at_utc,
        {{ parse_decimal('amount_cleaned') | indent(8) }} as amount_value,
        {{ parse_decimal('refunded_amount_cleaned') | indent(8) }} as refunded_amount_value
    from cleaned

),

ranked as (

    select
        *,
        coalesce(refunded_amount_value, 0) as refunded_amount_or_zero,
        case
            when order_id is null then 1
            else row_number() over (
                partition by order_id
                order by
                    case when updated_at_utc is null then 0 else 1 end desc,
                    updated_at_utc desc,
                    source_file desc,
                    source_line_number desc
            )
        end as version_rank
    from parsed

),

checked as (

    select
        *,
        case
            when malformed_reason is not null then malformed_reason
            when order_id is null then 'missing order_id'
            when customer_id is null then 'missing customer_id'
            when ordered_at is null then 'missing ordered_at'
            when ordered_at_utc is null then 'unparseable ordered_at'
            when status_key is null or status_key not in {{ counted_order_statuses() }}
                then 'status not counted'
            when amount is null then 'missing amount'
            when amount_value is null then {{ decimal_rejection('amount_cleaned', 'amount') }}
            when refunded_amount is not null and refunded_amount_value is null
                then {{ decimal_rejection('refunded_amount_cleaned', 'refunded_amount') }}
            when amount_value < 0 then 'negative amount'
            when amount_value - refunded_amount_or_zero <= 0 then 'fully refunded'
        end as rule_failure
    from ranked

),

final as (

    select
        order_id,
        customer_id,
        status_key as status,
        ordered_at as ordered_at_text,
        amount as amount_text,
        refunded_amount as refunded_amount_text,
        updated_at as updated_at_text,
        rule_failure,
        source_file,
        source_line_number,
        raw_line,
        version_rank,
        amount_value as amount,
        refunded_amount_or_zero as refunded_amount,
        amount_value - refunded_amount_or_zero as net_amount,
        version_rank > 1 as is_superseded,
        ordered_at_utc as ordered_at,
        updated_at_utc as updated_at
    from checked

)

select * from final
