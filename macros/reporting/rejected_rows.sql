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
        {% for extra in optional_rejected_rows_summaries() %}
            {% do log(extra.message, info=true) %}
        {% endfor %}
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


{#- The optional sources (loyalty, METRICS.md §9): the same summary line per source, when it holds rows. -#}

{% macro optional_rejected_sources() %}
    {#- (label, relation of every raw line, relation of the rejected ones) per optional source. -#}
    {{ return([
        ("raw loyalty member rows", "base_loyalty__member_rows", "stg_loyalty__rejected_members"),
        ("raw loyalty event rows", "base_loyalty__event_rows", "stg_loyalty__rejected_point_events"),
    ]) }}
{% endmacro %}


{% macro source_rejected_rows_summary(label, raw_name, rejected_name, max_reasons=8) %}
    {#- {raw_rows, rejected_rows, reasons, message} of one source from its built relations; none when they are
        not built or the source has no row. -#}
    {% if max_reasons is not number or max_reasons < 1 %}
        {{ exceptions.raise_compiler_error("source_rejected_rows_summary: max_reasons must be a positive number") }}
    {% endif %}
    {% set raw = adapter.get_relation(target.database, target.schema, raw_name) %}
    {% set rejected = adapter.get_relation(target.database, target.schema, rejected_name) %}
    {% if raw is none or rejected is none %}
        {{ return(none) }}
    {% endif %}
    {% set raw_rows = run_query("select count(*) from " ~ raw).rows[0][0] | int %}
    {% if raw_rows == 0 %}
        {{ return(none) }}
    {% endif %}
    {% set by_reason = run_query(
        "select reason, count(*) from " ~ rejected ~ " group by reason order by count(*) desc, reason"
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
    {% set message = format_count(ns.rejected) ~ " of " ~ format_count(raw_rows) ~ " " ~ label ~ " rejected"
        ~ (" (" ~ shown | join("; ") ~ ")" if shown else "") ~ " -> " ~ rejected.identifier %}
    {{ return({"raw_rows": raw_rows, "rejected_rows": ns.rejected, "reasons": reasons, "message": message}) }}
{% endmacro %}


{% macro optional_rejected_rows_summaries() %}
    {#- source_rejected_rows_summary() of every optional source that is built and holds rows. -#}
    {% set summaries = [] %}
    {% for label, raw_name, rejected_name in optional_rejected_sources() %}
        {% set summary = source_rejected_rows_summary(label, raw_name, rejected_name) %}
        {% if summary is not none %}
            {% do summaries.append(summary) %}
        {% endif %}
    {% endfor %}
    {{ return(summaries) }}
{% endmacro %}


{% macro optional_rejected_rows_warning(max_share) %}
    {#- For the warn-severity test warn_optional_rejected_rows_share: logs "WARN rejected rows above ..." for each
        optional source whose rejected share exceeds var `rejected_rows_warn_share`; returns the messages of those
        sources joined by " | " ("" when none does or before execution). -#}
    {% if max_share is not number or max_share < 0 or max_share > 1 %}
        {{ exceptions.raise_compiler_error(
            "rejected_rows_warn_share must be a number between 0 and 1, got '" ~ max_share ~ "'"
        ) }}
    {% endif %}
    {% if not execute %}
        {{ return("") }}
    {% endif %}
    {% set above = [] %}
    {% for summary in optional_rejected_rows_summaries() %}
        {% if summary.rejected_rows > max_share * summary.raw_rows %}
            {% do log("WARN rejected rows above rejected_rows_warn_share (" ~ max_share ~ "): " ~ summary.message,
                info=true) %}
            {% do above.append(summary.message) %}
        {% endif %}
    {% endfor %}
    {{ return(above | join(" | ")) }}
{% endmacro %}
