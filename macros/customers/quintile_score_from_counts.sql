{% macro quintile_score_from_counts(count_expr, value_expr, higher_is_better=true) %}
    {#- Over one row per distinct value with its number of rows (count_expr): the 1 to 5 score by quintile of
        that value, 5 for the best; equal values always get equal scores. The score is ceil(5 * k / n), with k
        the rows whose value is no better and n all rows, in integer arithmetic. -#}
    {%- set direction = "asc" if higher_is_better else "desc" -%}
    cast(
        floor(
            (
                5 * sum({{ count_expr }}) over (
                    order by {{ value_expr }} {{ direction }}
                    rows between unbounded preceding and current row
                )
                + sum({{ count_expr }}) over () - 1
            )
            * 1.0 / sum({{ count_expr }}) over ()
        ) as {{ dbt.type_int() }}
    )
{% endmacro %}
