{#- The daily loyalty fact of the semantic layer: the day rows of int_loyalty_stocks_accumulated (built at grain
    `day` whatever var `lifecycle_grains` says), the same rows as fct_loyalty_metrics at that grain. MetricFlow
    derives every coarser grain: members_at_end from the last day, positive balances at start from the first day,
    points as sums. -#}

with

periods as (

    select * from {{ ref('int_loyalty_stocks_accumulated') }}

),

final as (

    select
        period_start as metric_date,
        members_at_end,
        positive_balance_customers_at_start,
        points_earned,
        points_redeemed,
        is_complete
    from periods
    where grain = 'day'

)

select * from final
