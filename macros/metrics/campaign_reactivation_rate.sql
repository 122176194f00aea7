{% macro campaign_reactivation_rate(reactivated="treated_reactivated_customers", dormant="treated_dormant_customers") -%}
    {#- 活动唤醒率, METRICS.md §10: the group's dormant customers who responded / its dormant customers (state at
        their first touch of the campaign). NULL when the group has no dormant customer. -#}
    {{ safe_divide(reactivated, dormant) }}
{%- endmacro %}
