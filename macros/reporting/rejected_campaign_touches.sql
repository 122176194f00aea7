{#- The campaign touches' rejected rows said out loud, like the orders' (rejected_rows.sql). -#}

{% macro campaign_touches_rejected_summary(max_reasons=8) %}
    {#- {raw_rows, superseded_rows, rejected_rows, reasons, message} for the campaign touches source, read from
        the built staging relations; none when they are not built or the source has no rows. -#}
    {% set versions = adapter.get_relation(target.database, target.schema, "base_campaigns__touch_versions") %}
    {% set rejected = adapter.get_relation(target.database, target.schema, "stg_campaigns__rejected_touches") %}
    {% if versions is none or rejected is none %}
        {{ return(none) }}
    {% endif %}
    {% set totals = run_query(
        "select count(*), coalesce(sum(case when is_superseded then 1 else 0 end), 0) from " ~ versions
    ) %}
    {% set raw_rows = totals.rows[0][0] | int %}
    {% if raw_rows == 0 %}
        {{ return(none) }}
    {% endif %}
    {% set by_reason = run_query(
        "select reason, count(*) from " ~ rejected ~ " group by reason order by count(*) desc, reason"
    ) %}
    {% set ns = namespace(rejected=0) %}
    {% set shown = [] %}
    {% for row in by_reason.rows %}
        {% set ns.rejected = ns.rejected + row[1] | int %}
        {% if loop.index <= max_reasons %}
            {% do shown.append(row[0] ~ " " ~ format_count(row[1])) %}
        {% endif %}
    {% endfor %}
    {% if by_reason.rows | length > max_reasons %}
        {% do shown.append((by_reason.rows | length - max_reasons) ~ " more reason(s)") %}
    {% endif %}
    {% set message = format_count(ns.rejected) ~ " of " ~ format_count(raw_rows) ~ " raw campaign touches rejected"
        ~ (" (" ~ shown | join("; ") ~ ")" if shown else "") ~ " -> " ~ rejected.identifier %}
    {{ return({
        "raw_rows": raw_rows,
        "superseded_rows": totals.rows[0][1] | int,
        "rejected_rows": ns.rejected,
        "message": message,
    }) }}
{% endmacro %}


{% macro report_rejected_campaign_touches() %}
    {#- on-run-end hook: after `dbt build` or `dbt run`, one line with the rejected campaign touches and why. -#}
    {% if execute and flags.WHICH in ("build", "run") %}
        {% set summary = campaign_touches_rejected_summary() %}
        {% if summary is not none %}
            {% do log(summary.message, info=true) %}
        {% endif %}
    {% endif %}
    {{ return("") }}
{% endmacro %}


{% macro campaign_touches_rejected_warning(max_share) %}
    {#- For the warn-severity test warn_rejected_campaign_touches_share: logs "WARN rejected campaign touches above
        ..." when the rejected share exceeds var `rejected_rows_warn_share`; returns the summary line. -#}
    {% if max_share is not number or max_share < 0 or max_share > 1 %}
        {{ exceptions.raise_compiler_error(
            "rejected_rows_warn_share must be a number between 0 and 1, got '" ~ max_share ~ "'"
        ) }}
    {% endif %}
    {% if not execute %}
        {{ return("") }}
    {% endif %}
    {% set summary = campaign_touches_rejected_summary() %}
    {% if summary is none %}
        {{ return("") }}
    {% endif %}
    {% if summary.rejected_rows > max_share * summary.raw_rows %}
        {% do log("WARN rejected campaign touches above rejected_rows_warn_share (" ~ max_share ~ "): "
            ~ summary.message, info=true) %}
    {% endif %}
    {{ return(summary.message) }}
{% endmacro %}
