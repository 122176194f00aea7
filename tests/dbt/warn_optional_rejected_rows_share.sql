{{ config(severity='warn') }}
-- Warns when more than var `rejected_rows_warn_share` (default 1 %) of the raw rows of an optional source (loyalty
-- members, loyalty point events) is rejected. Returns one row per such source with its counts; the same messages
-- are logged when the test runs.
{%- set max_share = var('rejected_rows_warn_share', 0.01) -%}
{%- do optional_rejected_rows_warning(max_share) %}

with

member_rows as (

    select * from {{ ref('base_loyalty__member_rows') }}

),

event_rows as (

    select * from {{ ref('base_loyalty__event_rows') }}

),

rejected_members as (

    select * from {{ ref('stg_loyalty__rejected_members') }}

),

rejected_events as (

    select * from {{ ref('stg_loyalty__rejected_point_events') }}

),

counts as (

    select
        'loyalty members' as source_name,
        (select count(*) from member_rows) as raw_rows,
        (select count(*) from rejected_members) as rejected_rows
    union all
    select
        'loyalty point events' as source_name,
        (select count(*) from event_rows) as raw_rows,
        (select count(*) from rejected_events) as rejected_rows

),

final as (

    select
        source_name,
        raw_rows,
        rejected_rows,
        {{ safe_divide('rejected_rows', 'raw_rows') }} as rejected_share
    from counts
    where rejected_rows > {{ max_share }} * raw_rows

)

select * from final
