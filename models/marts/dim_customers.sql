{#- The customer dimension, assembled from one-job intermediate models. The current state is read from the
    state timeline (the interval holding metrics_as_of), so it is computed once. -#}

with

customers as (

    select * from {{ ref('int_customers_summarized') }}

),

rfm as (

    select * from {{ ref('int_customers_rfm_scored') }}

),

customer_values as (

    select * from {{ ref('int_customers_value_tiered') }}

),

clv_scores as (

    select * from {{ ref('int_customers_clv_scored') }}

),

states as (

    select * from {{ ref('int_customer_states_historized') }}

),

current_states as (

    -- the interval holding metrics_as_of
    select
        customer_id,
        lifecycle_state as current_state
    from states
    where is_current

),

final as (

    {#- Left joins: a customer without a current interval would keep its row with a NULL current_state, which
        the not_null test of current_state reports, rather than vanish; a customer without scores (the model is
        not fitted) keeps its row with NULL predictions. -#}
    select
        customers.customer_id,
        current_states.current_state,
        rfm.rfm_segment,
        customer_values.value_tier,
        customers.order_count,
        customers.net_revenue,
        customers.current_spell_number,
        rfm.recency_days,
        rfm.frequency,
        rfm.monetary,
        rfm.r_score,
        rfm.f_score,
        rfm.m_score,
        rfm.fm_score,
        customer_values.historical_clv,
        customer_values.average_order_value,
        clv_scores.probability_alive,
        clv_scores.expected_purchases,
        clv_scores.expected_purchase_value,
        clv_scores.predicted_clv,
        customers.first_ordered_at,
        customers.last_ordered_at,
        customers.current_spell_started_at
    from customers
    left join current_states
        on customers.customer_id = current_states.customer_id
    inner join rfm
        on customers.customer_id = rfm.customer_id
    inner join customer_values
        on customers.customer_id = customer_values.customer_id
    left join clv_scores
        on customers.customer_id = clv_scores.customer_id

)

select * from final
