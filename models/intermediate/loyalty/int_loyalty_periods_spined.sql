{#- Every loyalty period that is published, at every grain of period_grains(): from the one holding the earliest
    enrolled_at (METRICS.md §9) to the last one that starts before metrics_as_of. No members: no periods. -#}

with

members as (

    select * from {{ ref('stg_loyalty__members') }}

),

as_of as (

    select * from {{ ref('base_shop__metrics_as_of') }}

),

first_periods as (

    {% for grain in period_grains() -%}
    select
        '{{ grain }}' as grain,
        min({{ truncate_to_grain(grain, 'enrolled_at') }}) as first_period_start
    from members
    having count(*) > 0
    {% if not loop.last %}union all
    {% endif -%}
    {%- endfor %}

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
