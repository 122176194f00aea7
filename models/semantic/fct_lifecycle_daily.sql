{#- The daily fact of the semantic layer: one row per calendar day (in var `reporting_timezone`), computed by the
    same macro as fct_lifecycle_metrics at grain `day`, whatever var `lifecycle_grains` says. MetricFlow derives
    every coarser grain from it: stocks with a non-additive dimension (first day for "at start", last day for
    "at end"), flows as sums. -#}

with

events as (

    select * from {{ ref('int_lifecycle_events_unioned') }}

),

as_of as (

    select * from {{ ref('stg_shop__metrics_as_of') }}

),

daily as (

    {{ lifecycle_period_metrics("day", "events", "as_of") | indent(4) }}

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
    from daily

)

select * from final
