with

source as (

    {{ raw_orders_input() }}

),

trimmed as (

    select
        nullif(trim(order_id), '') as order_id,
        nullif(trim(customer_id), '') as customer_id,
        nullif(trim(ordered_at), '') as ordered_at_text,
        lower(nullif(trim(status), '')) as status,
        nullif(trim(amount), '') as amount_text,
        nullif(trim(refunded_amount), '') as refunded_amount_text,
        nullif(trim(updated_at), '') as updated_at_text,
        source_row_number
    from source

),

parsed as (

    select
        *,
        {{ parse_timestamp_utc('ordered_at_text') }} as ordered_at,
        {{ parse_timestamp_utc('updated_at_text') }} as updated_at,
        {{ parse_decimal('amount_text') }} as amount,
        {{ parse_decimal('refunded_amount_text') }} as parsed_refunded_amount
    from trimmed

),

ranked as (

    select
        *,
        coalesce(parsed_refunded_amount, 0) as refunded_amount,
        case
            when order_id is null then 1
            else row_number() over (
                partition by order_id
                order by
                    case when updated_at is null then 0 else 1 end desc,
                    updated_at desc,
                    source_row_number desc
            )
        end as version_rank
    from parsed

),

checked as (

    select
        *,
        case
            when order_id is null then 'missing order_id'
            when customer_id is null then 'missing customer_id'
            when ordered_at_text is null then 'missing ordered_at'
            when ordered_at is null then 'unparseable ordered_at'
            when status is null or status not in {{ counted_order_statuses() }}
                then 'status not counted'
            when amount_text is null then 'missing amount'
            when amount is null then 'unparseable amount'
            when refunded_amount_text is not null and parsed_refunded_amount is null
                then 'unparseable refunded_amount'
            when amount < 0 then 'negative amount'
            when amount - refunded_amount <= 0 then 'fully refunded'
        end as rule_failure
    from ranked

),

final as (

    select
        order_id,
        customer_id,
        status,
        ordered_at_text,
        amount_text,
        refunded_amount_text,
        updated_at_text,
        rule_failure,
        source_row_number,
        version_rank,
        amount,
        refunded_amount,
        amount - refunded_amount as net_amount,
        version_rank > 1 as is_superseded,
        ordered_at,
        updated_at
    from checked

)

select * from final
