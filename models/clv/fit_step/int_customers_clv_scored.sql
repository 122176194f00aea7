{#- Engines without dbt Python models (PostgreSQL): the scores scripts/fit_clv.py computed and wrote to schema
    var clv_schema, when its fit is one of this build's data and settings; no rows otherwise (dim_customers then
    has NULL predictions, and the warn test warn_clv_model_not_fitted says what to run). -#}
{%- set stored_scores = clv_fit_relation('int_customers_clv_scored') %}
{%- set stored_parameters = clv_fit_relation('clv_model_parameters') %}

with

settings as (

    select * from {{ ref('int_clv_fit_settings') }}

),

{% if stored_scores is not none and stored_parameters is not none -%}
stored_parameters as (

    select * from {{ stored_parameters }}

),

current_fit as (

    select count(*) as matching_rows
    from stored_parameters
    inner join settings
        on stored_parameters.fit_fingerprint = settings.fit_fingerprint

),

stored_scores as (

    select * from {{ stored_scores }}

),

final as (

    select
        stored_scores.customer_id,
        stored_scores.probability_alive,
        stored_scores.expected_purchases,
        stored_scores.expected_purchase_value,
        stored_scores.predicted_clv,
        stored_scores.holdout_expected_purchases
    from stored_scores
    cross join current_fit
    where current_fit.matching_rows > 0

)
{%- else -%}
final as (

    select
        cast(null as {{ dbt.type_string() }}) as customer_id,
        cast(null as {{ double_type() }}) as probability_alive,
        cast(null as {{ double_type() }}) as expected_purchases,
        cast(null as {{ double_type() }}) as expected_purchase_value,
        cast(null as {{ double_type() }}) as predicted_clv,
        cast(null as {{ double_type() }}) as holdout_expected_purchases
    from settings
    where 1 = 0

)
{%- endif %}

select * from final
