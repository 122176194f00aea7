{#- The raw sources as the reading layer (lifecycle_reading/) leaves them: one row per line of the user's file,
    with source_file, source_line_number, raw_line and malformed_reason, then the contract's columns the file
    carries. These macros turn such a table into text columns in the contract's names. -#}

{% macro raw_order_columns() %}
    {#- The raw orders contract (METRICS.md §1): column -> its value when the file lacks it (required columns
        have none: lifecycle_reading stops the run when one is missing). -#}
    {{ return({
        "order_id": none,
        "customer_id": none,
        "ordered_at": none,
        "status": "'completed'",
        "amount": none,
        "refunded_amount": "null",
        "updated_at": "null",
    }) }}
{% endmacro %}


{% macro raw_source_select(relation, contract_columns) %}
    {#- A select of every raw line of `relation`: its position and raw text, then each contract column as
        trimmed text (empty = NULL) or, when the file has no such column, its documented default. -#}
    {% set present = [] %}
    {% if execute %}
        {% for column in adapter.get_columns_in_relation(relation) %}
            {% do present.append(column.name | lower) %}
        {% endfor %}
        {% if "source_line_number" not in present %}
            {{ exceptions.raise_compiler_error(
                "raw source " ~ relation ~ " was not written by the reading layer (no source_line_number column); "
                ~ "load it with scripts/load_orders.py"
            ) }}
        {% endif %}
    {% else %}
        {% set present = contract_columns.keys() | list %}
    {% endif %}
    select
        source_file,
        source_line_number,
        raw_line,
        malformed_reason,
        {% for column, default in contract_columns.items() -%}
        {%- if column in present -%}
        nullif(trim(cast({{ adapter.quote(column) }} as {{ dbt.type_string() }})), '') as {{ column }}
        {%- elif default is not none -%}
        cast({{ default }} as {{ dbt.type_string() }}) as {{ column }}
        {%- else -%}
        {{ exceptions.raise_compiler_error("raw source " ~ relation ~ " lacks required column " ~ column) }}
        {%- endif -%}
        {{ "," if not loop.last }}
        {% endfor %}
    from {{ relation }}
{% endmacro %}
