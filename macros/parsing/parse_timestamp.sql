{#- Timestamps as shops export them (METRICS.md §1, README "Bad input"): text in, a naive UTC timestamp out, or
    NULL for anything else, never an error, so that staging rejects the row with a reason. -#}

{% macro timestamp_text_pattern() %}
    {#- Every accepted spelling, and nothing else:
        - a date with `-` or `/` separators (the same one twice), month and day with one or two digits;
        - optionally a time after `T` or a space: hour with one or two digits, minutes, optional seconds with an
          optional fraction;
        - after a time, optionally an offset `Z`, `+08`, `+08:00` or `+0800` (a space before it is allowed).
        Impossible dates (month 13, 30 February) pass this pattern and are caught by the cast. -#}
    {{ return(
        "^[0-9]{4}(-[0-9]{1,2}-|/[0-9]{1,2}/)[0-9]{1,2}"
        ~ "([T ]([01]?[0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9]([.][0-9]+)?)?"
        ~ "( ?([Zz]|[+-]([01][0-9]|2[0-3])(:?[0-5][0-9])?))?)?$"
    ) }}
{% endmacro %}


{% macro timestamp_offset_suffix_pattern() %}
    {#- The offset at the end of an accepted timestamp (used to tell local times from instants). -#}
    {{ return("([Zz]|[+-][0-9]{2}(:?[0-9]{2})?)$") }}
{% endmacro %}


{% macro parse_timestamp(text_expr, timezone="UTC") %}
    {#- `text_expr` (trimmed text) as a naive UTC timestamp. A time without an offset is wall-clock time in
        `timezone` (an IANA name, validated by the caller); an explicit offset always wins. -#}
    {{ return(adapter.dispatch("parse_timestamp", "customer_lifecycle")(text_expr, timezone)) }}
{% endmacro %}

{% macro default__parse_timestamp(text_expr, timezone) %}
    {%- set canonical = "replace(replace(" ~ text_expr ~ ", '/', '-'), 'T', ' ')" -%}
    {%- set squeezed = "replace(regexp_replace(" ~ canonical ~ ", ' ([Zz+-])', '\\1'), 'z', 'Z')" -%}
    case
        when not regexp_matches({{ text_expr }}, '{{ timestamp_text_pattern() }}') then null
        when regexp_matches({{ text_expr }}, '[0-9] ?{{ timestamp_offset_suffix_pattern() }}')
            and regexp_matches({{ text_expr }}, ':[0-9]{2}')
            then timezone('UTC', try_cast({{ squeezed }} as timestamptz))
        {% if timezone == "UTC" -%}
        else try_cast({{ canonical }} as timestamp)
        {%- else -%}
        else timezone('UTC', timezone('{{ timezone }}', try_cast({{ canonical }} as timestamp)))
        {%- endif %}
    end
{% endmacro %}

{% macro postgres__parse_timestamp(text_expr, timezone) %}
    {#- PostgreSQL casts raise on impossible dates, so the date is checked before the cast. -#}
    {%- set year = "cast(substring(" ~ text_expr ~ " from '^([0-9]{4})') as integer)" -%}
    {%- set month = "cast(substring(" ~ text_expr ~ " from '^[0-9]{4}[-/]([0-9]{1,2})') as integer)" -%}
    {%- set day = "cast(substring(" ~ text_expr ~ " from '^[0-9]{4}[-/][0-9]{1,2}[-/]([0-9]{1,2})') as integer)" -%}
    {%- set canonical = "replace(replace(" ~ text_expr ~ ", '/', '-'), 'T', ' ')" -%}
    case
        when not {{ text_expr }} ~ '{{ timestamp_text_pattern() }}' then null
        when {{ month }} not between 1 and 12 then null
        when {{ day }} < 1
            or {{ day }} > extract(day from make_date({{ year }}, {{ month }}, 1) + interval '1 month - 1 day')
            then null
        when {{ text_expr }} ~ '[0-9] ?{{ timestamp_offset_suffix_pattern() }}' and {{ text_expr }} ~ ':[0-9]{2}'
            then cast({{ canonical }} as timestamptz) at time zone 'UTC'
        else cast({{ canonical }} as timestamp) at time zone '{{ timezone }}' at time zone 'UTC'
    end
{% endmacro %}

{% macro spark__parse_timestamp(text_expr, timezone) %}
    {#- Spark's cast reads every accepted spelling once `/` and `T` are replaced (one-digit fields, fractions,
        offsets Z, +08, +08:00, +0800) and returns NULL for impossible dates, in this session's time zone (UTC,
        profiles.yml). As on DuckDB, an explicit offset wins; only a time without one is read in `timezone`. -#}
    {%- set canonical = "replace(replace(" ~ text_expr ~ ", '/', '-'), 'T', ' ')" -%}
    {%- set squeezed = "upper(regexp_replace(" ~ canonical ~ ", ' ([Zz+-])', '$1'))" -%}
    case
        when not {{ text_expr }} rlike '{{ timestamp_text_pattern() }}' then null
        when {{ text_expr }} rlike '[0-9] ?{{ timestamp_offset_suffix_pattern() }}'
            and {{ text_expr }} rlike ':[0-9]{2}'
            then try_cast({{ squeezed }} as timestamp)
        {% if timezone == "UTC" -%}
        else try_cast({{ canonical }} as timestamp)
        {%- else -%}
        else to_utc_timestamp(try_cast({{ canonical }} as timestamp), '{{ timezone }}')
        {%- endif %}
    end
{% endmacro %}
