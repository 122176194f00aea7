{% macro lifecycle_params() %}
    {#- The lifecycle vars of METRICS.md §2, checked once: a bad value stops the run with one clear line. -#}
    {% set params = {
        "dormancy_days": var("lifecycle_dormancy_days", 90),
        "at_risk_days": var("lifecycle_at_risk_days", 60),
        "new_days": var("lifecycle_new_days", 30),
        "response_hours": var("churn_alert_response_hours", 72),
    } %}
    {% for name, value in params.items() %}
        {% if value is not number or value <= 0 or value != value | int %}
            {{ exceptions.raise_compiler_error("lifecycle var for " ~ name ~ " must be a positive whole number, got '" ~ value ~ "'") }}
        {% endif %}
    {% endfor %}
    {% if params.at_risk_days >= params.dormancy_days %}
        {{ exceptions.raise_compiler_error(
            "lifecycle_at_risk_days (" ~ params.at_risk_days ~ ") must be less than lifecycle_dormancy_days ("
            ~ params.dormancy_days ~ ")"
        ) }}
    {% endif %}
    {{ return(params) }}
{% endmacro %}


{% macro counted_order_statuses() %}
    {#- var `counted_order_statuses` as a SQL list of trimmed, lower-case string literals. -#}
    {% set statuses = var("counted_order_statuses", ["completed", "paid", "shipped", "delivered"]) %}
    {% if statuses is string %}
        {% set statuses = statuses.split(",") %}
    {% endif %}
    {% if statuses | length == 0 %}
        {{ exceptions.raise_compiler_error("counted_order_statuses must name at least one status") }}
    {% endif %}
    {% set quoted = [] %}
    {% for status in statuses %}
        {% do quoted.append("'" ~ dbt.escape_single_quotes(status | string | trim | lower) ~ "'") %}
    {% endfor %}
    {{ return("(" ~ quoted | join(", ") ~ ")") }}
{% endmacro %}


{% macro customer_value_params() %}
    {#- The vars of the value tiers of dim_customers, checked once. -#}
    {% set params = {
        "high_share": var("value_tier_high_share", 0.2),
        "medium_share": var("value_tier_medium_share", 0.3),
    } %}
    {% if params.high_share is not number or params.medium_share is not number
        or params.high_share <= 0 or params.medium_share < 0 or params.high_share + params.medium_share > 1 %}
        {{ exceptions.raise_compiler_error(
            "value_tier_high_share and value_tier_medium_share must be fractions with 0 < high and high + medium <= 1, got "
            ~ params.high_share ~ " and " ~ params.medium_share
        ) }}
    {% endif %}
    {{ return(params) }}
{% endmacro %}
