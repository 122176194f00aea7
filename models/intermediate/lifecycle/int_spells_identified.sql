{{ config(
    materialized=incremental_materialization(),
    incremental_strategy='append',
    pre_hook="{{ delete_changed_customers() }}",
    post_hook="{{ insert_customer_batches() }}",
) }}
-- depends_on: {{ ref('int_customers_changed') }}
{# A table: the marts, the events and the state timeline all read the spells; computing them once is cheaper.
    Incremental on DuckDB: a nightly run recomputes the customers of int_customers_changed only. -#}
{%- set params = lifecycle_params() -%}

with

orders as (

    select * from {{ ref('int_orders_sequenced') }}
    {{ changed_customers_only(batched=true) }}

),

as_of as (

    select * from {{ ref('base_shop__metrics_as_of') }}

),

spells as (

    select
        customer_id,
        spell_number,
        count(*) as order_count,
        sum(net_amount) as net_revenue,
        min(ordered_at) as started_at,
        max(ordered_at) as last_ordered_at
    from orders
    group by customer_id, spell_number

),

with_previous as (

    select
        *,
        lag(started_at) over (partition by customer_id order by spell_number) as previous_started_at,
        lag(last_ordered_at) over (partition by customer_id order by spell_number) as previous_last_ordered_at
    from spells

),

final as (

    select
        {{ dbt.concat(["spells.customer_id", "'-'", "cast(spells.spell_number as " ~ dbt.type_string() ~ ")"]) }}
            as spell_id,
        spells.customer_id,
        spells.spell_number,
        spells.order_count,
        spells.net_revenue,
        spells.spell_number = 1 as is_first_spell,
        {#- The spell keeps its customer active until exactly D days after its last order; that instant is
            the churn, when it falls before metrics_as_of (METRICS.md §3). -#}
        {{ dbt.dateadd('day', params.dormancy_days, 'spells.last_ordered_at') }} < as_of.metrics_as_of
            as is_churned,
        spells.started_at,
        spells.last_ordered_at,
        {{ dbt.dateadd('day', params.dormancy_days, 'spells.last_ordered_at') }} as active_until,
        spells.previous_started_at,
        {{ dbt.dateadd('day', params.dormancy_days, 'spells.previous_last_ordered_at') }} as previous_active_until
    from with_previous as spells
    cross join as_of

)

select * from final
