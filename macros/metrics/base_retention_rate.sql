{% macro base_retention_rate(
    retained_customers="retained_customers",
    customers_at_start="customers_at_start"
) -%}
    {#- Base (strict) retention rate, METRICS.md §4 (no Chinese name there): retained_customers / CS, the share of
        the starting base still active at the end within the same spell. NULL when CS = 0. -#}
    {{ safe_divide(retained_customers, customers_at_start) }}
{%- endmacro %}
