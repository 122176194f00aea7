{% macro median(expr) %}
    {#- The median of `expr` over a group (the mean of the two middle values for an even count). -#}
    {{ return(adapter.dispatch("median", "customer_lifecycle")(expr)) }}
{% endmacro %}

{% macro default__median(expr) %}
    median({{ expr }})
{% endmacro %}

{% macro postgres__median(expr) %}
    percentile_cont(0.5) within group (order by {{ expr }})
{% endmacro %}

{% macro spark__median(expr) %}
    percentile({{ expr }}, 0.5)
{% endmacro %}
