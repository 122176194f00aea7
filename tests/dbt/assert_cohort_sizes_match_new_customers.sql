-- Cohort sizes equal new_customers of fct_lifecycle_metrics for the same grain and period (METRICS.md §8).
-- Returns the cohorts where they differ.

with

cohorts as (

    select * from {{ ref('fct_cohort_retention') }}

),

metrics as (

    select * from {{ ref('fct_lifecycle_metrics') }}

),

cohort_grains as (

    select distinct grain
    from cohorts

),

cohort_sizes as (

    select
        grain,
        cohort_period_start,
        cohort_size
    from cohorts
    where periods_since_first = 0

),

final as (

    select
        metrics.grain,
        metrics.period_start,
        metrics.new_customers,
        cohort_sizes.cohort_size
    from metrics
    inner join cohort_grains
        on metrics.grain = cohort_grains.grain
    left join cohort_sizes
        on
            metrics.grain = cohort_sizes.grain
            and metrics.period_start = cohort_sizes.cohort_period_start
    where coalesce(cohort_sizes.cohort_size, 0) <> metrics.new_customers

)

select * from final
