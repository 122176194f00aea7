{#- Every period that is published, at every grain of period_grains(): from the one holding the first valid order
    (the first period with a flow; nothing happens before the first order) to the last one that starts before
    metrics_as_of, zeros included. -#}

with

flows as (

    select * from {{ ref('int_period_flows_aggregated') }}

),

as_of as (

    select * from {{ ref('base_shop__metrics_as_of') }}

),

first_periods as (

    select
        grain,
        min(period_start) as first_period_start
    from flows
    group by grain

),

{% for grain in period_grains() %}
{{ grain }}_periods as (

    {{ period_spine(grain, "first_periods", "as_of") | indent(4) }}

),

{% endfor %}
final as (

    {% for grain in period_grains() -%}
    select * from {{ grain }}_periods
    {% if not loop.last %}union all
    {% endif -%}
    {%- endfor %}

)

select * from final
