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
        coalesce(touch_versions.rule_failure, 'not before metrics_as_of') as reason,
        touch_versions.touched_at_text,
        touch_versions.is_control_text,
        touch_versions.cost_text,
        touch_versions.channel,
        touch_versions.source_file,
        touch_versions.source_line_number,
        touch_versions.raw_line
    from touch_versions
    cross join as_of
    where
        not touch_versions.is_superseded
        and (
            touch_versions.rule_failure is not null
            -- no metrics_as_of (no valid order): no touch is valid, and each is said so
            or not coalesce(touch_versions.touched_at < as_of.metrics_as_of, false)
        )

)

select * from final
