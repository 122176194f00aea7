{#- One row per customer with counted point events: the points of each event type and the balance at
    metrics_as_of, the balance after the customer's last instant (a running sum, independent of the type sums: the
    balance identity test compares the two). -#}

with

events as (

    select * from {{ ref('stg_loyalty__point_events') }}

),

instants as (

    select * from {{ ref('int_point_balances_sequenced') }}

),

points_by_type as (

    select
        customer_id,
        sum(case when event_type = 'earn' then points else 0 end) as points_earned,
        sum(case when event_type = 'redeem' then points else 0 end) as points_redeemed,
        sum(case when event_type = 'expire' then points else 0 end) as points_expired,
        sum(case when event_type = 'adjust' then points else 0 end) as points_adjusted,
        {{ count_where('is_above_balance') }} as redemptions_above_balance,
        {{ count_where('is_outside_membership') }} as events_outside_membership,
        max(occurred_at) as last_event_at
    from events
    group by customer_id

),

final as (

    select
        points_by_type.customer_id,
        points_by_type.points_earned,
        points_by_type.points_redeemed,
        points_by_type.points_expired,
        points_by_type.points_adjusted,
        instants.balance_after as balance,
        points_by_type.redemptions_above_balance,
        points_by_type.events_outside_membership,
        points_by_type.last_event_at
    from points_by_type
    inner join instants
        on
            points_by_type.customer_id = instants.customer_id
            and points_by_type.last_event_at = instants.occurred_at

)

select * from final
