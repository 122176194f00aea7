{% macro repeat_purchase_rate(
    repeat_customers="repeat_customers",
    old_customers_at_start="old_customers_at_start"
) -%}
    {#- Repeat purchase rate, METRICS.md §4 (no Chinese name there; 复购率 in the usual terms): old customers at
        period_start with a valid order in the period / old_customers_at_start. NULL when there are no old
        customers. -#}
    {{ safe_divide(repeat_customers, old_customers_at_start) }}
{%- endmacro %}
