{{ config(
    materialized=incremental_materialization(),
    incremental_strategy='append',
    pre_hook="{{ delete_changed_customers() }}",
    post_hook="{{ insert_customer_batches() }}",
) }}
-- depends_on: {{ ref('int_customers_changed') }}
{# A table: dim_customers reads the current state from it and a dozen data tests check it; as a view each of them
    would recompute the whole timeline. Incremental on DuckDB: a nightly run recomputes the customers of
    int_customers_changed only. Keyed by the pair (customer_id, state_number), with no text column joining them:
    writing one more unique string per row cost about 12 s of the 10M build's 49M rows. -#}
{%- set params = lifecycle_params() -%}
{#- Each customer's lifecycle state (METRICS.md §6) as intervals: the state holds for every instant t with
    valid_from < t <= valid_to (valid_to null: for ever after). Built order by order from the instants at which a
    state can change before the customer's next order, so the cost grows with orders, not with time. -#}

with

orders as {{ changed_customers_cte() }} (

    select * from {{ ref('int_orders_sequenced') }}
    {{ changed_customers_only(batched=true) }}

),

spells as {{ changed_customers_cte() }} (

    select * from {{ ref('int_spells_identified') }}
    {{ changed_customers_only(batched=true) }}

),

as_of as (

    select * from {{ ref('base_shop__metrics_as_of') }}

),

order_spans as (

    {#- What follows each order until the next one: the span (ordered_at, next_ordered_at], open when it is the
        customer's last. In it the order is the latest, so the state can change only when its spell stops being
        new (or reactivated), A days after it (at risk) and D days after it (dormant). Of orders placed at one
        instant only the last has a span: the others' are empty. -#}
    select
        orders.customer_id,
        orders.spell_number,
        orders.ordered_at,
        orders.next_ordered_at,
        spells.started_at as spell_started_at,
        {{ dbt.dateadd('day', params.new_days, 'spells.started_at') }} as new_ends_at,
        {{ dbt.dateadd('day', params.at_risk_days, 'orders.ordered_at') }} as at_risk_at,
        {{ dbt.dateadd('day', params.dormancy_days, 'orders.ordered_at') }} as dormant_at
    from orders
    inner join spells
        on
            orders.customer_id = spells.customer_id
            and orders.spell_number = spells.spell_number
    where orders.next_ordered_at is null or orders.next_ordered_at > orders.ordered_at

),

change_instants as (

    -- the order, then each instant inside its span at which the state can change (each instant once)
    select
        *,
        ordered_at as valid_from
    from order_spans

    union all

    select
        *,
        new_ends_at as valid_from
    from order_spans
    where
        new_ends_at > ordered_at
        and (next_ordered_at is null or new_ends_at < next_ordered_at)

    union all

    select
        *,
        at_risk_at as valid_from
    from order_spans
    where
        at_risk_at > ordered_at
        and (next_ordered_at is null or at_risk_at < next_ordered_at)
        and at_risk_at <> new_ends_at

    union all

    select
        *,
        dormant_at as valid_from
    from order_spans
    where
        dormant_at > ordered_at
        and (next_ordered_at is null or dormant_at < next_ordered_at)
        and dormant_at <> new_ends_at
        and dormant_at <> at_risk_at

),

intervals as (

    -- each interval ends at the span's next change instant, or with the span
    select
        customer_id,
        spell_number,
        ordered_at,
        spell_started_at,
        valid_from,
        least(
            case when new_ends_at > valid_from then new_ends_at end,
            case when at_risk_at > valid_from then at_risk_at end,
            case when dormant_at > valid_from then dormant_at end,
            next_ordered_at
        ) as valid_to
    from change_instants

),

classified as (

    {#- The state is constant on (valid_from, valid_to]; it is evaluated at valid_to, checked in the order of
        METRICS.md §6. An open interval (after the last order's D days) is dormant. -#}
    select
        customer_id,
        spell_number,
        valid_from,
        valid_to,
        case
            when valid_to is null then 'dormant'
            else {{ lifecycle_state_at('valid_to', 'ordered_at', 'spell_started_at', 'spell_number') | indent(12) }}
        end as lifecycle_state
    from intervals

),

with_previous as (

    select
        *,
        lag(lifecycle_state) over (
            partition by customer_id order by valid_from
        ) as previous_state
    from classified

),

state_starts as (

    {#- Consecutive intervals in one state are one state: keep the interval that starts each. The intervals are
        contiguous (each ends where the next starts), so a state ends where the next one starts, and the last
        (dormant, open) ends never. A state never spans two spells: a spell starts with an order after a dormant
        interval and the interval it opens is not dormant, so the spell number of a state's first interval is
        its spell number. -#}
    select
        customer_id,
        lifecycle_state,
        spell_number,
        valid_from
    from with_previous
    where previous_state is null or previous_state <> lifecycle_state

),

merged as (

    select
        customer_id,
        lifecycle_state,
        spell_number,
        valid_from,
        row_number() over (partition by customer_id order by valid_from) as state_number,
        lead(valid_from) over (partition by customer_id order by valid_from) as valid_to
    from state_starts

),

final as (

    select
        merged.customer_id,
        merged.lifecycle_state,
        merged.state_number,
        merged.spell_number,
        merged.valid_from < as_of.metrics_as_of
        and (merged.valid_to is null or merged.valid_to >= as_of.metrics_as_of) as is_current,
        merged.valid_from,
        merged.valid_to
    from merged
    cross join as_of
    where merged.valid_from < as_of.metrics_as_of

)

select * from final
