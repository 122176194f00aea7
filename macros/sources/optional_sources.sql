{#- Optional sources (METRICS.md §9, §10; README "Optional sources"): var `<contract>_path` unset means the bundled
    demo file when `orders_path` is also unset (the demo), otherwise no such data; with no data the models build
    empty (zero rows, same columns) and nothing else changes. -#}

{% macro is_unset_path(value) %}
    {{ return(value is none or (value | string | trim | lower) in ("", "none", "null")) }}
{% endmacro %}


{% macro optional_source_path(contract) %}
    {#- The path meta of an optional source for the reading layer: the file(s) of var `<contract>_path`; '' (the
        bundled demo file) when neither it nor `orders_path` is set; 'no data' (an empty table) otherwise. -#}
    {% set path = var(contract ~ "_path", none) %}
    {% if not is_unset_path(path) %}
        {{ return(path | string | trim) }}
    {% elif is_unset_path(var("orders_path", none)) %}
        {{ return("") }}
    {% endif %}
    {{ return("no data") }}
{% endmacro %}


{% macro optional_source_has_data(contract) %}
    {#- False when the optional source has no data by the rule above (the models then select zero rows without
        reading it: on PostgreSQL and Spark its table need not exist). -#}
    {{ return(optional_source_path(contract) != "no data") }}
{% endmacro %}


{% macro raw_campaign_touch_columns() %}
    {#- The raw campaign touches contract (METRICS.md §10): column -> its value when the file lacks it. -#}
    {{ return({
        "touch_id": none,
        "campaign_id": none,
        "customer_id": none,
        "touched_at": none,
        "channel": "null",
        "is_control": "null",
        "cost": "null",
    }) }}
{% endmacro %}


{% macro empty_raw_source_select(contract_columns) %}
    {#- The select of raw_source_select with zero rows: an optional source without data. -#}
    select
        cast(null as {{ dbt.type_string() }}) as source_file,
        cast(null as {{ dbt.type_bigint() }}) as source_line_number,
        cast(null as {{ dbt.type_string() }}) as raw_line,
        cast(null as {{ dbt.type_string() }}) as malformed_reason,
        {% for column in contract_columns -%}
        cast(null as {{ dbt.type_string() }}) as {{ column }}{{ "," if not loop.last }}
        {% endfor -%}
    where 1 = 0
{% endmacro %}
