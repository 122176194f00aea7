-- The customers dim_customers calls active (any state but dormant) at metrics_as_of are exactly the
-- customers_at_end of the last day in fct_lifecycle_metrics: two independent derivations, one number.

with

customers as (

    select * from {{ ref('dim_customers') }}

),

metrics as (

    select * from {{ ref('fct_lifecycle_metrics') }}

),

active_now as (

    select count(*) as active_customers
    from customers
    where current_state <> 'dormant'

),

days as (

    select
        customers_at_end,
        row_number() over (order by period_start desc) as days_before_as_of
    from metrics
    where grain = 'day'

),

last_day as (

    select customers_at_end
    from days
    where days_before_as_of = 1

),

final as (

    select
        active_now.active_customers,
        last_day.customers_at_end
    from active_now
    cross join last_day
    where active_now.active_customers <> last_day.customers_at_end

)

select * from final
