{{ config(materialized=shared_view_materialization()) }}
{#- The counted point events (METRICS.md §9): valid and before metrics_as_of, each with the customer's balance at
    its instant (events strictly before it) and the two flags of rows that are kept and counted. -#}

with

event_rows as (

    select * from {{ ref('base_loyalty__event_rows') }}

),

members as (

    select * from {{ ref('stg_loyalty__members') }}

),

as_of as (

    select * from {{ ref('base_shop__metrics_as_of') }}

),

events as (

    select event_rows.*
    from event_rows
    cross join as_of
    where
        event_rows.rule_failure is null
        and event_rows.occurred_at < as_of.metrics_as_of

),

instants as (

    select
        customer_id,
        occurred_at,
        sum(signed_points) as net_points
    from events
    group by customer_id, occurred_at

),

instant_balances as (

    select
        customer_id,
        occurred_at,
        coalesce(sum(net_points) over (
            partition by customer_id
            order by occurred_at
            rows between unbounded preceding and 1 preceding
        ), 0) as balance_before
    from instants

),

final as (

    select
        events.event_id,
        events.customer_id,
        events.event_type,
        events.points,
        events.signed_points,
        instant_balances.balance_before,
        events.event_type = 'redeem' and events.points > instant_balances.balance_before as is_above_balance,
        members.customer_id is null
        or not (
            members.enrolled_at < events.occurred_at
            and (members.left_at is null or events.occurred_at <= members.left_at)
        ) as is_outside_membership,
        events.occurred_at
    from events
    inner join instant_balances
        on
            events.customer_id = instant_balances.customer_id
            and events.occurred_at = instant_balances.occurred_at
    left join members
        on events.customer_id = members.customer_id

)

select * from final
