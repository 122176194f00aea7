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


{% macro raw_source_select(relation, contract_columns, where=none, with_load_number=false, typed_as_text=true) %}
    {#- A select of every raw line of `relation`: its position and raw text, then each contract column as
        trimmed text (empty = NULL) or, when the file has no such column, its documented default. A typed column
        also comes as `<column>__typed`; with typed_as_text=false, only so (its text is raw_value_text() of it,
        for the rows that need it). -#}
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
    {% set kinds = raw_column_kinds(relation) %}
    select
        source_file,
        source_line_number,
        raw_line,
        malformed_reason,
        {#- the reading layer's load that read the line (DuckDB, README "Nightly runs"); 1 where there is none -#}
        {% if with_load_number and "source_load_number" in present -%}
        source_load_number,
        {% elif with_load_number -%}
        cast(1 as {{ dbt.type_bigint() }}) as source_load_number,
        {% endif -%}
        {% for column, default in contract_columns.items() -%}
        {%- if column in present -%}
        {%- if kinds.get(column, "text") != "text" and not typed_as_text -%}
        {{ adapter.quote(column) }} as {{ column }}__typed
        {%- elif kinds.get(column, "text") != "text" -%}
        {{ adapter.quote(column) }} as {{ column }}__typed,
        {{ raw_value_text(adapter.quote(column)) }} as {{ column }}
        {%- else -%}
        {{ raw_value_text(adapter.quote(column)) }} as {{ column }}
        {%- endif -%}
        {%- elif default is not none -%}
        cast({{ default }} as {{ dbt.type_string() }}) as {{ column }}
        {%- else -%}
        {{ exceptions.raise_compiler_error("raw source " ~ relation ~ " lacks required column " ~ column) }}
        {%- endif -%}
        {{ "," if not loop.last }}
        {% endfor %}
    from {{ relation }}
    {% if where is not none -%}
    where {{ where }}
    {%- endif %}
{% endmacro %}


{% macro raw_value_text(expression) %}
    {#- A raw value as the text the contract's columns hold: trimmed, empty = NULL. -#}
    nullif(trim(cast({{ expression }} as {{ dbt.type_string() }})), '')
{%- endmacro %}


{% macro raw_column_kinds(relation) %}
    {#- Column (lower case) -> the kind of value a raw table holds in it: 'timestamp' (naive), 'timestamptz',
        'date', 'number' (integer, decimal or float) or 'text'. A typed column (Parquet keeps its types) is read as
        it is, not cast to text and parsed back (raw_timestamp_utc, raw_money_value); anything else is text. -#}
    {{ return(adapter.dispatch("raw_column_kinds", "customer_lifecycle")(relation)) }}
{% endmacro %}

{% macro default__raw_column_kinds(relation) %}
    {#- PostgreSQL and Spark: every column is read as text (their loaders write what the reading layer read). -#}
    {{ return({}) }}
{% endmacro %}

{% macro duckdb__raw_column_kinds(relation) %}
    {%- set kinds = {} -%}
    {%- if execute -%}
        {%- for column in adapter.get_columns_in_relation(relation) -%}
            {%- set dtype = column.dtype | lower -%}
            {%- if dtype in ("timestamp with time zone", "timestamptz") -%}
                {%- do kinds.update({column.name | lower: "timestamptz"}) -%}
            {%- elif dtype.startswith("timestamp") or dtype == "datetime" -%}
                {%- do kinds.update({column.name | lower: "timestamp"}) -%}
            {%- elif dtype == "date" -%}
                {%- do kinds.update({column.name | lower: "date"}) -%}
            {%- elif dtype.startswith("decimal") or dtype.startswith("numeric")
                or dtype in ("tinyint", "smallint", "integer", "bigint", "hugeint", "utinyint", "usmallint",
                             "uinteger", "ubigint", "float", "real", "double") -%}
                {%- do kinds.update({column.name | lower: "number"}) -%}
            {%- endif -%}
        {%- endfor -%}
    {%- endif -%}
    {{ return(kinds) }}
{% endmacro %}


{% macro raw_source_relation(source_name, table_name, contract) %}
    {#- The relation a base model reads a raw source from: the declared source, except on Spark when var
        `<contract>_path` names a file to read directly. -#}
    {{ return(adapter.dispatch("raw_source_relation", "customer_lifecycle")(source_name, table_name, contract)) }}
{% endmacro %}

{% macro default__raw_source_relation(source_name, table_name, contract) %}
    {#- DuckDB: the dbt-duckdb plugin (re)loads the source from var `<contract>_path` itself; PostgreSQL: the
        source as scripts/load_orders.py loaded it. -#}
    {{ return(source(source_name, table_name)) }}
{% endmacro %}

{% macro spark__raw_source_relation(source_name, table_name, contract) %}
    {#- With var `<contract>_path` set, the file is read through the reading layer's Spark data source
        (lifecycle_reading/spark_source.py: the same Python reader, encodings, column map and line numbers as on
        DuckDB) into the table `<table_name>__file` of the model's schema when the model is compiled, as
        dbt-duckdb's plugin loads a source; the declared source table is left as it is. Without the var: the
        declared source, as scripts/load_orders.py loaded it. -#}
    {%- set declared = source(source_name, table_name) -%}
    {%- set path = var(contract ~ "_path", none) -%}
    {%- if path is none or (path | string | trim | lower) in ("", "none", "null") -%}
        {{ return(declared) }}
    {%- endif -%}
    {%- set relation = api.Relation.create(schema=this.schema, identifier=table_name ~ "__file", type="table") -%}
    {%- if execute -%}
        {%- set view = table_name ~ "__file_read" -%}
        {%- set options = {
            "contract": contract,
            "path": path | string | trim,
            "columns": var(contract ~ "_columns", {}) | tojson,
            "encoding": var(contract ~ "_encoding", "utf-8") | string,
        } -%}
        {%- set rendered = [] -%}
        {%- for name, value in options.items() -%}
            {%- do rendered.append(name ~ " " ~ spark_string_literal(value)) -%}
        {%- endfor -%}
        {%- do log("Reading raw " ~ contract ~ " into " ~ relation ~ " from " ~ options.path, info=true) -%}
        {%- do run_query("create schema if not exists " ~ relation.schema) -%}
        {%- do run_query(
            "create or replace temporary view " ~ view ~ " using lifecycle_reading options ("
            ~ rendered | join(", ") ~ ")"
        ) -%}
        {%- do run_query("drop table if exists " ~ relation) -%}
        {%- do run_query("create table " ~ relation ~ " using parquet as select * from " ~ view) -%}
    {%- endif -%}
    {{ return(relation) }}
{% endmacro %}
