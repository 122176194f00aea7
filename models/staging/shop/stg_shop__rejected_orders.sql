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
        coalesce(order_versions.rule_failure, 'not before metrics_as_of') as reason,
        order_versions.ordered_at_text,
        order_versions.amount_text,
        order_versions.refunded_amount_text,
        order_versions.updated_at_text,
        order_versions.source_file,
        order_versions.source_line_number,
        order_versions.raw_line
    from order_versions
    cross join as_of
    where
        not order_versions.is_superseded
        and (
            order_versions.rule_failure is not null
            or order_versions.ordered_at >= as_of.metrics_as_of
        )

)

select * from final
