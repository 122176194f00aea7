{{ config(materialized='table') }}
{#- One row per build: what the CLV fit of this build depends on — the vars, the observation windows and totals of the
    summary — read by the fits (dbt Python models on DuckDB, scripts/fit_clv.py elsewhere). fit_fingerprint joins
    them into one text that scripts/fit_clv.py stores with its fit, so that a later build can tell whether that
    fit is one of its own data. -#}
{%- set clv = clv_params() %}

with

summary as (

    select * from {{ ref('int_customers_clv_summarized') }}

),

as_of as (

    select * from {{ ref('base_shop__metrics_as_of') }}

),

totals as (

    select
        count(*) as customers,
        coalesce(sum(purchase_days), 0) as purchase_days,
        coalesce(sum(case when frequency > 0 then 1 else 0 end), 0) as repeat_customers,
        -- a decimal sum is exact: the same text whatever order the rows are added in
        coalesce(sum(cast(frequency * mean_repeat_value as decimal(38, 4))), 0) as repeat_value
    from summary

),

settings as (

    select
        as_of.metrics_as_of,
        {{ clv_last_observed_date('as_of.metrics_as_of') }} as last_observed_date,
        cast({{ clv.time_unit_days }} as {{ double_type() }}) as time_unit_days,
        cast({{ clv.horizon_days }} as {{ double_type() }}) as horizon_days,
        {{ clv.holdout_days }} as holdout_days,
        {{ clv.fit_max_customers }} as fit_max_customers,
        {{ clv.min_repeat_customers }} as min_repeat_customers,
        {% if clv.parameters -%}
        '{{ clv.parameters | tojson | replace("'", "''") }}'
        {%- else -%}
        cast(null as {{ dbt.type_string() }})
        {%- endif %} as given_parameters,
        totals.customers,
        totals.purchase_days,
        totals.repeat_customers,
        totals.repeat_value
    from as_of
    cross join totals

),

final as (

    select
        metrics_as_of,
        last_observed_date,
        cast({{ dbt.dateadd('day', -clv.holdout_days, 'last_observed_date') }} as date) as calibration_end_date,
        time_unit_days,
        horizon_days,
        holdout_days,
        fit_max_customers,
        min_repeat_customers,
        given_parameters,
        customers,
        purchase_days,
        repeat_customers,
        {{ dbt.concat([
            "'metrics_as_of='", "cast(metrics_as_of as " ~ dbt.type_string() ~ ")",
            "';u=" ~ clv.time_unit_days ~ ";horizon=" ~ clv.horizon_days ~ ";holdout=" ~ clv.holdout_days
            ~ ";max=" ~ clv.fit_max_customers ~ ";min_repeat=" ~ clv.min_repeat_customers ~ ";customers='",
            "cast(customers as " ~ dbt.type_string() ~ ")",
            "';purchase_days='", "cast(purchase_days as " ~ dbt.type_string() ~ ")",
            "';repeat_value='", "cast(repeat_value as " ~ dbt.type_string() ~ ")",
            "';parameters='", "coalesce(given_parameters, 'fit')",
        ]) }} as fit_fingerprint
    from settings

)

select * from final
