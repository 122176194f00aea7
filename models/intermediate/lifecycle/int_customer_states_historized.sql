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
        spell starts only grow with time, so a running max carries them forward on every engine. -#}
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
        ) as spell_started_at
    from instants

),

classified as (

    {#- The state is constant on (valid_from, valid_to]; it is evaluated at valid_to, checked in the order
        of METRICS.md §6. The last interval never ends without another order: dormant. -#}
    select
        *,
        case
            when valid_to is null then 'dormant'
            else {{ lifecycle_state_at(
                'valid_to', 'latest_ordered_at', 'spell_started_at', 'spell_number'
            ) | indent(12) }}
        end as lifecycle_state
    from carried

),

with_previous as (

    select
        *,
        lag(lifecycle_state) over (
            partition by customer_id order by valid_from
        ) as previous_state
    from classified

),

islands as (

    select
        *,
        sum(case when lifecycle_state = previous_state then 0 else 1 end) over (
            partition by customer_id order by valid_from
            rows between unbounded preceding and current row
        ) as island_number
    from with_previous

),

merged as (

    select
        customer_id,
        island_number,
        min(lifecycle_state) as lifecycle_state,
        max(spell_number) as spell_number,
        min(valid_from) as valid_from,
        case when count(valid_to) = count(*) then max(valid_to) end as valid_to
    from islands
    group by customer_id, island_number

),

final as (

    select
        {{ dbt.concat(["merged.customer_id", "'-'", "cast(merged.island_number as " ~ dbt.type_string() ~ ")"]) }}
            as customer_state_id,
        merged.customer_id,
        merged.lifecycle_state,
        merged.island_number as state_number,
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
