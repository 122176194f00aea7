{{ config(materialized='table') }}
{#- A table: both fits, the scores and the holdout validation read it (and scripts/fit_clv.py on PostgreSQL).
    The BG/NBD summary of METRICS.md §11 per customer, in time units u = var clv_time_unit_days: x = purchase
    days - 1, t_x = (last - first purchase day) / u, T = (L - first purchase day) / u and m, the mean value of the
    purchase days after the first; the same for the calibration window that ends clv_holdout_days before L, with
    the purchase days of the holdout after it. -#}
{%- set clv = clv_params() %}

with

orders as (

    select * from {{ ref('int_orders_sequenced') }}

),

as_of as (

    select * from {{ ref('base_shop__metrics_as_of') }}

),

last_observed as (

    select {{ clv_last_observed_date('metrics_as_of') }} as last_observed_date
    from as_of

),

windows as (

    select
        last_observed_date,
        cast({{ dbt.dateadd('day', -clv.holdout_days, 'last_observed_date') }} as date) as calibration_end_date
    from last_observed

),

order_days as (

    {#- Each order's purchase day, and whether it is the first of the customer's orders that day (the orders are
        sequenced by time, so the previous order is on an earlier day or the same one): one flag per purchase day,
        counted by the group by below, with no grouping of the orders by day and no window over the days. -#}
    select
        customer_id,
        net_amount,
        {{ truncate_to_grain('day', 'ordered_at') }} as purchase_date,
        {{ truncate_to_grain('day', 'customer_first_ordered_at') }} as first_purchase_date,
        {{ is_first_in_period('day', 'previous_ordered_at', 'ordered_at') }} as is_first_of_day
    from orders

),

customer_days as (

    select
        order_days.customer_id,
        sum(case when order_days.is_first_of_day then 1 else 0 end) as purchase_days,
        min(order_days.purchase_date) as first_purchase_date,
        max(order_days.purchase_date) as last_purchase_date,
        sum(
            case when order_days.purchase_date > order_days.first_purchase_date then order_days.net_amount end
        ) as repeat_net_amount,
        sum(
            case
                when order_days.is_first_of_day and order_days.purchase_date <= windows.calibration_end_date
                    then 1
                else 0
            end
        ) as calibration_purchase_days,
        max(
            case when order_days.purchase_date <= windows.calibration_end_date then order_days.purchase_date end
        ) as calibration_last_purchase_date,
        sum(
            case
                when order_days.is_first_of_day and order_days.purchase_date > windows.calibration_end_date
                    then 1
                else 0
            end
        ) as holdout_purchase_days
    from order_days
    cross join windows
    group by order_days.customer_id

),

final as (

    select
        customer_days.customer_id,
        customer_days.purchase_days,
        customer_days.purchase_days - 1 as frequency,
        cast(
            {{ dbt.datediff('customer_days.first_purchase_date', 'customer_days.last_purchase_date', 'day') }}
            as {{ double_type() }}
        ) / {{ clv.time_unit_days }} as recency,
        cast(
            {{ dbt.datediff('customer_days.first_purchase_date', 'windows.last_observed_date', 'day') }}
            as {{ double_type() }}
        ) / {{ clv.time_unit_days }} as age,
        case
            when customer_days.purchase_days > 1
                then cast(customer_days.repeat_net_amount as {{ double_type() }}) / (customer_days.purchase_days - 1)
        end as mean_repeat_value,
        case
            when customer_days.first_purchase_date <= windows.calibration_end_date
                then customer_days.calibration_purchase_days - 1
        end as calibration_frequency,
        case
            when customer_days.first_purchase_date <= windows.calibration_end_date
                then cast(
                    {{ dbt.datediff(
                        'customer_days.first_purchase_date', 'customer_days.calibration_last_purchase_date', 'day'
                    ) }} as {{ double_type() }}
                ) / {{ clv.time_unit_days }}
        end as calibration_recency,
        case
            when customer_days.first_purchase_date <= windows.calibration_end_date
                then cast(
                    {{ dbt.datediff('customer_days.first_purchase_date', 'windows.calibration_end_date', 'day') }}
                    as {{ double_type() }}
                ) / {{ clv.time_unit_days }}
        end as calibration_age,
        case
            when customer_days.first_purchase_date <= windows.calibration_end_date
                then customer_days.holdout_purchase_days
        end as holdout_purchase_days,
        customer_days.first_purchase_date,
        customer_days.last_purchase_date
    from customer_days
    cross join windows

)

select * from final
