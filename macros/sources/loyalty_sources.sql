{#- The optional loyalty sources (METRICS.md §9): their contracts, and how a base model reads a source that may hold
    no data at all. -#}

{% macro raw_loyalty_member_columns() %}
    {#- The raw members contract: column -> its value when the file lacks it (none: required). -#}
    {{ return({"customer_id": none, "enrolled_at": none, "left_at": "null"}) }}
{% endmacro %}


{% macro raw_loyalty_event_columns() %}
    {#- The raw point-events contract: every column is required. -#}
    {{ return({"event_id": none, "customer_id": none, "occurred_at": none, "event_type": none, "points": none}) }}
{% endmacro %}


{% macro optional_raw_source_select(source_name, table_name, contract, contract_columns) %}
    {#- raw_source_select() of an optional source. Without data: on DuckDB the reading layer's plugin loads an
        empty table; other engines select no row of the same columns, reading nothing (no table needs to exist). -#}
    {#- dbt-duckdb loads a plugin's source when source() runs with its connection open. Compiled outside a
        command that runs models (`dbt compile`, sqlfluff's templater), this model must not trigger that load,
        which there leaves the orders source unloaded: it compiles as no data. -#}
    {% set compiles_only = target.type == "duckdb" and execute
        and flags.WHICH not in ("build", "run", "show", "generate") %}
    {% if compiles_only or (target.type != "duckdb" and not optional_source_has_data(contract)) %}
    select
        cast(null as {{ dbt.type_string() }}) as source_file,
        cast(null as {{ dbt.type_bigint() }}) as source_line_number,
        cast(null as {{ dbt.type_string() }}) as raw_line,
        cast(null as {{ dbt.type_string() }}) as malformed_reason,
        {% for column in contract_columns -%}
        cast(null as {{ dbt.type_string() }}) as {{ column }}{{ "," if not loop.last }}
        {% endfor -%}
    from (select 1 as one) as no_source
    where 1 = 0
    {% else %}
    {{ raw_source_select(raw_source_relation(source_name, table_name, contract), contract_columns) }}
    {% endif %}
{% endmacro %}
