{#- Money as shops export it (README "Bad input"): `1,299.00`, `¥1299`, `￥ 1 299.00`, `$12.50`, `12.5元` are
    read; a decimal comma (`12,50`, `1.299,00`), NaN, infinities and anything else are not, and a number too
    large for money_type() is "out of range" rather than an overflow error. -#}

{% macro money_type() %}
    {#- Every money column: 18 digits, 4 after the point (so at most 14 before it). -#}
    {{ return("decimal(18, 4)") }}
{% endmacro %}


{% macro decimal_text_cleaned(text_expr) %}
    {#- `text_expr` without currency signs and spaces (ASCII, no-break and ideographic). -#}
    {{ return(adapter.dispatch("decimal_text_cleaned", "customer_lifecycle")(text_expr)) }}
{% endmacro %}

{% macro default__decimal_text_cleaned(text_expr) %}
    regexp_replace({{ text_expr }}, '[ \t 　¥￥$€£₩₹元]', '', 'g')
{% endmacro %}

{% macro spark__decimal_text_cleaned(text_expr) %}
    regexp_replace({{ text_expr }}, '[ \t 　¥￥$€£₩₹元]', '')
{% endmacro %}


{% macro decimal_text_pattern() %}
    {#- A plain decimal with an optional sign and thousands separators in groups of three; point for decimals. -#}
    {{ return("^[+-]?(([0-9]{1,3}(,[0-9]{3})+|[0-9]+)([.][0-9]*)?|[.][0-9]+)$") }}
{% endmacro %}


{% macro is_decimal_text(cleaned_expr) %}
    {#- True when cleaned text (decimal_text_cleaned) is a number in an accepted spelling. -#}
    {{ return(adapter.dispatch("is_decimal_text", "customer_lifecycle")(cleaned_expr)) }}
{% endmacro %}

{% macro default__is_decimal_text(cleaned_expr) %}
    coalesce(regexp_matches({{ cleaned_expr }}, '{{ decimal_text_pattern() }}'), false)
{% endmacro %}

{% macro postgres__is_decimal_text(cleaned_expr) %}
    coalesce({{ cleaned_expr }} ~ '{{ decimal_text_pattern() }}', false)
{% endmacro %}

{% macro spark__is_decimal_text(cleaned_expr) %}
    coalesce({{ cleaned_expr }} rlike '{{ decimal_text_pattern() }}', false)
{% endmacro %}


{% macro decimal_fits_money(cleaned_expr) %}
    {#- True when an accepted number has at most 14 digits before the point (fits money_type()). -#}
    length(replace(replace(replace(split_part({{ cleaned_expr }}, '.', 1), ',', ''), '-', ''), '+', '')) <= 14
{% endmacro %}


{% macro parse_decimal(cleaned_expr) %}
    {#- Cleaned text (decimal_text_cleaned) as money_type(); NULL when it is not an accepted number or does not
        fit. Digits past the fourth decimal are rounded by the cast. -#}
    case
        when {{ is_decimal_text(cleaned_expr) }} and {{ decimal_fits_money(cleaned_expr) }}
            then cast(replace({{ cleaned_expr }}, ',', '') as {{ money_type() }})
    end
{% endmacro %}


{% macro decimal_rejection(cleaned_expr, column_name) %}
    {#- The reason a present, cleaned money text is not read, or NULL when it is: "unparseable <column>" or
        "<column> out of range". -#}
    case
        when not {{ is_decimal_text(cleaned_expr) }} then 'unparseable {{ column_name }}'
        when not ({{ decimal_fits_money(cleaned_expr) }}) then '{{ column_name }} out of range'
    end
{% endmacro %}
