{% test expression_is_true(model, expression, column_name=none) %}
{#- Fails for every row where the boolean SQL expression is not true (false or NULL). On a column, the
    expression is appended to the column name (e.g. expression ">= 0"). -#}

select *
from {{ model }}
where not coalesce({{ column_name ~ " " if column_name else "" }}{{ expression }}, false)

{% endtest %}
