{% macro metrics_as_of_literal() %}
    {#- var `metrics_as_of` (a date or an ISO timestamp, offset allowed; no offset = UTC) as a SQL timestamp
        literal in UTC, or none when the var is unset and the default (day after the latest order) applies. -#}
    {% set raw = var("metrics_as_of", none) %}
    {% if raw is none or (raw | string | trim) in ("", "None", "null") %}
        {{ return(none) }}
    {% endif %}
    {% set text = raw | string | trim %}
    {% set iso = "^[0-9]{4}-[0-9]{2}-[0-9]{2}([T ][0-9]{2}:[0-9]{2}(:[0-9]{2}([.][0-9]+)?)?)? *([Zz]|[+-][0-9]{2}(:?[0-9]{2})?)?$" %}
    {% if not modules.re.match(iso, text) %}
        {{ exceptions.raise_compiler_error("metrics_as_of must be an ISO-8601 date or timestamp such as 2025-01-01 or 2025-01-01T08:00:00+08:00, got '" ~ text ~ "'") }}
    {% endif %}
    {{ return(parse_timestamp("'" ~ text ~ "'")) }}
{% endmacro %}
