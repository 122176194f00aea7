{{ config(materialized='table') }}
{#- The loyalty flows of every period, at every grain of period_grains(): the one pass over the loyalty facts that
    fct_loyalty_metrics is derived from. -#}

with

facts as (

    select * from {{ ref('int_loyalty_facts_unioned') }}

),

{% for grain in period_grains() %}
{{ grain }}_flows as (

    {{ loyalty_period_flows(grain, "facts") | indent(4) }}

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
