{#- The customer dimension: each customer's summary, current state, RFM scores and value tier (the rows of
    int_customers_value_tiered, which adds to those of int_customers_rfm_scored, which adds to the summary's),
    with the CLV scores. One join of two customer-grain relations: at 25M customers each such join cost about
    15 to 25 s, and this model had four. -#}

with

customers as (

    select * from {{ ref('int_customers_value_tiered') }}

),

clv_scores as (

    select * from {{ ref('int_customers_clv_scored') }}

),

final as (

    {#- A left join: a customer without scores (the model is not fitted) keeps its row with NULL predictions. -#}
    select
        customers.customer_id,
        customers.current_state,
        customers.rfm_segment,
        customers.value_tier,
        customers.order_count,
        customers.net_revenue,
        customers.current_spell_number,
        customers.recency_days,
        customers.frequency,
        customers.monetary,
        customers.r_score,
        customers.f_score,
        customers.m_score,
        customers.fm_score,
        customers.historical_clv,
        customers.average_order_value,
        clv_scores.probability_alive,
        clv_scores.expected_purchases,
        clv_scores.expected_purchase_value,
        clv_scores.predicted_clv,
        customers.first_ordered_at,
        customers.last_ordered_at,
        customers.current_spell_started_at
    from customers
    left join clv_scores
        on customers.customer_id = clv_scores.customer_id

)

select * from final
