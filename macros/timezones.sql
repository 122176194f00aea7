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
    {% set tz = var("reporting_timezone", "UTC") | string %}
    {% if not modules.re.match("^[A-Za-z0-9_+/-]+$", tz) %}
        {{ exceptions.raise_compiler_error("reporting_timezone must be an IANA zone name such as 'UTC' or 'Asia/Shanghai', got '" ~ tz ~ "'") }}
    {% endif %}
    {{ return("UTC" if tz | upper in ("UTC", "ETC/UTC", "Z") else tz) }}
{% endmacro %}


{% macro days_between(start_expr, end_expr) %}
    {#- Days (with fractions) from one timestamp to a later one: dbt.datediff in seconds / 86,400. -#}
    ({{ dbt.datediff(start_expr, end_expr, "second") }} / 86400.0)
{% endmacro %}
