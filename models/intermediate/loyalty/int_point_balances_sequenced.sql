{#- One row per customer and instant with counted point events: the balance just before it (events strictly
    before), the net change of its events and the balance after them. The balance is positive on
    (instant where it turns > 0, instant where it turns <= 0]. -#}

with

events as (

    select * from {{ ref('stg_loyalty__point_events') }}

),

final as (

    select
        customer_id,
        occurred_at,
        min(balance_before) as balance_before,
        sum(signed_points) as net_points,
        min(balance_before) + sum(signed_points) as balance_after,
        {{ count_where('true') }} as events
    from events
    group by customer_id, occurred_at

)

select * from final
