{{ config(severity='warn') }}
-- Volume check: warns when the valid orders of the last complete day (in reporting_timezone) fall outside
-- [median × (1 − t), median × (1 + t)] of the 28 days before it, t = var `orders_volume_tolerance` (default 0.5).
-- Silent until the history covers those 28 days. Returns the day, its orders and the band.
{%- set tolerance = var('orders_volume_tolerance', 0.5) -%}
{%- if tolerance is not number or tolerance <= 0 -%}
    {{ exceptions.raise_compiler_error("orders_volume_tolerance must be a positive number, got '" ~ tolerance ~ "'") }}
{%- endif -%}
{%- set order_day = dbt.date_trunc('day', to_reporting_timezone('orders.ordered_at')) %}

with

orders as (

    select * from {{ ref('stg_shop__orders') }}

),

as_of as (

    select * from {{ ref('base_shop__metrics_as_of') }}

),

last_complete_day as (

    select
        {{ dbt.dateadd('day', -1, dbt.date_trunc('day', to_reporting_timezone('metrics_as_of'))) }}
            as day_start
    from as_of

),

window_days as (

    -- days_back 0 is the last complete day; 1 to 28 the trailing window
    select
        integer_series.days_back,
        {{ dbt.dateadd('day', '-integer_series.days_back', 'last_complete_day.day_start') }} as day_start
    from last_complete_day
    {{ join_integer_series(29, 'days_back') }}

),

daily_orders as (

    select
        {{ order_day }} as day_start,
        count(*) as orders
    from orders
    cross join last_complete_day
    where
        {{ order_day }} <= last_complete_day.day_start
        and {{ order_day }} >= {{ dbt.dateadd('day', -28, 'last_complete_day.day_start') }}
    group by {{ order_day }}

),

window_counts as (

    select
        window_days.days_back,
        window_days.day_start,
        coalesce(daily_orders.orders, 0) as orders
    from window_days
    left join daily_orders
        on window_days.day_start = daily_orders.day_start

),

history as (

    select min({{ order_day }}) as first_order_day
    from orders

),

band as (

    select {{ median('orders') }} as median_orders
    from window_counts
    where days_back > 0

),

final as (

    select
        window_counts.day_start,
        window_counts.orders,
        band.median_orders,
        band.median_orders * {{ 1 - tolerance }} as lower_bound,
        band.median_orders * {{ 1 + tolerance }} as upper_bound
    from window_counts
    cross join band
    cross join history
    where
        window_counts.days_back = 0
        and history.first_order_day <= {{ dbt.dateadd('day', -28, 'window_counts.day_start') }}
        and (
            window_counts.orders < band.median_orders * {{ 1 - tolerance }}
            or window_counts.orders > band.median_orders * {{ 1 + tolerance }}
        )

)

select * from final
