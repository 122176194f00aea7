{#- Incremental nightly runs (README "Nightly runs"). On DuckDB the per-customer lifecycle tables are incremental:
    each run recomputes only the customers listed in int_customers_changed (delete, then insert, by customer) and
    int_period_flows_aggregated adds their new flows and subtracts their previous ones. Other engines rebuild every
    table (their raw table carries no load numbers). -#}

{% macro incremental_materialization() %}
    {#- 'incremental' on DuckDB, 'table' elsewhere: the materialization of the incremental lifecycle tables. -#}
    {{ return("incremental" if target.type == "duckdb" else "table") }}
{% endmacro %}


{% macro lifecycle_relation(identifier) %}
    {#- The existing relation of a model of this project by name, without a ref (for reading what the previous run
        left, where a ref would be a cycle); none when it does not exist yet. -#}
    {% if not execute or this is none or model.resource_type == "unit_test" %}
        {{ return(none) }}
    {% endif %}
    {{ return(adapter.get_relation(database=this.database, schema=this.schema, identifier=identifier)) }}
{% endmacro %}


{% macro lifecycle_settings_fingerprint() %}
    {#- The vars the incremental tables depend on besides the input and metrics_as_of, as one text: a build with
        other values must rebuild everything (--full-refresh). -#}
    {% set settings = {
        "lifecycle": lifecycle_params(),
        "counted_order_statuses": counted_order_statuses(),
        "orders_timezone": var("orders_timezone", "UTC"),
        "reporting_timezone": var("reporting_timezone", "UTC"),
        "period_grains": period_grains(),
    } %}
    {{ return(settings | tojson) }}
{% endmacro %}


{% macro lifecycle_previous_run() %}
    {#- The last run recorded in int_lifecycle_runs_recorded (run_number, source_load_number, metrics_as_of,
        settings_fingerprint), or none: no such run, a full refresh, or an engine without incremental tables. -#}
    {% if not execute or flags.FULL_REFRESH or incremental_materialization() != "incremental" %}
        {{ return(none) }}
    {% endif %}
    {% set log = lifecycle_relation("int_lifecycle_runs_recorded") %}
    {% if log is none %}
        {{ return(none) }}
    {% endif %}
    {% set result = run_query(
        "select run_number, source_load_number, cast(metrics_as_of as varchar), settings_fingerprint from "
        ~ log ~ " order by run_number desc limit 1"
    ) %}
    {% if result.rows | length == 0 %}
        {{ return(none) }}
    {% endif %}
    {% set row = result.rows[0] %}
    {{ return({
        "run_number": row[0] | int,
        "source_load_number": row[1] | int,
        "metrics_as_of": row[2],
        "settings_fingerprint": row[3],
    }) }}
{% endmacro %}


{% macro lifecycle_run_number() %}
    {#- This run's number: one more than the last recorded run (1 for a full build). -#}
    {% set previous = lifecycle_previous_run() %}
    {{ return(1 if previous is none else previous.run_number + 1) }}
{% endmacro %}


{% macro changed_customers_only(customer_id_column="customer_id") %}
    {#- In an incremental run, a where clause keeping the rows of the customers of int_customers_changed; nothing in
        a full build. The model also declares `-- depends_on: {{ ref('int_customers_changed') }}`. -#}
    {% if is_incremental() %}
    where {{ customer_id_column }} in (select customer_id from {{ ref('int_customers_changed') }})
    {% endif %}
{% endmacro %}


{% macro delete_changed_customers() %}
    {#- The pre-hook of an incremental lifecycle table: delete the rows of the customers about to be recomputed
        (also those who have no rows any more), before the model appends their new rows. -#}
    {% if is_incremental() %}
    delete from {{ this }}
    where customer_id in (select customer_id from {{ ref('int_customers_changed') }})
    {% endif %}
{% endmacro %}


{% macro is_lifecycle_recovery() %}
    {#- True when int_customers_changed lists every customer because the previous run stopped part-way (its
        incremental tables may be ahead of what was recorded): the period flows are then summed again from the
        events instead of corrected by difference. -#}
    {% if not execute or not is_incremental() %}
        {{ return(false) }}
    {% endif %}
    {% set result = run_query(
        "select count(*) from " ~ ref("int_customers_changed") ~ " where change_reason = 'recovery'"
    ) %}
    {{ return(result.rows[0][0] > 0) }}
{% endmacro %}


{% macro delete_unloaded_lines() %}
    {#- Post-hook SQL of base_shop__order_versions in an incremental run: delete the rows of lines the raw table no
        longer holds. The reading layer reads every file again under a new load number when one it has read changed
        or vanished, so such rows are those of a load older than every line of the raw table. -#}
    delete from {{ this }}
    where source_load_number < (
        select min(source_load_number) from {{ raw_source_relation('shop', 'raw_orders', 'orders') }}
    )
{% endmacro %}


{% macro lines_to_parse(raw_relation) %}
    {#- The where clause of the raw lines base_shop__order_versions parses in an incremental run: those of loads it
        has not seen, and the earlier versions of their orders (ranked again with them); none in a full build. -#}
    {% if not execute or not is_incremental() %}
        {{ return(none) }}
    {% endif %}
    {% set loaded = run_query("select coalesce(max(source_load_number), 0) from " ~ this).rows[0][0] %}
    {% set condition %}
    source_load_number > {{ loaded }}
    or (source_file, source_line_number) in (
        select previous.source_file, previous.source_line_number
        from {{ this }} as previous
        where previous.order_id in (
            select nullif(trim(cast(new_lines.order_id as {{ dbt.type_string() }})), '')
            from {{ raw_relation }} as new_lines
            where new_lines.source_load_number > {{ loaded }}
        )
    )
    {% endset %}
    {{ return(condition) }}
{% endmacro %}
