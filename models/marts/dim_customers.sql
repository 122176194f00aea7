with

orders as (

    select * from {{ ref('int_orders_sequenced') }}

),

states as (

    select * from {{ ref('int_customer_states_historized') }}

),

order_summary as (

    select
        customer_id,
        count(*) as order_count,
        sum(net_amount) as net_revenue,
        max(spell_number) as current_spell_number,
        min(ordered_at) as first_ordered_at,
        max(ordered_at) as last_ordered_at
    from orders
    group by customer_id

),

current_states as (

    select
        customer_id,
        lifecycle_state as current_state,
        valid_from as current_state_since
    from states
    where is_current

),

final as (

    select
        order_summary.customer_id,
        current_states.current_state,
        order_summary.order_count,
        order_summary.net_revenue,
        order_summary.current_spell_number,
        order_summary.first_ordered_at,
        order_summary.last_ordered_at,
        current_states.current_state_since
    from order_summary
    left join current_states
        on order_summary.customer_id = current_states.customer_id

)

select * from final
