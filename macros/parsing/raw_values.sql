{#- A raw column's value whatever the file gave: typed columns (Parquet keeps its types) are used as they are,
    text is parsed (parse_timestamp, parse_decimal). `kind` comes from raw_column_kinds(); raw_source_select names
    the typed value `<column>__typed` and the text `<column>`. -#}

{% macro raw_timestamp_utc(column, kind, timezone="UTC") %}
    {#- The column as a naive UTC timestamp, or NULL when its text does not parse. A naive timestamp or a date is
        wall-clock time in `timezone`; a timestamp with time zone is an instant. -#}
    {%- set typed = column ~ "__typed" -%}
    {%- if kind == "text" -%}
        {{ parse_timestamp(column, timezone) }}
    {%- elif kind == "timestamptz" -%}
        timezone('UTC', {{ typed }})
    {%- elif kind in ("timestamp", "date") -%}
        {%- if timezone == "UTC" -%}
            cast({{ typed }} as timestamp)
        {%- else -%}
            timezone('UTC', timezone('{{ timezone }}', cast({{ typed }} as timestamp)))
        {%- endif -%}
    {%- else -%}
        {{ exceptions.raise_compiler_error(
            "raw column " ~ column ~ " holds " ~ kind ~ " values, not timestamps: map a timestamp column onto it"
        ) }}
    {%- endif -%}
{% endmacro %}


{% macro raw_money_value(column, kind) %}
    {#- The column as money_type(), or NULL when it is not an accepted amount (raw_money_rejection says why). -#}
    {%- if kind == "text" -%}
        {{ parse_decimal(decimal_text_cleaned(column)) }}
    {%- elif kind == "number" -%}
        case
            when isfinite(cast({{ column }}__typed as double)) and abs(cast({{ column }}__typed as double)) < 1e14
                then cast({{ column }}__typed as {{ money_type() }})
        end
    {%- else -%}
        {{ exceptions.raise_compiler_error(
            "raw column " ~ column ~ " holds " ~ kind ~ " values, not amounts: map a number or text column onto it"
        ) }}
    {%- endif -%}
{% endmacro %}


{% macro raw_money_rejection(column, kind, column_name) %}
    {#- Why a present value of the column is not an accepted amount ("unparseable <name>", "<name> out of
        range"), or NULL when it is. -#}
    {%- if kind == "text" -%}
        {{ decimal_rejection(decimal_text_cleaned(column), column_name) }}
    {%- else -%}
        case
            when not isfinite(cast({{ column }}__typed as double)) then 'unparseable {{ column_name }}'
            when abs(cast({{ column }}__typed as double)) >= 1e14 then '{{ column_name }} out of range'
        end
    {%- endif -%}
{% endmacro %}


{% macro raw_value_column(column, kind) %}
    {#- The column of raw_source_select(typed_as_text=false) that holds the raw value: `<column>__typed` for a typed
        column, else the text. -#}
    {{- column ~ "__typed" if kind != "text" else column -}}
{% endmacro %}


{% macro raw_text_where(column, kind, condition) %}
    {#- The raw text of the column (raw_source_select with typed_as_text=false): the text itself for a text column;
        for a typed one, its value cast to text only on the rows where `condition` holds (NULL elsewhere), since
        casting every timestamp and amount of a large Parquet file to text costs more than the rest of its
        parse. -#}
    {%- if kind == "text" -%}
        {{ column }}
    {%- else -%}
        case when {{ condition }} then {{ raw_value_text(column ~ "__typed") }} end
    {%- endif -%}
{% endmacro %}
