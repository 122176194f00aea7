{% macro order_return_rate(
    returned_orders="returned_orders",
    purchase_attempts="purchase_attempts"
) -%}
    {#- order_return_rate: returned_orders / purchase_attempts, NULL when the denominator is 0. -#}
    {{ safe_divide(returned_orders, purchase_attempts) }}
{%- endmacro %}
