{{ config(materialized='table') }}
-- depends_on: {{ ref('int_customers_changed') }}
{# The lifecycle events of the customers an incremental run recomputes, as the previous run left them, read before
    int_lifecycle_events_unioned replaces them: int_period_flows_aggregated subtracts their flows. Empty in a full
    build. -#}
{%- set events = lifecycle_relation('int_lifecycle_events_unioned') -%}
{%- set previous = lifecycle_previous_run() %}

with

{% if events is not none and previous is not none -%}
events as (

    select * from {{ events }}

),

changed_customers as (

    select * from {{ ref('int_customers_changed') }}

),

final as (

    select events.*
    from events
    inner join changed_customers
        on events.customer_id = changed_customers.customer_id

)
{%- else -%}
events as (

    select * from {{ ref('int_customers_changed') }}

),

final as (

    -- nothing to replace: no previous events (a first or full build); the columns of the events, no rows
    select
        customer_id,
        cast(null as {{ dbt.type_string() }}) as event_type,
        cast(null as {{ dbt.type_bigint() }}) as event_number,
        cast(null as {{ dbt.type_bigint() }}) as spell_number,
        cast(null as {{ money_type() }}) as net_amount,
        cast(null as {{ dbt.type_timestamp() }}) as event_at,
        cast(null as {{ dbt.type_timestamp() }}) as previous_event_at,
        cast(null as {{ dbt.type_timestamp() }}) as customer_first_ordered_at,
        cast(null as {{ dbt.type_timestamp() }}) as spell_started_at,
        cast(null as {{ dbt.type_string() }}) as alert_outcome
    from events
    where 1 = 0

)
{%- endif %}

select * from final
