{#- Dated facts every period metric is derived from: cost grows with orders, never customers x periods. -#}

with

orders as (

    select * from {{ ref('int_orders_sequenced') }}

),

spells as (

    select * from {{ ref('int_spells_identified') }}

),

order_events as (

    select
        customer_id,
        'order' as event_type,
        spell_number,
        net_amount,
        ordered_at as event_at,
        customer_first_ordered_at,
        cast(null as {{ dbt.type_timestamp() }}) as spell_started_at
    from orders

),

entry_events as (

    select
        customer_id,
        case when is_first_spell then 'new' else 'reactivation' end as event_type,
        spell_number,
        cast(null as {{ money_type() }}) as net_amount,
        started_at as event_at,
        cast(null as {{ dbt.type_timestamp() }}) as customer_first_ordered_at,
        started_at as spell_started_at
    from spells

),

churn_events as (

    select
        customer_id,
        'churn' as event_type,
        spell_number,
        cast(null as {{ money_type() }}) as net_amount,
        active_until as event_at,
        cast(null as {{ dbt.type_timestamp() }}) as customer_first_ordered_at,
        started_at as spell_started_at
    from spells
    where is_churned

),

final as (

    select * from order_events
    union all
    select * from entry_events
    union all
    select * from churn_events

)

select * from final
