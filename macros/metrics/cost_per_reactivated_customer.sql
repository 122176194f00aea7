{% macro cost_per_reactivated_customer(cost="cost", reactivated="treated_reactivated_customers") -%}
    {#- METRICS.md §10: the treated touches' cost / the treated dormant customers who responded. NULL when none
        did. -#}
    {{ safe_divide(cost, reactivated) }}
{%- endmacro %}
