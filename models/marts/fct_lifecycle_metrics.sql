with

events as (

    select * from {{ ref('int_lifecycle_events_unioned') }}

),

as_of as (

    select * from {{ ref('stg_shop__metrics_as_of') }}

),

{% for grain in lifecycle_grains() %}
{{ grain }}_metrics as (

    {{ lifecycle_period_metrics(grain, "events", "as_of") | indent(4) }}

),

{% endfor %}
final as (

    {% for grain in lifecycle_grains() -%}
    select * from {{ grain }}_metrics
    {% if not loop.last %}union all
    {% endif -%}
    {%- endfor %}

)

select * from final
