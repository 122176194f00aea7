{% macro non_member_reactivation_rate(
    non_member_reactivated_customers="non_member_reactivated_customers",
    non_member_old_customers_at_start="non_member_old_customers_at_start"
) -%}
    {#- reactivation_rate of the old customers at period_start who are non-members at period_start
        (fct_loyalty_metrics). -#}
    {{ reactivation_rate(non_member_reactivated_customers, non_member_old_customers_at_start) }}
{%- endmacro %}
