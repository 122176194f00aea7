{{ config(materialized='table') }}
{#- The flows of every period, at every grain of period_grains(): the one pass over the lifecycle events that
    every period figure is derived from, kept as a table so that the marts read it instead of the events. -#}

with

events as (

    select * from {{ ref('int_lifecycle_events_unioned') }}

),

{% for grain in period_grains() %}
{{ grain }}_flows as (

    {{ period_flows(grain, "events") | indent(4) }}

),

{% endfor %}
final as (

    {% for grain in period_grains() -%}
    select * from {{ grain }}_flows
    {% if not loop.last %}union all
    {% endif -%}
    {%- endfor %}

)

select * from final
