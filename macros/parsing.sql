{#- Safe parsing of raw text: every macro returns NULL for text it cannot read, never an error,
    so that staging can reject the row with a reason instead of failing the run. -#}

{% macro timestamp_offset_pattern() %}
    {#- ISO-8601 text that carries a UTC offset ("Z", "+08:00", "-0500") after a time of day. -#}
    {{ return("[T ][0-9]{2}:[0-9]{2}(:[0-9]{2}([.][0-9]+)?)? *([Zz]|[+-][0-9]{2}(:?[0-9]{2})?)$") }}
{% endmacro %}


{% macro parse_timestamp_utc(text_expr) %}
    {{ return(adapter.dispatch("parse_timestamp_utc", "customer_lifecycle")(text_expr)) }}
{% endmacro %}

{% macro default__parse_timestamp_utc(text_expr) %}
    {#- ISO-8601 text (date, or date and time, with or without an offset; no offset = UTC)
        as a naive UTC timestamp. -#}
    case
        when regexp_matches(trim({{ text_expr }}), '{{ timestamp_offset_pattern() }}')
            then timezone('UTC', try_cast(trim({{ text_expr }}) as timestamptz))
        else try_cast(trim({{ text_expr }}) as timestamp)
    end
{% endmacro %}

{% macro postgres__parse_timestamp_utc(text_expr) %}
    case
        when trim({{ text_expr }}) ~ '^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])([T ]([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9]([.][0-9]+)?)?)? *([Zz]|[+-][0-9]{2}(:?[0-9]{2})?)?$'
            then (trim({{ text_expr }})::timestamptz at time zone 'UTC')
    end
{% endmacro %}

{% macro spark__parse_timestamp_utc(text_expr) %}
    {#- Spark sessions run with spark.sql.session.timeZone = UTC (see profiles.yml). -#}
    try_cast(trim({{ text_expr }}) as timestamp)
{% endmacro %}


{% macro parse_decimal(text_expr) %}
    {{ return(adapter.dispatch("parse_decimal", "customer_lifecycle")(text_expr)) }}
{% endmacro %}

{% macro default__parse_decimal(text_expr) %}
    try_cast(trim({{ text_expr }}) as {{ money_type() }})
{% endmacro %}

{% macro postgres__parse_decimal(text_expr) %}
    case
        when trim({{ text_expr }}) ~ '^[+-]?([0-9]+([.][0-9]*)?|[.][0-9]+)$'
            then cast(trim({{ text_expr }}) as {{ money_type() }})
    end
{% endmacro %}


{% macro money_type() %}
    {{ return("decimal(18, 4)") }}
{% endmacro %}


{% macro metrics_as_of_literal() %}
    {#- var `metrics_as_of` (a date or an ISO timestamp, offset allowed) as a SQL timestamp literal in UTC,
        or none when the var is unset and the default (day after the latest order) applies. -#}
    {% set raw = var("metrics_as_of", none) %}
    {% if raw is none or (raw | string | trim) in ("", "None", "null") %}
        {{ return(none) }}
    {% endif %}
    {% set text = raw | string | trim %}
    {% set iso = "^[0-9]{4}-[0-9]{2}-[0-9]{2}([T ][0-9]{2}:[0-9]{2}(:[0-9]{2}([.][0-9]+)?)?)? *([Zz]|[+-][0-9]{2}(:?[0-9]{2})?)?$" %}
    {% if not modules.re.match(iso, text) %}
        {{ exceptions.raise_compiler_error("metrics_as_of must be an ISO-8601 date or timestamp such as 2025-01-01 or 2025-01-01T08:00:00+08:00, got '" ~ text ~ "'") }}
    {% endif %}
    {{ return(parse_timestamp_utc("'" ~ text ~ "'")) }}
{% endmacro %}
