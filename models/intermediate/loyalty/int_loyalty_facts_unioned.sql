{#- Dated loyalty facts every figure of fct_loyalty_metrics is derived from, one row each: cost grows with members,
    point events and spells, never customers x periods. Stocks are intervals (start, end] turned into two facts:
    membership (enrolled_at, left_at], a positive balance, and, for the member split of the lifecycle rates, a
    member's time both active and a member (spell ∩ membership) and both old and a member. Membership at a
    period_start is tested per grain in the flows (loyalty_period_flows), from enrolled_at and left_at. -#}

with

members as (

    select * from {{ ref('stg_loyalty__members') }}

),

point_events as (

    select * from {{ ref('stg_loyalty__point_events') }}

),

balances as (

    select * from {{ ref('int_point_balances_sequenced') }}

),

spells as (

    select * from {{ ref('int_spells_identified') }}

),

lifecycle_events as (

    select * from {{ ref('int_lifecycle_events_unioned') }}

),

as_of as (

    select * from {{ ref('base_shop__metrics_as_of') }}

),

membership_facts as (

    select
        members.customer_id,
        'enrollment' as fact_type,
        members.enrolled_at as fact_at
    from members
    cross join as_of
    where members.enrolled_at < as_of.metrics_as_of
    union all
    select
        members.customer_id,
        'leaving' as fact_type,
        members.left_at as fact_at
    from members
    cross join as_of
    where members.left_at < as_of.metrics_as_of

),

balance_facts as (

    select
        customer_id,
        case when balance_after > 0 then 'balance_positive_start' else 'balance_positive_end' end as fact_type,
        occurred_at as fact_at
    from balances
    where (balance_before <= 0) <> (balance_after <= 0)

),

point_facts as (

    select
        customer_id,
        event_type as fact_type,
        occurred_at as fact_at,
        points,
        case when event_type in ('earn', 'redeem') then lag(occurred_at) over (
            partition by customer_id, event_type in ('earn', 'redeem')
            order by occurred_at, event_id
        ) end as previous_fact_at,
        case when event_type = 'redeem' then lag(occurred_at) over (
            partition by customer_id, event_type
            order by occurred_at, event_id
        ) end as previous_redemption_at
    from point_events

),

member_spells as (

    select
        spells.customer_id,
        greatest(spells.started_at, members.enrolled_at) as started_at,
        least(spells.active_until, coalesce(members.left_at, spells.active_until)) as ended_at
    from spells
    inner join members
        on spells.customer_id = members.customer_id

),

member_spell_facts as (

    select
        customer_id,
        'member_active_start' as fact_type,
        started_at as fact_at
    from member_spells
    where started_at < ended_at
    union all
    select
        customer_id,
        'member_active_end' as fact_type,
        ended_at as fact_at
    from member_spells
    where started_at < ended_at

),

member_old as (

    select
        lifecycle_events.customer_id,
        greatest(lifecycle_events.event_at, members.enrolled_at) as started_at,
        members.left_at as ended_at
    from lifecycle_events
    inner join members
        on lifecycle_events.customer_id = members.customer_id
    where lifecycle_events.event_type = 'new'

),

member_old_facts as (

    select
        customer_id,
        'member_old_start' as fact_type,
        started_at as fact_at
    from member_old
    where ended_at is null or started_at < ended_at
    union all
    select
        customer_id,
        'member_old_end' as fact_type,
        ended_at as fact_at
    from member_old
    where started_at < ended_at

),

member_lifecycle_facts as (

    select
        lifecycle_events.customer_id,
        lifecycle_events.event_type as fact_type,
        lifecycle_events.event_at as fact_at,
        lifecycle_events.previous_event_at as previous_fact_at,
        lifecycle_events.spell_started_at,
        members.enrolled_at,
        members.left_at
    from lifecycle_events
    inner join members
        on lifecycle_events.customer_id = members.customer_id
    where lifecycle_events.event_type in ('reactivation', 'churn')

),

final as (

    select
        customer_id,
        fact_type,
        fact_at,
        cast(null as {{ money_type() }}) as points,
        cast(null as {{ dbt.type_timestamp() }}) as previous_fact_at,
        cast(null as {{ dbt.type_timestamp() }}) as previous_redemption_at,
        cast(null as {{ dbt.type_timestamp() }}) as spell_started_at,
        cast(null as {{ dbt.type_timestamp() }}) as enrolled_at,
        cast(null as {{ dbt.type_timestamp() }}) as left_at
    from membership_facts
    union all
    select
        customer_id,
        fact_type,
        fact_at,
        cast(null as {{ money_type() }}) as points,
        cast(null as {{ dbt.type_timestamp() }}) as previous_fact_at,
        cast(null as {{ dbt.type_timestamp() }}) as previous_redemption_at,
        cast(null as {{ dbt.type_timestamp() }}) as spell_started_at,
        cast(null as {{ dbt.type_timestamp() }}) as enrolled_at,
        cast(null as {{ dbt.type_timestamp() }}) as left_at
    from balance_facts
    union all
    select
        customer_id,
        fact_type,
        fact_at,
        points,
        previous_fact_at,
        previous_redemption_at,
        cast(null as {{ dbt.type_timestamp() }}) as spell_started_at,
        cast(null as {{ dbt.type_timestamp() }}) as enrolled_at,
        cast(null as {{ dbt.type_timestamp() }}) as left_at
    from point_facts
    union all
    select
        customer_id,
        fact_type,
        fact_at,
        cast(null as {{ money_type() }}) as points,
        cast(null as {{ dbt.type_timestamp() }}) as previous_fact_at,
        cast(null as {{ dbt.type_timestamp() }}) as previous_redemption_at,
        cast(null as {{ dbt.type_timestamp() }}) as spell_started_at,
        cast(null as {{ dbt.type_timestamp() }}) as enrolled_at,
        cast(null as {{ dbt.type_timestamp() }}) as left_at
    from member_spell_facts
    union all
    select
        customer_id,
        fact_type,
        fact_at,
        cast(null as {{ money_type() }}) as points,
        cast(null as {{ dbt.type_timestamp() }}) as previous_fact_at,
        cast(null as {{ dbt.type_timestamp() }}) as previous_redemption_at,
        cast(null as {{ dbt.type_timestamp() }}) as spell_started_at,
        cast(null as {{ dbt.type_timestamp() }}) as enrolled_at,
        cast(null as {{ dbt.type_timestamp() }}) as left_at
    from member_old_facts
    union all
    select
        customer_id,
        fact_type,
        fact_at,
        cast(null as {{ money_type() }}) as points,
        previous_fact_at,
        cast(null as {{ dbt.type_timestamp() }}) as previous_redemption_at,
        spell_started_at,
        enrolled_at,
        left_at
    from member_lifecycle_facts

)

select * from final
