{#- The classic BG/NBD validation (Fader, Hardie & Lee 2005, figure 4): the model fitted on the calibration window
    (the history up to clv_holdout_days before the last observed day) predicts each customer's purchase days in
    the holdout after it; predicted and actual are compared by calibration frequency 0, 1, ..., 7+. -#}
{%- set max_frequency = 7 %}

with

summary as (

    select * from {{ ref('int_customers_clv_summarized') }}

),

scores as (

    select * from {{ ref('int_customers_clv_scored') }}

),

settings as (

    select * from {{ ref('int_clv_fit_settings') }}

),

calibrated as (

    -- customers whose first purchase day is in the calibration window
    select
        case
            when summary.calibration_frequency >= {{ max_frequency }} then {{ max_frequency }}
            else summary.calibration_frequency
        end as calibration_frequency,
        summary.holdout_purchase_days,
        scores.holdout_expected_purchases
    from summary
    left join scores
        on summary.customer_id = scores.customer_id
    where summary.calibration_frequency is not null

),

frequencies as (

    select
        integer_series.calibration_frequency,
        settings.calibration_end_date,
        settings.holdout_days
    from settings
    {{ join_integer_series(max_frequency + 1, 'calibration_frequency') }}
    where settings.holdout_days > 0

),

by_frequency as (

    select
        calibration_frequency,
        count(*) as customers,
        cast(sum(holdout_purchase_days) as {{ dbt.type_bigint() }}) as actual_purchases,
        -- summed as decimals: exact, so the total does not depend on the order the engine adds the rows in
        cast(
            sum(cast(holdout_expected_purchases as decimal(38, 12))) as {{ double_type() }}
        ) as predicted_purchases,
        count(holdout_expected_purchases) as predicted_customers
    from calibrated
    group by calibration_frequency

),

final as (

    select
        frequencies.calibration_frequency,
        case
            when frequencies.calibration_frequency = {{ max_frequency }} then '{{ max_frequency }}+'
            else cast(frequencies.calibration_frequency as {{ dbt.type_string() }})
        end as calibration_frequency_label,
        coalesce(by_frequency.customers, 0) as customers,
        coalesce(by_frequency.actual_purchases, 0) as actual_holdout_purchases,
        case
            when by_frequency.predicted_customers = by_frequency.customers then by_frequency.predicted_purchases
        end as predicted_holdout_purchases,
        {{ safe_divide('by_frequency.actual_purchases', 'by_frequency.customers') }}
            as actual_purchases_per_customer,
        case
            when by_frequency.predicted_customers = by_frequency.customers
                then {{ safe_divide('by_frequency.predicted_purchases', 'by_frequency.customers') }}
        end as predicted_purchases_per_customer,
        frequencies.calibration_end_date,
        frequencies.holdout_days
    from frequencies
    left join by_frequency
        on frequencies.calibration_frequency = by_frequency.calibration_frequency

)

select * from final
