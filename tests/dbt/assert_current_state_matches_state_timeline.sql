-- int_customers_summarized (and so dim_customers) classifies each customer's state at metrics_as_of from the
-- latest order and its spell; the state timeline classifies every interval of every customer's history. The
-- timeline's current interval (is_current) must hold the same state, for the same customers. Returns the
-- customers where not.

with

customers as (

    select * from {{ ref('int_customers_summarized') }}

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
        coalesce(customers.customer_id, current_states.customer_id) as customer_id,
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
