{% macro period_spine(grain, first_periods_relation, as_of_relation) %}
{#- The periods of one grain, one row each, from its first period to the last one that starts before
    metrics_as_of, with where each ends and whether it is complete at metrics_as_of. Cost grows with the number of
    periods only. -#}
{%- do validate_grain(grain) %}
with

bounds as (

    select
        first_periods.first_period_start,
        {{ to_reporting_timezone("as_of.metrics_as_of") }} as local_as_of,
        {{ periods_starting_before(grain, "first_periods.first_period_start", "as_of.metrics_as_of") | indent(8) }}
            as period_count
    from {{ first_periods_relation }} as first_periods
    cross join {{ as_of_relation }} as as_of
    where first_periods.grain = '{{ grain }}'

),

final as (

    select
        '{{ grain }}' as grain,
        {{ add_periods(grain, "period_index", "first_period_start") }} as period_start,
        {{ add_periods(grain, "period_index + 1", "first_period_start") }} as period_end,
        cast({{ add_periods(grain, "period_index + 1", "first_period_start") }} as {{ dbt.type_timestamp() }})
        <= local_as_of as is_complete
    from bounds
    {{ join_integer_series("period_count", "period_index") }}

)

select * from final
{%- endmacro %}
