{% macro inlined_cte() %}
    {#- The keyword that asks the engine to expand a CTE into each place that reads it, written after `as` in
        `name as {{ inlined_cte() }} (...)`. DuckDB materialises a CTE read more than once: for an import CTE
        over a large table that means copying every row into a temporary buffer and scanning it again, where
        each reader could have scanned the table itself with its own filters and columns. Only DuckDB is
        given the keyword: PostgreSQL also accepts it (unmeasured there), Spark has no such syntax. -#}
    {{ return(adapter.dispatch("inlined_cte", "customer_lifecycle")()) }}
{% endmacro %}

{% macro default__inlined_cte() %}{% endmacro %}

{% macro duckdb__inlined_cte() %}not materialized{% endmacro %}


{% macro materialized_cte() %}
    {#- The keyword that asks the engine to compute a CTE once, before the query that reads it, written after `as`
        in `name as {{ materialized_cte() }} (...)`: the CTE's own filters then run before any join the query
        makes with it, whatever the optimizer estimates. Only DuckDB is given the keyword (PostgreSQL also accepts
        it, unmeasured there; Spark has no such syntax). -#}
    {{ return(adapter.dispatch("materialized_cte", "customer_lifecycle")()) }}
{% endmacro %}

{% macro default__materialized_cte() %}{% endmacro %}

{% macro duckdb__materialized_cte() %}materialized{% endmacro %}
