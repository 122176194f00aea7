{% macro dormant_reactivation_rate(
    reactivated_customers="reactivated_customers",
    dormant_customers_at_start="dormant_customers_at_start"
) -%}
    {#- Dormant reactivation rate, METRICS.md §4 (no Chinese name there; 沉睡客户唤醒率 in the usual terms):
        reactivated_customers / dormant_customers_at_start. NULL when no old customer was dormant at period_start. -#}
    {{ safe_divide(reactivated_customers, dormant_customers_at_start) }}
{%- endmacro %}
