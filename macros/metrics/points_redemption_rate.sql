{% macro points_redemption_rate(
    points_redeemed="points_redeemed",
    points_earned="points_earned"
) -%}
    {#- points_redemption_rate: points_redeemed / points_earned, NULL when the denominator is 0. -#}
    {{ safe_divide(points_redeemed, points_earned) }}
{%- endmacro %}
