with

orders as (

    select * from {{ ref('int_orders_sequenced') }}

),

as_of as (

    select * from {{ ref('base_shop__metrics_as_of') }}

),

{% for grain in cohort_grains() %}
{{ grain }}_cohorts as (

    {{ cohort_retention(grain, "orders", "as_of") | indent(4) }}

),

{% endfor %}
final as (

    {% for grain in cohort_grains() -%}
    select * from {{ grain }}_cohorts
    {% if not loop.last %}union all
    {% endif -%}
    {%- endfor %}

)

select * from final
