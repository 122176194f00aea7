{% macro contacted_win_back_rate(won_back="contacted_won_back_alerts", lapsed="contacted_lapsed_alerts") -%}
    {#- METRICS.md §10: section 7's win_back_rate over the period's alerts with a non-control touch of the
        customer at alert_at <= touched_at <= respond_by. NULL when none of them is decided. -#}
    {{ win_back_rate(won_back, lapsed) }}
{%- endmacro %}
