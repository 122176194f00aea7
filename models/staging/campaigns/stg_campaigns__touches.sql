{{ config(materialized=shared_view_materialization()) }}

with

touch_versions as (

    select * from {{ ref('base_campaigns__touch_versions') }}

),

as_of as (

    select * from {{ ref('base_shop__metrics_as_of') }}

),

final as (

    select
        touch_versions.touch_id,
        touch_versions.campaign_id,
        touch_versions.customer_id,
        touch_versions.channel,
        touch_versions.is_control,
        touch_versions.cost,
        touch_versions.touched_at
    from touch_versions
    cross join as_of
    where
        not touch_versions.is_superseded
        and touch_versions.rule_failure is null
        and touch_versions.touched_at < as_of.metrics_as_of

)

select * from final
