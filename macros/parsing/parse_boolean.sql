{#- Flags as CRM exports spell them (README "Bad input"): true/false, 1/0, yes/no, t/f, in any case. -#}

{% macro boolean_true_spellings() %}
    {{ return(["true", "1", "yes", "t", "y"]) }}
{% endmacro %}


{% macro boolean_false_spellings() %}
    {{ return(["false", "0", "no", "f", "n"]) }}
{% endmacro %}


{% macro parse_boolean(text_expr) %}
    {#- Trimmed text as a boolean, compared case-insensitively: true/1/yes/t/y -> true, false/0/no/f/n -> false,
        anything else (and NULL) -> NULL. -#}
    case
        when lower({{ text_expr }}) in ('{{ boolean_true_spellings() | join("', '") }}') then true
        when lower({{ text_expr }}) in ('{{ boolean_false_spellings() | join("', '") }}') then false
    end
{% endmacro %}


{% macro boolean_rejection(text_expr, column_name) %}
    {#- The reason a present flag text is not read ('unparseable <column>'), or NULL when it is read or absent. -#}
    case
        when {{ text_expr }} is not null and ({{ parse_boolean(text_expr) }}) is null
            then 'unparseable {{ column_name }}'
    end
{% endmacro %}
