{% macro churn_rate(
    churned_customers="churned_customers",
    customers_at_start="customers_at_start"
) -%}
    {#- Churn rate, METRICS.md §4 (no Chinese name there; 流失率 in the usual terms): churned_customers / CS.
        Can exceed 1 on periods longer than D days. NULL when CS = 0. -#}
    {{ safe_divide(churned_customers, customers_at_start) }}
{%- endmacro %}
