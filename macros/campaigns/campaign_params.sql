{% macro campaign_attribution_days() %}
    {#- var `campaign_attribution_days` (W of METRICS.md §10), checked: a positive whole number of days. -#}
    {% set days = var("campaign_attribution_days", 7) %}
    {% if days is not number or days <= 0 or days != days | int %}
        {{ exceptions.raise_compiler_error(
            "campaign_attribution_days must be a positive whole number of days, got '" ~ days ~ "'"
        ) }}
    {% endif %}
    {{ return(days | int) }}
{% endmacro %}


{% macro text_collated(text_expr) %}
    {#- Text compared by code point (as Python compares str), whatever the database's collation: the tie rule of
        METRICS.md §10 compares touch_id "as text". -#}
    {{ return(adapter.dispatch("text_collated", "customer_lifecycle")(text_expr)) }}
{% endmacro %}

{% macro default__text_collated(text_expr) %}{{ text_expr }}{% endmacro %}

{% macro postgres__text_collated(text_expr) %}({{ text_expr }} collate "C"){% endmacro %}


{% macro campaign_period_flows(grain, events_relation) %}
{#- The campaign flows of METRICS.md §10 for one grain: one row per period holding at least one campaign event,
    each event counted in the period that contains it (touches by touched_at, attributed reactivations by
    ordered_at, alerts by alert_at). Distinct customers per period: linear in the events. -#}
{%- do validate_grain(grain) -%}
{%- set period_start = truncate_to_grain(grain, "event_at") -%}
select
    '{{ grain }}' as grain,
    {{ period_start }} as period_start,
    cast(count(distinct case when event_type = 'touch' then customer_id end) as {{ dbt.type_bigint() }})
        as touched_customers,
    cast(count(distinct case when event_type = 'touch' and is_flagged then customer_id end) as {{ dbt.type_bigint() }})
        as responding_customers,
    {{ count_where("event_type = 'attributed_reactivation'") }} as attributed_reactivations,
    {{ count_where("event_type = 'churn_alert' and is_flagged") }} as alerts_contacted_in_window,
    {{ count_where("event_type = 'churn_alert' and is_flagged and alert_outcome = 'won_back'") }}
        as contacted_won_back_alerts,
    {{ count_where("event_type = 'churn_alert' and is_flagged and alert_outcome = 'lapsed'") }}
        as contacted_lapsed_alerts,
    {{ count_where("event_type = 'churn_alert' and not is_flagged and alert_outcome = 'won_back'") }}
        as uncontacted_won_back_alerts,
    {{ count_where("event_type = 'churn_alert' and not is_flagged and alert_outcome = 'lapsed'") }}
        as uncontacted_lapsed_alerts
from {{ events_relation }}
group by {{ period_start }}
{%- endmacro %}
