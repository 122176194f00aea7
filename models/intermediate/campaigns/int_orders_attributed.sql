{{ config(materialized=shared_view_materialization()) }}
{%- set attribution_days = campaign_attribution_days() -%}
{#- METRICS.md §10, last-touch attribution in one pass over each customer's orders and touches: the timeline of
    both, ordered by instant with an order before a touch at the same instant (an order never sees a touch of its
    own instant), carries the latest touched_at forward; the order keeps it when ordered_at <= touched_at + W. -#}

with

touches as (

    select * from {{ ref('stg_campaigns__touches') }}

),

orders as (

    -- only touched customers' orders can be attributed: the timeline's window stays as small as the campaigns
    select * from {{ ref('int_orders_sequenced') }}
    where customer_id in (select touches.customer_id from touches)

),

touch_instants as (

    -- a tie on touched_at goes to the greatest touch_id, compared as text
    select
        customer_id,
        touched_at,
        max({{ text_collated('touch_id') }}) as touch_id
    from touches
    group by customer_id, touched_at

),

timeline as (

    select
        customer_id,
        ordered_at as event_at,
        0 as event_order,
        order_id,
        cast(null as {{ dbt.type_timestamp() }}) as touched_at
    from orders

    union all

    select
        customer_id,
        touched_at as event_at,
        1 as event_order,
        cast(null as {{ dbt.type_string() }}) as order_id,
        touched_at
    from touch_instants

),

latest_touches as (

    select
        customer_id,
        order_id,
        event_order,
        max(touched_at) over (
            partition by customer_id
            order by event_at, event_order
            rows between unbounded preceding and current row
        ) as touched_at
    from timeline

),

attributed as (

    select
        orders.order_id,
        orders.customer_id,
        orders.ordered_at,
        orders.net_amount,
        orders.is_spell_start and not orders.is_first_order as is_reactivation,
        latest_touches.touched_at
    from latest_touches
    inner join orders
        on latest_touches.order_id = orders.order_id
    where
        latest_touches.event_order = 0
        and orders.ordered_at <= {{ dbt.dateadd('day', attribution_days, 'latest_touches.touched_at') }}

),

final as (

    select
        attributed.order_id,
        attributed.customer_id,
        touches.touch_id,
        touches.campaign_id,
        touches.is_control,
        touches.channel,
        attributed.is_reactivation,
        attributed.net_amount,
        attributed.touched_at,
        attributed.ordered_at
    from attributed
    inner join touch_instants
        on
            attributed.customer_id = touch_instants.customer_id
            and attributed.touched_at = touch_instants.touched_at
    inner join touches
        on touch_instants.touch_id = touches.touch_id

)

select * from final
