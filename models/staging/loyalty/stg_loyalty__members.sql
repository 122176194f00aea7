{{ config(materialized=shared_view_materialization()) }}

with

member_rows as (

    select * from {{ ref('base_loyalty__member_rows') }}

),

final as (

    select
        customer_id,
        enrolled_at,
        left_at
    from member_rows
    where rule_failure is null

)

select * from final
