{#- The purchase attempts of METRICS.md §4 "Returns" (latest order versions meeting every validity rule except the
    refund rule, before metrics_as_of) on the calendar day (in var `reporting_timezone`) of ordered_at, for the
    semantic layer's return rates. -#}

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
        order_versions.amount,
        order_versions.refunded_amount,
        order_versions.refunded_amount > 0 as is_returned,
        {{ truncate_to_grain('day', 'order_versions.ordered_at') }} as order_date,
        order_versions.ordered_at
    from order_versions
    cross join as_of
    where
        not order_versions.is_superseded
        and (order_versions.rule_failure is null or order_versions.rule_failure = 'fully refunded')
        and order_versions.ordered_at < as_of.metrics_as_of

)

select * from final
