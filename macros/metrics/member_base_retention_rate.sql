{% macro member_base_retention_rate(
    member_retained_customers="member_retained_customers",
    member_customers_at_start="member_customers_at_start"
) -%}
    {#- base_retention_rate of the customers of CS who are members at period_start (fct_loyalty_metrics). -#}
    {{ base_retention_rate(member_retained_customers, member_customers_at_start) }}
{%- endmacro %}
