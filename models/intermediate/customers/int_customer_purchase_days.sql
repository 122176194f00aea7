{#- Purchase days (METRICS.md §11): the reporting-timezone days holding a customer's valid orders, each with the
    net value of its orders. The buy-till-you-die models count days, not orders. -#}

with

orders as (

    select * from {{ ref('int_orders_sequenced') }}

),

dated as (

    select
        customer_id,
        net_amount,
        {{ truncate_to_grain('day', 'ordered_at') }} as purchase_date
    from orders

),

final as (

    select
        customer_id,
        purchase_date,
        count(*) as orders,
        sum(net_amount) as net_amount
    from dated
    group by customer_id, purchase_date

)

select * from final
