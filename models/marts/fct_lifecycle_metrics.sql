{#- The period figures of METRICS.md §4 at the grains of var `lifecycle_grains`: the stocks and flows of the period
    pieces, and each rate through its own macro (macros/metrics/, one file per rate, named as its column). -#}
{%- set published_grains = "'" ~ lifecycle_grains() | join("', '") ~ "'" %}

with

periods as (

    select * from {{ ref('int_period_stocks_accumulated') }}

),

purchase_attempts as (

    select * from {{ ref('int_purchase_attempts_aggregated') }}

),

with_returns as (

    select
        periods.*,
        coalesce(purchase_attempts.purchase_attempts, 0) as purchase_attempts,
        coalesce(purchase_attempts.returned_orders, 0) as returned_orders,
        coalesce(purchase_attempts.attempted_amount, 0) as attempted_amount,
        coalesce(purchase_attempts.refunded_amount, 0) as refunded_amount
    from periods
    left join purchase_attempts
        on
            periods.grain = purchase_attempts.grain
            and periods.period_start = purchase_attempts.period_start

),

final as (

    select
        grain,
        customers_at_start,
        customers_at_end,
        new_customers,
        reactivated_customers,
        churned_customers,
        reactivation_events,
        churn_events,
        retained_customers,
        old_customers_at_start,
        dormant_customers_at_start,
        ordering_customers,
        repeat_customers,
        orders,
        churn_alerts,
        won_back_alerts,
        lapsed_alerts,
        open_alerts,
        net_revenue,
        {{ retention_rate() }} as retention_rate,
        {{ base_retention_rate() }} as base_retention_rate,
        {{ reactivation_rate() }} as reactivation_rate,
        {{ dormant_reactivation_rate() }} as dormant_reactivation_rate,
        {{ churn_rate() }} as churn_rate,
        {{ repeat_purchase_rate() }} as repeat_purchase_rate,
        {{ quick_ratio() }} as quick_ratio,
        {{ win_back_rate() }} as win_back_rate,
        purchase_attempts,
        returned_orders,
        attempted_amount,
        refunded_amount,
        {{ order_return_rate() }} as order_return_rate,
        {{ revenue_return_rate() }} as revenue_return_rate,
        is_complete,
        period_start,
        period_end
    from with_returns
    where grain in ({{ published_grains }})

)

select * from final
