{#- The campaign flows of every period, at every grain of period_grains(), in one pass over the campaign events. -#}

with

events as (

    select * from {{ ref('int_campaign_events_unioned') }}

),

{% for grain in period_grains() %}
{{ grain }}_flows as (

    {{ campaign_period_flows(grain, "events") | indent(4) }}

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
