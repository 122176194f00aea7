{% macro non_member_base_retention_rate(
    non_member_retained_customers="non_member_retained_customers",
    non_member_customers_at_start="non_member_customers_at_start"
) -%}
    {#- base_retention_rate of the customers of CS who are non-members at period_start (fct_loyalty_metrics). -#}
    {{ base_retention_rate(non_member_retained_customers, non_member_customers_at_start) }}
{%- endmacro %}
