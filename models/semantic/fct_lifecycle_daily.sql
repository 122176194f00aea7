{#- The daily fact of the semantic layer: the day rows of the period pieces (int_period_stocks_accumulated), which
    are built at grain `day` whatever var `lifecycle_grains` says; the same rows as fct_lifecycle_metrics at that
    grain. MetricFlow derives every coarser grain from it: stocks with a non-additive dimension (first day for
    "at start", last day for "at end"), flows as sums. -#}

with

periods as (

    select * from {{ ref('int_period_stocks_accumulated') }}

),

final as (

    select
        period_start as metric_date,
        customers_at_start,
        customers_at_end,
        old_customers_at_start,
        dormant_customers_at_start,
        new_customers,
        reactivation_events,
        churn_events,
        orders,
        net_revenue,
        is_complete
    from periods
    where grain = 'day'

)

select * from final
