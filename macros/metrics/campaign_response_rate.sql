{% macro campaign_response_rate(responders="responding_customers", customers="touched_customers") -%}
    {#- Response rate of a campaign group, METRICS.md §10: customers with a responded touch / customers touched
        (treated_response_rate, control_response_rate, campaign_response_rate). NULL when no one was touched. -#}
    {{ safe_divide(responders, customers) }}
{%- endmacro %}
