{% macro shared_view_materialization() %}
    {#- 'table' on Spark, 'view' elsewhere: for the small views that several models read. Spark analyses a view's
        whole definition again in each query that reads it, and for the campaign and loyalty views that analysis,
        not their few rows, is the cost. -#}
    {{ return("table" if target.type == "spark" else "view") }}
{% endmacro %}
