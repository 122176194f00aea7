{{ config(materialized='table') }}
{#- A table: both fits, the scores and the holdout validation read it (and scripts/fit_clv.py on PostgreSQL).
    The BG/NBD summary of METRICS.md §11 per customer, in time units u = var clv_time_unit_days: x = purchase
    days - 1, t_x = (last - first purchase day) / u, T = (L - first purchase day) / u and m, the mean value of the
    purchase days after the first; the same for the calibration window that ends clv_holdout_days before L, with
    the purchase days of the holdout after it. -#}
{%- set clv = clv_params() %}

with

purchase_days as (

    select * from {{ ref('int_customer_purchase_days') }}

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

numbered as (

    select
        customer_id,
        purchase_date,
        net_amount,
        row_number() over (partition by customer_id order by purchase_date) as purchase_day_number
    from purchase_days

),

customer_days as (

    select
        numbered.customer_id,
        count(*) as purchase_days,
        min(numbered.purchase_date) as first_purchase_date,
        max(numbered.purchase_date) as last_purchase_date,
        sum(case when numbered.purchase_day_number > 1 then numbered.net_amount end) as repeat_net_amount,
        sum(
            case when numbered.purchase_date <= windows.calibration_end_date then 1 else 0 end
        ) as calibration_purchase_days,
        max(
            case when numbered.purchase_date <= windows.calibration_end_date then numbered.purchase_date end
        ) as calibration_last_purchase_date,
        sum(
            case when numbered.purchase_date > windows.calibration_end_date then 1 else 0 end
        ) as holdout_purchase_days
    from numbered
    cross join windows
    group by numbered.customer_id

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
