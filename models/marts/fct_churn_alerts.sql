with

alerts as (

    select * from {{ ref('int_churn_alerts_raised') }}

),

customers as (

    select * from {{ ref('dim_customers') }}

),

contacted_alerts as (

    select * from {{ ref('int_churn_alerts_contacted') }}

),

final as (

    select
        alerts.alert_id,
        alerts.order_id,
        alerts.customer_id,
        alerts.outcome,
        customers.value_tier,
        customers.rfm_segment,
        customers.predicted_clv,
        alerts.is_won_back_in_response_window,
        alerts.ordered_at,
        alerts.alert_at,
        alerts.respond_by,
        alerts.resolved_at,
        coalesce(contacted_alerts.is_contacted_in_response_window, false) as is_contacted_in_response_window
    from alerts
    inner join customers
        on alerts.customer_id = customers.customer_id
    left join contacted_alerts
        on alerts.alert_id = contacted_alerts.alert_id

)

select * from final
