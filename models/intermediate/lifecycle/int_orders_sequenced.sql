{{ config(
    materialized=incremental_materialization(),
    incremental_strategy='append',
    pre_hook="{{ delete_changed_customers() }}",
    post_hook="{{ insert_customer_batches() }}",
) }}
-- depends_on: {{ ref('int_customers_changed') }}
{# A table: the one pass over the raw input (parsing, deduplication, sequencing) that every mart shares.
    Incremental on DuckDB: a nightly run recomputes the customers of int_customers_changed only. -#}
{%- set params = lifecycle_params() -%}

with

orders as (

    select * from {{ ref('stg_shop__orders') }}
    {{ changed_customers_only(batched=true) }}

),

neighbours as (

    select
        order_id,
        customer_id,
        net_amount,
        ordered_at,
        row_number() over (
            partition by customer_id order by ordered_at, order_id
        ) as customer_order_number,
        lag(ordered_at) over (
            partition by customer_id order by ordered_at, order_id
        ) as previous_ordered_at,
        lead(ordered_at) over (
            partition by customer_id order by ordered_at, order_id
        ) as next_ordered_at,
        {#- the first order by the same ordering as the rest, so that one sort serves every window here -#}
        first_value(ordered_at) over (
            partition by customer_id order by ordered_at, order_id
        ) as customer_first_ordered_at
    from orders

),

flagged as (

    select
        *,
        {#- A spell starts with a customer's first order, or with an order placed more than D days
            after the previous one (METRICS.md §3); a gap of exactly D days continues the spell. -#}
        coalesce(
            ordered_at > {{ dbt.dateadd('day', params.dormancy_days, 'previous_ordered_at') }},
            true
        ) as is_spell_start
    from neighbours

),

final as (

    select
        order_id,
        customer_id,
        customer_order_number,
        {#- cast: DuckDB sums integers into a 128-bit HUGEINT, other engines into a bigint -#}
        cast(
            sum(case when is_spell_start then 1 else 0 end) over (
                partition by customer_id
                order by ordered_at, order_id
                rows between unbounded preceding and current row
            ) as {{ dbt.type_bigint() }}
        ) as spell_number,
        {{ days_between('previous_ordered_at', 'ordered_at') }} as days_since_previous_order,
        net_amount,
        is_spell_start,
        customer_order_number = 1 as is_first_order,
        ordered_at,
        previous_ordered_at,
        next_ordered_at,
        customer_first_ordered_at,
        cast({{ lifecycle_run_number() }} as {{ dbt.type_bigint() }}) as lifecycle_run_number
    from flagged

)

select * from final
