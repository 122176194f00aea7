-- Every grain of var `lifecycle_grains` has at least one period in fct_lifecycle_metrics when there is a valid order.

with

metrics as (

    select * from {{ ref('fct_lifecycle_metrics') }}

),

orders as (

    select * from {{ ref('stg_shop__orders') }}

),

expected_grains as (

    {% for grain in lifecycle_grains() -%}
    select '{{ grain }}' as grain
    {% if not loop.last %}union all
    {% endif -%}
    {%- endfor %}

),

final as (

    select expected_grains.grain
    from expected_grains
    where
        exists (select 1 as found from orders)
        and not exists (
            select 1 as found
            from metrics
            where metrics.grain = expected_grains.grain
        )

)

select * from final
