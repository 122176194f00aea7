{% macro member_redemption_rate(
    redeeming_members="redeeming_members",
    positive_balance_customers_at_start="positive_balance_customers_at_start"
) -%}
    {#- member_redemption_rate: redeeming_members / positive_balance_customers_at_start, NULL when the denominator is 0. -#}
    {{ safe_divide(redeeming_members, positive_balance_customers_at_start) }}
{%- endmacro %}
