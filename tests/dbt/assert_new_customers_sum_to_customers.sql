-- Summing new_customers over the periods of any grain gives the number of customers with a valid order
-- (METRICS.md §4). Returns the grains where it does not.

with

metrics as (

    select * from {{ ref('fct_lifecycle_metrics') }}

),

orders as (

    select * from {{ ref('stg_shop__orders') }}

),

customers as (

    select count(distinct customer_id) as customer_count
    from orders

),

new_by_grain as (

    select
        grain,
        sum(new_customers) as new_customers
    from metrics
    group by grain

),

final as (

    select
        new_by_grain.grain,
        new_by_grain.new_customers,
        customers.customer_count
    from new_by_grain
    cross join customers
    where new_by_grain.new_customers <> customers.customer_count

)

select * from final
