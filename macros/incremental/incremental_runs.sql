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


{% macro changed_customers_only(customer_id_column="customer_id", batched=false) %}
    {#- In an incremental run, a where clause keeping the rows of the customers of int_customers_changed; nothing in
        a full build. The model also declares `-- depends_on: {{ ref('int_customers_changed') }}`.
        batched=true (per-customer tables whose post-hook is insert_customer_batches()): when customer_batch_count()
        is above one, also keep the first batch of customers only; the post-hook inserts the others. -#}
    {% set conditions = [] %}
    {% if is_incremental() %}
        {% do conditions.append(
            customer_id_column ~ " in (select customer_id from " ~ ref("int_customers_changed") ~ ")"
        ) %}
    {% endif %}
    {% if batched %}
        {% set batches = customer_batch_count() %}
        {% if batches > 1 %}
            {% do conditions.append(
                "hash(" ~ customer_id_column ~ ") % " ~ batches ~ " = 0 " ~ customer_batch_marker()
            ) %}
        {% endif %}
    {% endif %}
    {% if conditions %}
    where {{ conditions | join("\n        and ") }}
    {% endif %}
{% endmacro %}


{% macro changed_customers_cte(inlined_in_full_build=false) %}
    {#- The keyword between `as` and the body of an import CTE that changed_customers_only() filters and that the
        model joins or unions with others: materialized_cte() in an incremental run of a few customers (not a
        recovery), so that their rows are selected before any join. DuckDB may otherwise plan the filter after a
        join of the whole tables, when it underestimates that join: at 10M customers the state timeline's select of
        a nightly run took 7.7 to 8.3 s that way, 3.0 to 3.5 s with its two imports materialised. In a full build
        (or a recovery) nothing, or inlined_cte() when inlined_in_full_build (a CTE read twice over every row). -#}
    {% if recomputes_changed_customers_only() %}
        {{ return(materialized_cte()) }}
    {% endif %}
    {{ return(inlined_cte() if inlined_in_full_build else "") }}
{% endmacro %}


{% macro customer_batch_marker() %}
    {#- The comment that follows the batch number in a batched model's SQL, where insert_customer_batches() puts
        the number of each further batch. -#}
    {{ return("/* customer batch */") }}
{% endmacro %}


{% macro customer_batch_count() %}
    {#- How many passes, each over one hash bucket of the customers, a per-customer lifecycle table is built in on
        DuckDB: one per `customer_batch_orders` rows of base_shop__order_versions (default 10,000,000), at least
        one. Window functions over every customer's history at once outgrow a 3 GB memory limit at ~40M orders;
        a pass over a bucket does not, and the cost stays linear in orders. Only for a full build or a recovery run
        (every customer); other incremental runs recompute few customers, in one pass. One everywhere else. -#}
    {% if not execute or model.resource_type == "unit_test" or incremental_materialization() != "incremental" %}
        {{ return(1) }}
    {% endif %}
    {% if recomputes_changed_customers_only() %}
        {{ return(1) }}
    {% endif %}
    {% set per_batch = var("customer_batch_orders", 10000000) %}
    {% if per_batch is not number or per_batch < 1 %}
        {{ exceptions.raise_compiler_error(
            "customer_batch_orders must be a positive whole number of orders, got " ~ per_batch
        ) }}
    {% endif %}
    {% set versions = lifecycle_relation("base_shop__order_versions") %}
    {% if versions is none %}
        {{ return(1) }}
    {% endif %}
    {% set rows = run_query("select count(*) from " ~ versions).rows[0][0] | int %}
    {{ return([1, (rows + per_batch - 1) // per_batch] | max) }}
{% endmacro %}


{% macro insert_customer_batches() %}
    {#- Post-hook of a per-customer lifecycle table built in batches (changed_customers_only(batched=true)): the
        model's statement built the first bucket of customers; insert the others, one statement each, from the
        same compiled SQL with the bucket number replaced. Nothing when there is one batch. -#}
    {% set batches = customer_batch_count() %}
    {% if batches > 1 %}
        {% set marker = customer_batch_marker() %}
        {% set first = "= 0 " ~ marker %}
        {% set compiled = model.compiled_code %}
        {% if first not in compiled %}
            {{ exceptions.raise_compiler_error(
                model.name ~ " has the insert_customer_batches() post-hook but no changed_customers_only(batched=true)"
            ) }}
        {% endif %}
        {% for batch in range(1, batches) %}
            {{ log(model.name ~ ": customer batch " ~ (batch + 1) ~ " of " ~ batches, info=false) }}
            {% do run_query(
                "insert into " ~ this ~ "\nselect * from (\n" ~ compiled | replace(first, "= " ~ batch ~ " " ~ marker)
                ~ "\n) as customer_batch"
            ) %}
        {% endfor %}
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


{% macro recomputes_changed_customers_only() %}
    {#- True in an incremental run that recomputes only some customers, those of int_customers_changed (not a
        recovery, which lists every customer): such a run builds in one pass, materialises its few rows
        (changed_customers_cte()) and corrects the period flows by difference. -#}
    {{ return(is_incremental() and not is_lifecycle_recovery()) }}
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
