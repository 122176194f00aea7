{#- The retention team's work list: alerts still open at metrics_as_of, most valuable first. -#}

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
        alerts.value_at_risk,
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
            row_number() over (order by value_at_risk desc, respond_by asc, customer_id asc) as {{ dbt.type_bigint() }}
        ) as priority_rank,
        value_at_risk,
        historical_clv,
        order_count,
        alert_at,
        respond_by,
        last_ordered_at
    from open_alerts

)

select * from final
order by priority_rank
