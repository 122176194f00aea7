{% macro uncontacted_win_back_rate(won_back="uncontacted_won_back_alerts", lapsed="uncontacted_lapsed_alerts") -%}
    {#- METRICS.md §10: section 7's win_back_rate over the period's alerts without such a touch. NULL when none
        of them is decided. -#}
    {{ win_back_rate(won_back, lapsed) }}
{%- endmacro %}
