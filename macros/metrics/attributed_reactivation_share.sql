{% macro attributed_reactivation_share(
    attributed_reactivations="attributed_reactivations",
    reactivation_events="reactivation_events"
) -%}
    {#- METRICS.md §10: the period's reactivation events whose order is attributed to a non-control touch / all
        its reactivation events. NULL when the period has no reactivation. -#}
    {{ safe_divide(attributed_reactivations, reactivation_events) }}
{%- endmacro %}
