{#- Spark versions of dbt's own cross-database macros, where dbt-spark's would change a figure. The root project's
    spark__ macros take precedence over dbt-spark's for dbt's dispatched macros (dbt.dateadd, seeds). -#}

{% macro spark__dateadd(datepart, interval, from_date_or_timestamp) %}
    {#- dbt-spark's dateadd goes through whole-second unix timestamps and drops fractions of a second; Spark's
        timestampadd keeps microseconds (month steps end on the month's last day, as on DuckDB and PostgreSQL).
        With spark.sql.session.timeZone UTC a day is always 24 hours. -#}
    timestampadd({{ datepart }}, {{ interval }}, {{ from_date_or_timestamp }})
{% endmacro %}


{% macro spark__load_csv_rows(model, agate_table) %}
    {#- dbt-spark binds seed values by pasting them between quotes unescaped, so a value with an apostrophe
        (rfm_segments: "Can't Lose Them") breaks the insert. Here every value is an escaped string literal cast to
        the column's type; empty cells are NULL. -#}
    {%- set column_override = model['config'].get('column_types', {}) -%}
    {%- set statements = [] -%}
    {%- for chunk in agate_table.rows | batch(get_batch_size()) -%}
        {%- set sql -%}
            insert into {{ this.render() }} values
            {% for row in chunk -%}
            ({%- for col_name in agate_table.column_names -%}
                {%- set type = column_override.get(col_name, adapter.convert_type(agate_table, loop.index0)) -%}
                cast({{ spark_string_literal(row[loop.index0]) }} as {{ type }})
                {%- if not loop.last %}, {% endif -%}
            {%- endfor -%})
            {%- if not loop.last %},{% endif %}
            {% endfor %}
        {%- endset -%}
        {%- do adapter.add_query(sql, abridge_sql_log=True) -%}
        {%- if loop.first -%}
            {%- do statements.append(sql) -%}
        {%- endif -%}
    {%- endfor -%}
    {{ return(statements[0] if statements else "") }}
{% endmacro %}


{% macro spark_string_literal(value) %}
    {#- A value as a Spark SQL string literal (backslash escapes: Spark reads 'a''b' as 'a' 'b', i.e. "ab"), or
        null for none. -#}
    {%- if value is none -%}
        {{ return("null") }}
    {%- endif -%}
    {{ return("'" ~ (value | string | replace("\\", "\\\\") | replace("'", "\\'")) ~ "'") }}
{% endmacro %}
