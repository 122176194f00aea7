-- dim_customers evaluates each customer's state at metrics_as_of directly; int_customer_states_historized
-- builds the whole timeline. Both must give the same current state. Returns the customers where they differ.

with

customers as (

    select * from {{ ref('dim_customers') }}

),

states as (

    select * from {{ ref('int_customer_states_historized') }}

),

current_states as (

    select
        customer_id,
        lifecycle_state
    from states
    where is_current

),

final as (

    select
        customers.customer_id,
        customers.current_state,
        current_states.lifecycle_state as timeline_state
    from customers
    full outer join current_states
        on customers.customer_id = current_states.customer_id
    where
        customers.customer_id is null
        or current_states.customer_id is null
        or customers.current_state <> current_states.lifecycle_state

)

select * from final
