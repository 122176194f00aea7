{% macro rfm_scores() %}
    {#- A query of the five RFM scores, 1 to 5, as column `score`. -#}
    select 1 as score
    union all
    select 2 as score
    union all
    select 3 as score
    union all
    select 4 as score
    union all
    select 5 as score
{% endmacro %}
