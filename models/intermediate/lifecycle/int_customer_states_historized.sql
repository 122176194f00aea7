{{ config(
    materialized=incremental_materialization(),
    incremental_strategy='append',
    pre_hook="{{ delete_changed_customers() }}",
    post_hook="{{ insert_customer_batches() }}",
) }}
-- depends_on: {{ ref('int_customers_changed') }}
{# A table: dim_customers reads the current state from it and a dozen data tests check it; as a view each of them
    would recompute the whole timeline. Incremental on DuckDB: a nightly run recomputes the customers of
    int_customers_changed only. -#}
{%- set params = lifecycle_params() -%}
{#- Each customer's lifecycle state (METRICS.md §6) as intervals: the state holds for every instant t with
    valid_from < t <= valid_to (valid_to null: until the customer's next order). Built from the instants at
    which a state can change, so the cost grows with orders, not with time. -#}

with

orders as (

    select * from {{ ref('int_orders_sequenced') }}
    {{ changed_customers_only(batched=true) }}

),

spells as (

    select * from {{ ref('int_spells_identified') }}
    {{ changed_customers_only(batched=true) }}

),

as_of as (

    select * from {{ ref('base_shop__metrics_as_of') }}

),

orders_in_spells as (

    {#- Each order with the start of its spell when it starts one: the running max of `carried` takes the start
        forward to the spell's later orders (spell starts only grow), so no join with the spells is needed. -#}
    select
        customer_id,
        spell_number,
        ordered_at,
        next_ordered_at,
        case when is_spell_start then ordered_at end as spell_started_at
    from orders

),

breakpoints as (

    -- An order: the latest order changes.
    select
        customer_id,
        spell_number,
        ordered_at as breakpoint_at,
        ordered_at as latest_ordered_at,
        spell_started_at
    from orders_in_spells

    union all

    -- A days after an order not followed by another within A days: at risk from just after.
    select
        customer_id,
        null as spell_number,
        {{ dbt.dateadd('day', params.at_risk_days, 'ordered_at') }} as breakpoint_at,
        null as latest_ordered_at,
        null as spell_started_at
    from orders_in_spells
    where
        next_ordered_at is null
        or next_ordered_at > {{ dbt.dateadd('day', params.at_risk_days, 'ordered_at') }}

    union all

    -- `lifecycle_new_days` after a spell starts: no longer new / reactivated.
    select
        customer_id,
        null as spell_number,
        {{ dbt.dateadd('day', params.new_days, 'started_at') }} as breakpoint_at,
        null as latest_ordered_at,
        null as spell_started_at
    from spells

    union all

    -- D days after a spell's last order: dormant from just after.
    select
        customer_id,
        null as spell_number,
        active_until as breakpoint_at,
        null as latest_ordered_at,
        null as spell_started_at
    from spells

),

instants as (

    select
        customer_id,
        breakpoint_at,
        max(spell_number) as spell_number,
        max(latest_ordered_at) as latest_ordered_at,
        max(spell_started_at) as spell_started_at
    from breakpoints
    group by customer_id, breakpoint_at

),

carried as (

    {#- For the interval just after each instant: the latest order at or before it and its spell. Orders and
        spell starts only grow with time, so a running max carries them forward on every engine. The same
        running max up to the previous instant gives the previous interval's, so its state is known without a
        second window (one sort of the instants). -#}
    select
        customer_id,
        breakpoint_at as valid_from,
        lead(breakpoint_at) over (
            partition by customer_id order by breakpoint_at
        ) as valid_to,
        max(spell_number) over (
            partition by customer_id order by breakpoint_at
            rows between unbounded preceding and current row
        ) as spell_number,
        max(latest_ordered_at) over (
            partition by customer_id order by breakpoint_at
            rows between unbounded preceding and current row
        ) as latest_ordered_at,
        max(spell_started_at) over (
            partition by customer_id order by breakpoint_at
            rows between unbounded preceding and current row
        ) as spell_started_at,
        max(spell_number) over (
            partition by customer_id order by breakpoint_at
            rows between unbounded preceding and 1 preceding
        ) as previous_spell_number,
        max(latest_ordered_at) over (
            partition by customer_id order by breakpoint_at
            rows between unbounded preceding and 1 preceding
        ) as previous_latest_ordered_at,
        max(spell_started_at) over (
            partition by customer_id order by breakpoint_at
            rows between unbounded preceding and 1 preceding
        ) as previous_spell_started_at
    from instants

),

classified as (

    {#- The state is constant on (valid_from, valid_to]; it is evaluated at valid_to, checked in the order
        of METRICS.md §6. The last interval never ends without another order: dormant. The previous interval
        ends at valid_from; the first has none. -#}
    select
        customer_id,
        spell_number,
        valid_from,
        valid_to,
        case
            when valid_to is null then 'dormant'
            else {{ lifecycle_state_at(
                'valid_to', 'latest_ordered_at', 'spell_started_at', 'spell_number'
            ) | indent(12) }}
        end as lifecycle_state,
        {{ lifecycle_state_at(
            'valid_from', 'previous_latest_ordered_at', 'previous_spell_started_at', 'previous_spell_number'
        ) | indent(8) }} as previous_state
    from carried

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
    from classified
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
        {{ dbt.concat(["merged.customer_id", "'-'", "cast(merged.state_number as " ~ dbt.type_string() ~ ")"]) }}
            as customer_state_id,
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
