{% macro safe_divide(numerator, denominator) %}
    {% for name, expression in [("numerator", numerator), ("denominator", denominator)] %}
        {% if expression is none or (expression is string and expression | trim == "") %}
            {{ exceptions.raise_compiler_error(
                "safe_divide needs a SQL expression as its " ~ name ~ ", got '" ~ expression ~ "'"
            ) }}
        {% endif %}
    {% endfor %}
    {{ return(adapter.dispatch("safe_divide", "customer_lifecycle")(numerator, denominator)) }}
{% endmacro %}

{% macro default__safe_divide(numerator, denominator) %}
    {#- A rate as a fraction (0.7 = 70%); NULL, never 0, when the denominator is 0 or NULL. -#}
    cast({{ numerator }} as double precision) / nullif(cast({{ denominator }} as double precision), 0)
{% endmacro %}

{% macro spark__safe_divide(numerator, denominator) %}
    cast({{ numerator }} as double) / nullif(cast({{ denominator }} as double), 0)
{% endmacro %}


{% macro double_type() %}
    {#- The SQL type of rates and model outputs: an 8-byte float on every engine. -#}
    {{ return(adapter.dispatch("double_type", "customer_lifecycle")()) }}
{% endmacro %}

{% macro default__double_type() %}double precision{% endmacro %}

{% macro spark__double_type() %}double{% endmacro %}
