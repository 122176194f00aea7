{% macro retention_rate(
    customers_at_end="customers_at_end",
    new_customers="new_customers",
    customers_at_start="customers_at_start"
) -%}
    {#- 客户保留率 (CRR), METRICS.md §4: (CE - CN) / CS. The textbook rate: it counts reactivated customers as
        retained and can exceed 1. NULL when CS = 0. -#}
    {{ safe_divide("(" ~ customers_at_end ~ ") - (" ~ new_customers ~ ")", customers_at_start) }}
{%- endmacro %}
