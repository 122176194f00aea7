with

orders as (

    select * from {{ ref('int_orders_sequenced') }}

),

spells as (

    select * from {{ ref('int_spells_identified') }}

),

as_of as (

    select * from {{ ref('stg_shop__metrics_as_of') }}

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

current_spells as (

    select
        order_summary.*,
        spells.started_at as current_spell_started_at,
        as_of.metrics_as_of
    from order_summary
    inner join spells
        on
            order_summary.customer_id = spells.customer_id
            and order_summary.current_spell_number = spells.spell_number
    cross join as_of

),

final as (

    select
        customer_id,
        {{ lifecycle_state_at(
            'metrics_as_of', 'last_ordered_at', 'current_spell_started_at', 'current_spell_number'
        ) | indent(8) }} as current_state,
        order_count,
        net_revenue,
        current_spell_number,
        first_ordered_at,
        last_ordered_at,
        current_spell_started_at
    from current_spells

)

select * from final
