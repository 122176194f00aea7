{{ config(materialized=shared_view_materialization()) }}
{#- Each valid touch with the customer's METRICS.md §6 state at touched_at and what was attributed to it. The state
    comes from one pass over the customer's state intervals and touches: the latest interval starting strictly
    before touched_at holds it (intervals are (valid_from, valid_to]); a touch at a valid_from instant sorts
    before it. -#}

with

touches as (

    select * from {{ ref('stg_campaigns__touches') }}

),

states as (

    -- only touched customers' states can hold a touch: the timeline's window stays as small as the campaigns
    select * from {{ ref('int_customer_states_historized') }}
    where customer_id in (select touches.customer_id from touches)

),

attributed_orders as (

    select * from {{ ref('int_orders_attributed') }}

),

timeline as (

    select
        customer_id,
        touched_at as event_at,
        0 as event_order,
        touch_id,
        cast(null as {{ dbt.type_timestamp() }}) as valid_from
    from touches

    union all

    select
        customer_id,
        valid_from as event_at,
        1 as event_order,
        cast(null as {{ dbt.type_string() }}) as touch_id,
        valid_from
    from states

),

latest_intervals as (

    select
        touch_id,
        customer_id,
        event_order,
        max(valid_from) over (
            partition by customer_id
            order by event_at, event_order
            rows between unbounded preceding and current row
        ) as state_valid_from
    from timeline

),

touch_states as (

    select
        latest_intervals.touch_id,
        coalesce(states.lifecycle_state, 'prospect') as state_at_touch
    from latest_intervals
    left join states
        on
            latest_intervals.customer_id = states.customer_id
            and latest_intervals.state_valid_from = states.valid_from
    where latest_intervals.event_order = 0

),

attributed_by_touch as (

    select
        touch_id,
        count(*) as attributed_orders,
        sum(case when is_reactivation then 1 else 0 end) as attributed_reactivations,
        sum(net_amount) as attributed_net_revenue
    from attributed_orders
    group by touch_id

),

final as (

    select
        touches.touch_id,
        touches.campaign_id,
        touches.customer_id,
        touches.channel,
        touches.is_control,
        touches.cost,
        touch_states.state_at_touch,
        attributed_by_touch.touch_id is not null as is_responded,
        cast(coalesce(attributed_by_touch.attributed_orders, 0) as {{ dbt.type_bigint() }}) as attributed_orders,
        cast(coalesce(attributed_by_touch.attributed_reactivations, 0) as {{ dbt.type_bigint() }})
            as attributed_reactivations,
        coalesce(attributed_by_touch.attributed_net_revenue, 0) as attributed_net_revenue,
        touches.touched_at
    from touches
    inner join touch_states
        on touches.touch_id = touch_states.touch_id
    left join attributed_by_touch
        on touches.touch_id = attributed_by_touch.touch_id

)

select * from final
