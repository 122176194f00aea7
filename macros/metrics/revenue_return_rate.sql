{% macro revenue_return_rate(
    refunded_amount="refunded_amount",
    attempted_amount="attempted_amount"
) -%}
    {#- revenue_return_rate: refunded_amount / attempted_amount, NULL when the denominator is 0. -#}
    {{ safe_divide(refunded_amount, attempted_amount) }}
{%- endmacro %}
