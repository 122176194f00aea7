{% test unique_combination_of_columns(model, combination_of_columns) %}
{#- Fails for every combination of the columns that occurs more than once (a composite primary key). -#}
{%- set columns = combination_of_columns | join(", ") -%}

with

duplicates as (

    select
        {{ columns }},
        count(*) as row_count
    from {{ model }}
    group by {{ columns }}
    having count(*) > 1

)

select * from duplicates

{% endtest %}
