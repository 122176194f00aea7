{{ config(
    materialized=incremental_materialization(),
    incremental_strategy='append',
    pre_hook="{{ delete_changed_customers() }}",
) }}
-- depends_on: {{ ref('int_customers_changed') }}
{% set params = lifecycle_params() -%}
{#- A table, incremental on DuckDB (a nightly run recomputes the customers of int_customers_changed only).
    METRICS.md §7: an alert A days after every valid order not followed by another within A days, raised when
    that instant is before metrics_as_of; its outcome follows from the customer's next order. -#}

with

orders as {{ changed_customers_cte() }} (

    select * from {{ ref('int_orders_sequenced') }}
    {{ changed_customers_only() }}

),

as_of as (

    select * from {{ ref('base_shop__metrics_as_of') }}

),

candidates as (

    select
        orders.order_id,
        orders.customer_id,
        orders.customer_order_number,
        orders.spell_number,
        orders.ordered_at,
        orders.next_ordered_at,
        as_of.metrics_as_of,
        {{ dbt.dateadd('day', params.at_risk_days, 'orders.ordered_at') }} as alert_at,
        {{ dbt.dateadd('day', params.dormancy_days, 'orders.ordered_at') }} as dormant_after
    from orders
    cross join as_of

),

alerts as (

    -- no other order within A days, and the alert instant already reached
    select *
    from candidates
    where
        (next_ordered_at is null or next_ordered_at > alert_at)
        and alert_at < metrics_as_of

),

outcomes as (

    select
        *,
        {{ dbt.dateadd('hour', params.response_hours, 'alert_at') }} as respond_by,
        case
            when next_ordered_at <= dormant_after then 'won_back'
            when dormant_after < metrics_as_of then 'lapsed'
            else 'open'
        end as outcome
    from alerts

),

final as (

    select
        order_id as alert_id,
        order_id,
        customer_id,
        customer_order_number,
        outcome,
        spell_number,
        coalesce(outcome = 'won_back' and next_ordered_at <= respond_by, false)
            as is_won_back_in_response_window,
        ordered_at,
        alert_at,
        respond_by,
        case
            when outcome = 'won_back' then next_ordered_at
            when outcome = 'lapsed' then dormant_after
        end as resolved_at
    from outcomes

)

select * from final
