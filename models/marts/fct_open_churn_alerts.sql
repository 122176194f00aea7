{#- The retention team's work list: alerts still open at metrics_as_of, the most value at stake first — the
    customer's predicted_clv, what the BG/NBD and Gamma-Gamma models expect them to spend over the next
    clv_horizon_days. Without a fitted model (NULL predictions) the list falls back to historical_clv. -#}

with

alerts as (

    select * from {{ ref('fct_churn_alerts') }}

),

customers as (

    select * from {{ ref('dim_customers') }}

),

open_alerts as (

    select
        alerts.alert_id,
        alerts.customer_id,
        alerts.value_tier,
        alerts.rfm_segment,
        customers.current_state,
        customers.predicted_clv,
        customers.probability_alive,
        customers.historical_clv,
        customers.order_count,
        alerts.alert_at,
        alerts.respond_by,
        alerts.ordered_at as last_ordered_at
    from alerts
    inner join customers
        on alerts.customer_id = customers.customer_id
    where alerts.outcome = 'open'

),

final as (

    select
        alert_id,
        customer_id,
        value_tier,
        rfm_segment,
        current_state,
        {#- cast: row_number() is a bigint on DuckDB and PostgreSQL, an int on Spark -#}
        cast(
            row_number() over (
                order by predicted_clv desc nulls last, historical_clv desc, respond_by asc, customer_id asc
            ) as {{ dbt.type_bigint() }}
        ) as priority_rank,
        predicted_clv,
        probability_alive,
        historical_clv,
        order_count,
        alert_at,
        respond_by,
        last_ordered_at
    from open_alerts

)

select * from final
order by priority_rank
