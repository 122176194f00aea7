{%- set value = customer_value_params() -%}
{#- Value tier by net revenue, historical CLV and the average order value, added to each customer's summary and
    RFM scores (the rows of int_customers_rfm_scored). The distribution of net revenue is counted on the summary
    table: counted on the RFM view, DuckDB would compute that view twice or hold a copy of it. The predicted value
    of a customer comes from the BG/NBD and Gamma-Gamma models (int_customers_clv_scored). -#}

with

customers as (

    select * from {{ ref('int_customers_rfm_scored') }}

),

summaries as (

    select * from {{ ref('int_customers_summarized') }}

),

monetary_counts as (

    select
        net_revenue,
        count(*) as customers_with_value
    from summaries
    group by net_revenue

),

monetary_ranks as (

    -- customers with at least this net revenue (the tie included), from the distribution of net revenue
    select
        net_revenue,
        sum(customers_with_value) over (
            order by net_revenue desc rows between unbounded preceding and current row
        ) as customers_at_or_above,
        sum(customers_with_value) over () as customer_count
    from monetary_counts

),

tiered as (

    select
        customers.*,
        case
            when
                monetary_ranks.customers_at_or_above <= {{ value.high_share }} * monetary_ranks.customer_count + 1e-9
                then 'high'
            when
                monetary_ranks.customers_at_or_above
                <= {{ value.high_share + value.medium_share }} * monetary_ranks.customer_count + 1e-9
                then 'medium'
            else 'low'
        end as value_tier
    from customers
    inner join monetary_ranks
        on customers.net_revenue = monetary_ranks.net_revenue

),

final as (

    select
        customer_id,
        current_state,
        order_count,
        net_revenue,
        current_spell_number,
        recency_days,
        tenure_days,
        first_ordered_at,
        last_ordered_at,
        current_spell_started_at,
        frequency,
        monetary,
        r_score,
        f_score,
        m_score,
        fm_score,
        rfm_segment,
        value_tier,
        net_revenue as historical_clv,
        {{ safe_divide('net_revenue', 'order_count') }} as average_order_value
    from tiered

)

select * from final
