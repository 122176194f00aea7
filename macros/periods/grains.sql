{#- Period logic shared by every mart: one definition of each grain, reused for all of them. -#}

{% macro supported_grains() %}
    {{ return(["day", "week", "month", "quarter", "year"]) }}
{% endmacro %}


{% macro validate_grain(grain) %}
    {% if grain not in supported_grains() %}
        {{ exceptions.raise_compiler_error(
            "Unknown grain '" ~ grain ~ "': expected one of " ~ supported_grains() | join(", ")
        ) }}
    {% endif %}
    {{ return(grain) }}
{% endmacro %}


{% macro grains_var(name, default) %}
    {#- A var naming grains (one grain or a list), each validated; stops on an empty list. -#}
    {% set grains = var(name, default) %}
    {% if grains is string %}
        {% set grains = [grains] %}
    {% endif %}
    {% if grains is none or grains | length == 0 %}
        {{ exceptions.raise_compiler_error(name ~ " must name at least one grain") }}
    {% endif %}
    {% for grain in grains %}
        {% do validate_grain(grain) %}
    {% endfor %}
    {{ return(grains) }}
{% endmacro %}


{% macro lifecycle_grains() %}
    {#- The grains every period metric is published at (var `lifecycle_grains`), validated. -#}
    {{ return(grains_var("lifecycle_grains", supported_grains())) }}
{% endmacro %}


{% macro cohort_grains() %}
    {#- The grains fct_cohort_retention is published at (var `cohort_grains`), validated. -#}
    {{ return(grains_var("cohort_grains", ["week", "month", "quarter"])) }}
{% endmacro %}


{% macro period_grains() %}
    {#- The grains the period pieces (int_periods_spined, int_period_flows_aggregated,
        int_period_stocks_accumulated) are built at: those of var `lifecycle_grains`, and day, which the semantic
        layer's daily fact reads whatever that var says. In the order of supported_grains(). -#}
    {% set wanted = lifecycle_grains() %}
    {% set grains = [] %}
    {% for grain in supported_grains() %}
        {% if grain in wanted or grain == "day" %}
            {% do grains.append(grain) %}
        {% endif %}
    {% endfor %}
    {{ return(grains) }}
{% endmacro %}


{% macro grain_step(grain) %}
    {#- A grain as a whole number of a unit every engine can add: weeks are 7 days, quarters 3 months. -#}
    {% set steps = {
        "day": ("day", 1),
        "week": ("day", 7),
        "month": ("month", 1),
        "quarter": ("month", 3),
        "year": ("month", 12),
    } %}
    {{ return(steps[validate_grain(grain)]) }}
{% endmacro %}


{% macro truncate_to_grain(grain, timestamp_expr) %}
    {{ return(adapter.dispatch("truncate_to_grain", "customer_lifecycle")(grain, timestamp_expr)) }}
{% endmacro %}

{% macro default__truncate_to_grain(grain, timestamp_expr) %}
    {#- The calendar period (as the date it starts on) holding a UTC instant, in `reporting_timezone`.
        Weeks are ISO weeks starting on Monday. -#}
    cast({{ dbt.date_trunc(validate_grain(grain), to_reporting_timezone(timestamp_expr)) }} as date)
{% endmacro %}


{% macro truncate_date_to_grain(grain, date_expr) %}
    {#- The start date of the calendar period holding a date (a reporting-timezone day, such as one of
        truncate_to_grain('day', ...)): for every grain, the period of an instant is the period of its day. -#}
    {%- if validate_grain(grain) == "day" -%}
    {{ date_expr }}
    {%- else -%}
    cast({{ dbt.date_trunc(grain, "cast(" ~ date_expr ~ " as " ~ dbt.type_timestamp() ~ ")") }} as date)
    {%- endif -%}
{% endmacro %}


{% macro is_first_in_period(grain, previous_expr, current_expr, are_dates=false) %}
    {#- SQL true when the current instant is the first of its kind in its period of a grain: there is no previous
        one, or the previous one lies in an earlier period. How a customer is counted once per period with a sum
        instead of count(distinct). Instants are UTC timestamps (truncate_to_grain), or with are_dates reporting-
        timezone days (truncate_date_to_grain). -#}
    {%- set truncate = truncate_date_to_grain if are_dates else truncate_to_grain -%}
    ({{ previous_expr }} is null or {{ truncate(grain, previous_expr) }} < {{ truncate(grain, current_expr) }})
{%- endmacro %}


{% macro add_periods(grain, number_expr, date_expr) %}
    {{ return(adapter.dispatch("add_periods", "customer_lifecycle")(grain, number_expr, date_expr)) }}
{% endmacro %}

{% macro default__add_periods(grain, number_expr, date_expr) %}
    {%- set unit, step = grain_step(grain) -%}
    cast({{ dbt.dateadd(unit, "(" ~ number_expr ~ ") * " ~ step, date_expr) }} as date)
{% endmacro %}


{% macro periods_between(grain, start_date_expr, end_date_expr) %}
    {{ return(adapter.dispatch("periods_between", "customer_lifecycle")(grain, start_date_expr, end_date_expr)) }}
{% endmacro %}

{% macro default__periods_between(grain, start_date_expr, end_date_expr) %}
    {#- Whole periods from one period start to a later one (both already truncated to the grain). -#}
    {%- set unit, step = grain_step(grain) -%}
    cast({{ dbt.datediff(start_date_expr, end_date_expr, unit) }} / {{ step }} as integer)
{% endmacro %}

{% macro spark__periods_between(grain, start_date_expr, end_date_expr) %}
    {#- dbt-spark's datediff is two case expressions added without parentheses, so a division applies to the
        second only. Both arguments are period starts: whole days, or whole months counted from year and month. -#}
    {%- set unit, step = grain_step(grain) -%}
    {%- if unit == "day" -%}
    cast(datediff({{ end_date_expr }}, {{ start_date_expr }}) div {{ step }} as int)
    {%- else -%}
    cast(
        (
            (year({{ end_date_expr }}) * 12 + month({{ end_date_expr }}))
            - (year({{ start_date_expr }}) * 12 + month({{ start_date_expr }}))
        ) div {{ step }} as int
    )
    {%- endif -%}
{% endmacro %}


{% macro periods_starting_before(grain, first_period_start_expr, instant_expr) %}
    {#- SQL for the number of periods, from the one starting at first_period_start, that start before a UTC
        instant (for metrics_as_of: the periods that are published). -#}
    {%- set instant_period_start = truncate_to_grain(grain, instant_expr) -%}
    {{ periods_between(grain, first_period_start_expr, instant_period_start) }}
    + case
        when cast({{ instant_period_start }} as {{ dbt.type_timestamp() }}) < {{ to_reporting_timezone(instant_expr) }}
            then 1
        else 0
    end
{% endmacro %}
