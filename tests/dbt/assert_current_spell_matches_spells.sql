-- int_customers_summarized takes each customer's current spell from the orders alone (the latest spell number and
-- the latest spell-starting order); the spells model builds the same spells by grouping the orders. Every customer's
-- current spell must be the customer's last spell there, with the same start. Returns the customers where not.

with

customers as (

    select * from {{ ref('int_customers_summarized') }}

),

spells as (

    select * from {{ ref('int_spells_identified') }}

),

last_spells as (

    select
        customer_id,
        max(spell_number) as last_spell_number
    from spells
    group by customer_id

),

final as (

    select
        customers.customer_id,
        customers.current_spell_number,
        customers.current_spell_started_at,
        last_spells.last_spell_number,
        spells.started_at as spell_started_at
    from customers
    left join last_spells
        on customers.customer_id = last_spells.customer_id
    left join spells
        on
            customers.customer_id = spells.customer_id
            and customers.current_spell_number = spells.spell_number
    where
        last_spells.last_spell_number is null
        or customers.current_spell_number <> last_spells.last_spell_number
        or spells.started_at is null
        or customers.current_spell_started_at <> spells.started_at

)

select * from final
