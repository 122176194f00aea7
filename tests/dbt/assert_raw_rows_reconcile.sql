-- Every raw row is accounted for: raw rows = valid orders + superseded versions + rejected rows (METRICS.md §1).
-- Returns one row when the counts disagree.

with

order_versions as (

    select * from {{ ref('stg_shop__order_versions') }}

),

orders as (

    select * from {{ ref('stg_shop__orders') }}

),

rejected as (

    select * from {{ ref('stg_shop__rejected_orders') }}

),

counts as (

    select
        (select count(*) from order_versions) as raw_rows,
        (select count(*) from orders) as valid_rows,
        (select count(*) from order_versions where is_superseded) as superseded_rows,
        (select count(*) from rejected) as rejected_rows

),

final as (

    select *
    from counts
    where raw_rows <> valid_rows + superseded_rows + rejected_rows

)

select * from final
