{% macro member_reactivation_rate(
    member_reactivated_customers="member_reactivated_customers",
    member_old_customers_at_start="member_old_customers_at_start"
) -%}
    {#- reactivation_rate of the old customers at period_start who are members at period_start
        (fct_loyalty_metrics). -#}
    {{ reactivation_rate(member_reactivated_customers, member_old_customers_at_start) }}
{%- endmacro %}
