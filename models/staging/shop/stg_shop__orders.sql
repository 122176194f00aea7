with

order_versions as (

    select * from {{ ref('base_shop__order_versions') }}

),

as_of as (

    select * from {{ ref('base_shop__metrics_as_of') }}

),

final as (

    select
        order_versions.order_id,
        order_versions.customer_id,
        order_versions.status,
        order_versions.amount,
        order_versions.refunded_amount,
        order_versions.net_amount,
        order_versions.ordered_at,
        order_versions.updated_at
    from order_versions
    cross join as_of
    where
        not order_versions.is_superseded
        and order_versions.rule_failure is null
        and order_versions.ordered_at < as_of.metrics_as_of

)

select * from final
