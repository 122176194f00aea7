{% macro join_integer_series(count_expr, column_name) %}
    {{ return(adapter.dispatch("join_integer_series", "customer_lifecycle")(count_expr, column_name)) }}
{% endmacro %}

{% macro default__join_integer_series(count_expr, column_name) %}
    {#- Joins 0, 1, ..., count - 1 (nothing for a count of 0 or NULL) as `column_name` to the preceding FROM item. -#}
    cross join generate_series(0, {{ count_expr }} - 1) as integer_series ({{ column_name }})
{% endmacro %}

{% macro spark__join_integer_series(count_expr, column_name) %}
    lateral view explode(
        case when {{ count_expr }} > 0 then sequence(0, {{ count_expr }} - 1) end
    ) integer_series as {{ column_name }}
{% endmacro %}
