{% macro to_reporting_timezone(timestamp_expr) %}
    {{ return(adapter.dispatch("to_reporting_timezone", "customer_lifecycle")(timestamp_expr)) }}
{% endmacro %}

{% macro default__to_reporting_timezone(timestamp_expr) %}
    {#- A naive UTC timestamp as wall-clock time in var `reporting_timezone` (identity for UTC). -#}
    {%- set tz = reporting_timezone() -%}
    {%- if tz == "UTC" -%}
        {{ timestamp_expr }}
    {%- else -%}
        (({{ timestamp_expr }}) at time zone 'UTC') at time zone '{{ tz }}'
    {%- endif -%}
{% endmacro %}

{% macro spark__to_reporting_timezone(timestamp_expr) %}
    {%- set tz = reporting_timezone() -%}
    {%- if tz == "UTC" -%}
        {{ timestamp_expr }}
    {%- else -%}
        from_utc_timestamp({{ timestamp_expr }}, '{{ tz }}')
    {%- endif -%}
{% endmacro %}


{% macro reporting_timezone() %}
    {#- var `reporting_timezone`, validated: period boundaries are calendar boundaries in this zone. -#}
    {{ return(validated_timezone("reporting_timezone")) }}
{% endmacro %}


{% macro days_between(start_expr, end_expr) %}
    {{ return(adapter.dispatch("days_between", "customer_lifecycle")(start_expr, end_expr)) }}
{% endmacro %}

{% macro default__days_between(start_expr, end_expr) %}
    {#- Days (with fractions) from one timestamp to a later one: dbt.datediff in seconds / 86,400. -#}
    ({{ dbt.datediff(start_expr, end_expr, "second") }} / 86400.0)
{% endmacro %}

{% macro spark__days_between(start_expr, end_expr) %}
    {#- As a double, as on DuckDB and PostgreSQL: Spark divides by the literal 86400.0 in decimal arithmetic and
        rounds to 6 places. -#}
    (cast({{ dbt.datediff(start_expr, end_expr, "second") }} as double) / 86400)
{% endmacro %}
