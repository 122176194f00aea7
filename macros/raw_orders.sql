{#- Where raw orders come from: the bundled demo seed, or the user's file named by var `orders_path`. -#}

{% macro raw_order_columns() %}
    {#- The raw orders contract (METRICS.md §1): column name -> required. -#}
    {{ return({
        "order_id": true,
        "customer_id": true,
        "ordered_at": true,
        "status": false,
        "amount": true,
        "refunded_amount": false,
        "updated_at": false,
    }) }}
{% endmacro %}


{% macro orders_path() %}
    {% set path = var("orders_path", none) %}
    {% if path is none or (path | string | trim) in ("", "None", "null") %}
        {{ return(none) }}
    {% endif %}
    {% set path = path | string | trim %}
    {% if not (path | lower).endswith((".csv", ".csv.gz", ".parquet")) %}
        {{ exceptions.raise_compiler_error("orders_path must name a .csv, .csv.gz or .parquet file, got '" ~ path ~ "'") }}
    {% endif %}
    {% if "'" in path %}
        {{ exceptions.raise_compiler_error("orders_path must not contain a single quote: '" ~ path ~ "'") }}
    {% endif %}
    {{ return(path) }}
{% endmacro %}


{% macro raw_orders_file_scan(path) %}
    {{ return(adapter.dispatch("raw_orders_file_scan", "customer_lifecycle")(path)) }}
{% endmacro %}

{% macro default__raw_orders_file_scan(path) %}
    {{ exceptions.raise_compiler_error(
        "orders_path is supported on duckdb and spark targets; on " ~ target.type
        ~ " load the file into the raw_orders seed table instead"
    ) }}
{% endmacro %}

{% macro duckdb__raw_orders_file_scan(path) %}
    {%- if (path | lower).endswith(".parquet") -%}
        read_parquet('{{ path }}', file_row_number = true)
    {%- else -%}
        read_csv('{{ path }}', header = true, all_varchar = true)
    {%- endif -%}
{% endmacro %}

{% macro spark__raw_orders_file_scan(path) %}
    {%- if (path | lower).endswith(".parquet") -%}
        parquet.`{{ path }}`
    {%- else -%}
        csv.`{{ path }}`
    {%- endif -%}
{% endmacro %}


{% macro raw_orders_input() %}
    {#- A select of every raw order row as text, in the contract's column names, with its position in the input
        (`source_row_number`, for "the later row wins" ties). Missing optional columns get their documented
        defaults; a missing required column stops the run with one clear line. -#}
    {% set path = orders_path() %}
    {% if path is none %}
        {% set relation = ref("raw_orders") %}
        {% set from_clause = relation %}
    {% else %}
        {% set from_clause = raw_orders_file_scan(path) %}
    {% endif %}

    {% set present = [] %}
    {% if execute %}
        {% if path is none %}
            {#- Before `dbt seed` has loaded the demo data (e.g. `dbt compile`), assume the contract's columns. -#}
            {% if adapter.get_relation(relation.database, relation.schema, relation.identifier) is none %}
                {% set columns = raw_order_columns().keys() | list %}
            {% else %}
                {% set columns = adapter.get_columns_in_relation(relation) | map(attribute="name") | list %}
            {% endif %}
        {% else %}
            {% set columns = run_query("select * from " ~ from_clause ~ " limit 0").column_names %}
        {% endif %}
        {% for column in columns %}
            {% do present.append(column | lower) %}
        {% endfor %}
        {% set missing = [] %}
        {% for column, required in raw_order_columns().items() %}
            {% if required and column not in present %}
                {% do missing.append(column) %}
            {% endif %}
        {% endfor %}
        {% if missing %}
            {{ exceptions.raise_compiler_error(
                "raw orders input " ~ (path or "seed raw_orders") ~ " lacks required column(s): " ~ missing | join(", ")
            ) }}
        {% endif %}
    {% else %}
        {% for column in raw_order_columns() %}
            {% do present.append(column) %}
        {% endfor %}
    {% endif %}

    {%- set defaults = {"status": "'completed'", "refunded_amount": "null", "updated_at": "null"} -%}
    select
        {% for column in raw_order_columns() -%}
        {%- if column in present -%}
        cast({{ adapter.quote(column) }} as {{ dbt.type_string() }}) as {{ column }},
        {% else -%}
        cast({{ defaults[column] }} as {{ dbt.type_string() }}) as {{ column }},
        {% endif -%}
        {%- endfor -%}
        {{ source_row_number(path) }} as source_row_number
    from {{ from_clause }}
{% endmacro %}


{% macro source_row_number(path) %}
    {{ return(adapter.dispatch("source_row_number", "customer_lifecycle")(path)) }}
{% endmacro %}

{% macro default__source_row_number(path) %}
    {#- 1-based position of a raw row in its input, for "on a tie the later row wins". DuckDB scans a CSV or a
        table in insertion order; Parquet has an explicit file_row_number. -#}
    {%- if path is not none and (path | lower).endswith(".parquet") -%}
        file_row_number + 1
    {%- else -%}
        row_number() over ()
    {%- endif -%}
{% endmacro %}

{% macro postgres__source_row_number(path) %}
    {#- A table has no file order. ctid (the physical position) is the load order for most loads, not all: on
        PostgreSQL give each version of an order a distinct updated_at rather than rely on row order. -#}
    row_number() over (order by ctid)
{% endmacro %}

{% macro spark__source_row_number(path) %}
    row_number() over (order by monotonically_increasing_id())
{% endmacro %}
