{% macro reactivation_rate(
    reactivated_customers="reactivated_customers",
    old_customers_at_start="old_customers_at_start"
) -%}
    {#- 老客户唤醒率, METRICS.md §4: reactivated_customers (唤醒的老客户数) / old_customers_at_start (总老客户数).
        NULL when there are no old customers at period_start. -#}
    {{ safe_divide(reactivated_customers, old_customers_at_start) }}
{%- endmacro %}
