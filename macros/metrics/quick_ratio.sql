{% macro quick_ratio(
    new_customers="new_customers",
    reactivated_customers="reactivated_customers",
    churned_customers="churned_customers"
) -%}
    {#- Quick ratio, METRICS.md §4 (no Chinese name there): (new_customers + reactivated_customers) /
        churned_customers, customers gained per customer lost. NULL when nobody churned. -#}
    {{ safe_divide("(" ~ new_customers ~ ") + (" ~ reactivated_customers ~ ")", churned_customers) }}
{%- endmacro %}
