-- Every churn alert's outcome agrees with the spells (METRICS.md §3, §7): won back means the next order continued
-- the alerted order's spell; lapsed means the alerted order ended a spell that churned; open means it ended a
-- spell still active at metrics_as_of. Returns the alerts where that does not hold.

with

alerts as (

    select * from {{ ref('fct_churn_alerts') }}

),

orders as (

    select * from {{ ref('int_orders_sequenced') }}

),

spells as (

    select * from {{ ref('int_spells_identified') }}

),

alerted_orders as (

    select
        alerts.alert_id,
        alerts.outcome,
        alerts.resolved_at,
        orders.ordered_at,
        spells.last_ordered_at as spell_last_ordered_at,
        spells.active_until as spell_active_until,
        spells.is_churned as is_spell_churned
    from alerts
    inner join orders
        on alerts.order_id = orders.order_id
    inner join spells
        on
            orders.customer_id = spells.customer_id
            and orders.spell_number = spells.spell_number

),

final as (

    select *
    from alerted_orders
    where not (
        (outcome = 'won_back' and ordered_at < spell_last_ordered_at)
        or (
            outcome = 'lapsed'
            and ordered_at = spell_last_ordered_at
            and is_spell_churned
            and resolved_at = spell_active_until
        )
        or (outcome = 'open' and ordered_at = spell_last_ordered_at and not is_spell_churned)
    )

)

select * from final
