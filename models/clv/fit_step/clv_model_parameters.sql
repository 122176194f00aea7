{#- Engines without dbt Python models (PostgreSQL): the parameters scripts/fit_clv.py fitted and wrote to schema
    var clv_schema, when that fit is one of this build's data and settings (same fit_fingerprint); otherwise
    every parameter NULL with a not_fitted message that says what to run. -#}
{%- set stored_relation = clv_fit_relation('clv_model_parameters') %}
{%- set fit_command = "run python scripts/fit_clv.py --target " ~ target.name ~ ", then build again" %}
{%- set parameters = [
    ("observation", "bg_nbd", ["r", "alpha", "a", "b"]),
    ("observation", "gamma_gamma", ["p", "q", "gamma"]),
    ("calibration", "bg_nbd", ["r", "alpha", "a", "b"]),
] %}

with

settings as (

    select * from {{ ref('int_clv_fit_settings') }}

),

stored as (

    {% if stored_relation is not none -%}
    select * from {{ stored_relation }}
    {%- else -%}
    select
        cast(null as {{ dbt.type_string() }}) as fitted_on,
        cast(null as {{ dbt.type_string() }}) as model,  -- noqa: RF04
        cast(null as {{ dbt.type_string() }}) as parameter,  -- noqa: RF04
        cast(null as {{ double_type() }}) as value,  -- noqa: RF04
        cast(null as {{ dbt.type_string() }}) as fit_status,
        cast(null as {{ dbt.type_string() }}) as fit_message,
        cast(null as {{ dbt.type_bigint() }}) as customers,
        cast(null as {{ dbt.type_bigint() }}) as fitted_customers,
        cast(null as {{ dbt.type_string() }}) as fit_fingerprint
    where 1 = 0
    {%- endif %}

),

current_fit as (

    -- the stored fit, only when it was fitted on this build's summary with this build's settings
    select stored.*
    from stored
    inner join settings
        on stored.fit_fingerprint = settings.fit_fingerprint

),

parameter_names as (

    {% for fitted_on, model, names in parameters -%}
    {% for name in names -%}
    select
        '{{ fitted_on }}' as fitted_on,
        '{{ model }}' as model,  -- noqa: RF04
        '{{ name }}' as parameter  -- noqa: RF04
    {% if not loop.last %}union all
    {% endif %}
    {%- endfor %}
    {% if not loop.last %}union all
    {% endif %}
    {%- endfor %}

),

final as (

    select
        parameter_names.fitted_on,
        parameter_names.model,
        parameter_names.parameter,
        current_fit.value,
        settings.time_unit_days,
        coalesce(current_fit.fit_status, 'not_fitted') as fit_status,
        coalesce(
            current_fit.fit_message,
            {% if stored_relation is none -%}
            'no fit in schema {{ var("clv_schema", "lifecycle_clv") }} yet: {{ fit_command }}'
            {%- else -%}
            'the fit in schema {{ var("clv_schema", "lifecycle_clv") }} is of other data or settings: {{ fit_command }}'
            {%- endif %}
        ) as fit_message,
        coalesce(current_fit.customers, 0) as customers,
        coalesce(current_fit.fitted_customers, 0) as fitted_customers,
        settings.metrics_as_of
    from parameter_names
    cross join settings
    left join current_fit
        on
            parameter_names.fitted_on = current_fit.fitted_on
            and parameter_names.model = current_fit.model
            and parameter_names.parameter = current_fit.parameter

)

select * from final
