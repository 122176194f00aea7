{{ config(materialized='table') }}
{#- A table: every model reads this one value instead of re-scanning the raw input. -#}
{%- set as_of = metrics_as_of_literal() -%}

with

order_versions as (

    select * from {{ ref('base_shop__order_versions') }}

),

latest_candidate as (

    {% if as_of is none -%}
    -- latest versions that meet every validity rule but "ordered_at before metrics_as_of"
    select max(ordered_at) as latest_ordered_at
    from order_versions
    where
        not is_superseded
        and rule_failure is null
    {%- else -%}
    -- the var sets the instant: no need to scan the orders for the default
    select cast(null as {{ dbt.type_timestamp() }}) as latest_ordered_at
    {%- endif %}

),

final as (

    select
        {% if as_of is none -%}
        'latest_order' as as_of_source,
        cast(
            {{ dbt.dateadd('day', 1, dbt.date_trunc('day', 'latest_ordered_at')) }}
            as {{ dbt.type_timestamp() }}
        ) as metrics_as_of,
        {%- else -%}
        'var' as as_of_source,
        cast({{ as_of }} as {{ dbt.type_timestamp() }}) as metrics_as_of,
        {%- endif %}
        latest_ordered_at
    from latest_candidate

)

select * from final
