{% macro rate_lift(treated_rate, control_rate) -%}
    {#- Lift of a campaign, METRICS.md §10: treated rate - control rate; NULL when either is NULL (a campaign
        without a holdout has no lift, not a zero one). -#}
    ({{ treated_rate }}) - ({{ control_rate }})
{%- endmacro %}
