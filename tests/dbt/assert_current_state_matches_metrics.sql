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

last_day as (

    select customers_at_end
    from metrics
    where
        grain = 'day'
        and period_start = (select max(period_start) from metrics where grain = 'day')

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
