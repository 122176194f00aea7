{{ config(materialized=incremental_materialization(), incremental_strategy='append') }}
-- depends_on: {{ ref('int_customer_states_historized') }}
-- depends_on: {{ ref('int_period_flows_aggregated') }}
{# One row per build of the lifecycle tables, appended once every incremental table of the build is written: what
    the next incremental run compares the input, metrics_as_of and the settings with (int_customers_changed). A
    full build (--full-refresh) starts the log again. -#}

with

order_versions as (

    select * from {{ ref('base_shop__order_versions') }}

),

as_of as (

    select * from {{ ref('base_shop__metrics_as_of') }}

),

changed_customers as (

    select * from {{ ref('int_customers_changed') }}

),

loads as (

    select max(source_load_number) as source_load_number
    from order_versions

),

changes as (

    select count(*) as changed_customers
    from changed_customers

),

final as (

    select
        cast({{ lifecycle_run_number() }} as {{ dbt.type_bigint() }}) as run_number,
        loads.source_load_number,
        {{ "false" if is_incremental() else "true" }} as is_full_build,
        changes.changed_customers,
        '{{ lifecycle_settings_fingerprint() | replace("'", "''") }}' as settings_fingerprint,
        as_of.metrics_as_of
    from loads
    cross join changes
    cross join as_of

)

select * from final
