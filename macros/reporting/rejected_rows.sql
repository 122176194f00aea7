{#- Rejected rows said out loud: one summary line per build, and the message of the warn-severity test. -#}

{% macro format_count(number) %}
    {#- A whole number with thousands separators: 1009 -> "1,009". -#}
    {{ return("{:,}".format(number | int)) }}
{% endmacro %}


{% macro rejected_rows_summary(max_reasons=8) %}
    {#- {raw_rows, superseded_rows, rejected_rows, reasons: [(reason, rows)], message} for the orders source, read
        from the built staging relations; none when they are not built. -#}
    {% if max_reasons is not number or max_reasons < 1 %}
        {{ exceptions.raise_compiler_error("rejected_rows_summary: max_reasons must be a positive number") }}
    {% endif %}
    {% set versions = adapter.get_relation(target.database, target.schema, "base_shop__order_versions") %}
    {% set rejected = adapter.get_relation(target.database, target.schema, "stg_shop__rejected_orders") %}
    {% if versions is none or rejected is none %}
        {{ return(none) }}
    {% endif %}
    {% set totals = run_query(
        "select count(*), coalesce(sum(case when is_superseded then 1 else 0 end), 0) from " ~ versions
    ) %}
    {% set by_reason = run_query(
        "select reason, count(*) as rejected_rows from " ~ rejected
        ~ " group by reason order by count(*) desc, reason"
    ) %}
    {% set reasons = [] %}
    {% set ns = namespace(rejected=0) %}
    {% for row in by_reason.rows %}
        {% do reasons.append((row[0], row[1] | int)) %}
        {% set ns.rejected = ns.rejected + row[1] | int %}
    {% endfor %}
    {% set shown = [] %}
    {% for reason, rows in reasons[:max_reasons] %}
        {% do shown.append(reason ~ " " ~ format_count(rows)) %}
    {% endfor %}
    {% if reasons | length > max_reasons %}
        {% set more = reasons | length - max_reasons %}
        {% do shown.append(more ~ " more reason" ~ ("s" if more > 1 else "")) %}
    {% endif %}
    {% set raw_rows = totals.rows[0][0] | int %}
    {% set message = format_count(ns.rejected) ~ " of " ~ format_count(raw_rows) ~ " raw rows rejected"
        ~ (" (" ~ shown | join("; ") ~ ")" if shown else "")
        ~ " -> " ~ rejected.identifier %}
    {{ return({
        "raw_rows": raw_rows,
        "superseded_rows": totals.rows[0][1] | int,
        "rejected_rows": ns.rejected,
        "reasons": reasons,
        "message": message,
    }) }}
{% endmacro %}


{% macro report_rejected_rows() %}
    {#- on-run-end hook: after `dbt build` or `dbt run`, one line with the rejected-row count and its reasons. -#}
    {% if execute and flags.WHICH in ("build", "run") %}
        {% set summary = rejected_rows_summary() %}
        {% if summary is not none %}
            {% do log(summary.message, info=true) %}
        {% endif %}
    {% endif %}
    {{ return("") }}
{% endmacro %}


{% macro rejected_rows_warning(max_share) %}
    {#- For the warn-severity test warn_rejected_rows_share: checks var `rejected_rows_warn_share`, logs
        "WARN rejected rows above ..." with the summary when the rejected share exceeds it, and returns the
        summary line ("" before execution or when staging is not built). -#}
    {% if max_share is not number or max_share < 0 or max_share > 1 %}
        {{ exceptions.raise_compiler_error(
            "rejected_rows_warn_share must be a number between 0 and 1, got '" ~ max_share ~ "'"
        ) }}
    {% endif %}
    {% if not execute %}
        {{ return("") }}
    {% endif %}
    {% set summary = rejected_rows_summary() %}
    {% if summary is none %}
        {{ return("") }}
    {% endif %}
    {% if summary.rejected_rows > max_share * summary.raw_rows %}
        {% do log("WARN rejected rows above rejected_rows_warn_share (" ~ max_share ~ "): " ~ summary.message, info=true) %}
    {% endif %}
    {{ return(summary.message) }}
{% endmacro %}
