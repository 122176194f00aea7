{% macro win_back_rate(won_back_alerts="won_back_alerts", lapsed_alerts="lapsed_alerts") -%}
    {#- Win-back rate of the churn alerts (流失预警黄金72小时), METRICS.md §7: won_back / (won_back + lapsed) over
        the alerts dated in the period; open alerts are left out. NULL when none is decided. -#}
    {{ safe_divide(won_back_alerts, "(" ~ won_back_alerts ~ ") + (" ~ lapsed_alerts ~ ")") }}
{%- endmacro %}
