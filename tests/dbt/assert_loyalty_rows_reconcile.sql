-- Every raw loyalty row is accounted for (METRICS.md §9): raw member lines = members + rejected member rows, and
-- raw event lines = counted events + rejected event rows. Returns one row per source whose counts disagree.

with

member_rows as (

    select * from {{ ref('base_loyalty__member_rows') }}

),

members as (

    select * from {{ ref('stg_loyalty__members') }}

),

rejected_members as (

    select * from {{ ref('stg_loyalty__rejected_members') }}

),

event_rows as (

    select * from {{ ref('base_loyalty__event_rows') }}

),

events as (

    select * from {{ ref('stg_loyalty__point_events') }}

),

rejected_events as (

    select * from {{ ref('stg_loyalty__rejected_point_events') }}

),

counts as (

    select
        'members' as source_name,
        (select count(*) from member_rows) as raw_rows,
        (select count(*) from members) as kept_rows,
        (select count(*) from rejected_members) as rejected_rows
    union all
    select
        'point events' as source_name,
        (select count(*) from event_rows) as raw_rows,
        (select count(*) from events) as kept_rows,
        (select count(*) from rejected_events) as rejected_rows

),

final as (

    select *
    from counts
    where raw_rows <> kept_rows + rejected_rows

)

select * from final
