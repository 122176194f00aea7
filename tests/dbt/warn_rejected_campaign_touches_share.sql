{{ config(severity='warn') }}
-- Warns when more than var `rejected_rows_warn_share` (default 1 %) of the raw campaign touches is rejected.
-- Returns one row with the counts and the top reasons; the same message is logged when the test runs.
{%- set max_share = var('rejected_rows_warn_share', 0.01) -%}
{%- set message = campaign_touches_rejected_warning(max_share) %}

with

touch_versions as (

    select * from {{ ref('base_campaigns__touch_versions') }}

),

rejected as (

    select * from {{ ref('stg_campaigns__rejected_touches') }}

),

raw_counts as (

    select count(*) as raw_rows
    from touch_versions

),

rejected_counts as (

    select count(*) as rejected_rows
    from rejected

),

final as (

    select
        raw_counts.raw_rows,
        rejected_counts.rejected_rows,
        '{{ dbt.escape_single_quotes(message) }}' as message,
        {{ safe_divide('rejected_counts.rejected_rows', 'raw_counts.raw_rows') }} as rejected_share
    from raw_counts
    cross join rejected_counts
    where rejected_counts.rejected_rows > {{ max_share }} * raw_counts.raw_rows

)

select * from final
