-- Every raw row is accounted for: raw rows = valid orders + superseded versions + rejected rows (METRICS.md §1).
-- Returns one row when the counts disagree.

with

order_versions as (

    select * from {{ ref('base_shop__order_versions') }}

),

orders as (

    select * from {{ ref('stg_shop__orders') }}

),

rejected as (

    select * from {{ ref('stg_shop__rejected_orders') }}

),

version_counts as (

    select
        count(*) as raw_rows,
        sum(case when is_superseded then 1 else 0 end) as superseded_rows
    from order_versions

),

valid_counts as (

    select count(*) as valid_rows
    from orders

),

rejected_counts as (

    select count(*) as rejected_rows
    from rejected

),

counts as (

    select
        version_counts.raw_rows,
        valid_counts.valid_rows,
        version_counts.superseded_rows,
        rejected_counts.rejected_rows
    from version_counts
    cross join valid_counts
    cross join rejected_counts

),

final as (

    select *
    from counts
    where raw_rows <> valid_rows + superseded_rows + rejected_rows

)

select * from final
