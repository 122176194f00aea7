{{ config(materialized=shared_view_materialization()) }}
{#- The loyalty stocks of every period, at every grain, as running sums of the flows of earlier periods (or of the
    period itself, for "at end"), beside the flows; and the lifecycle stocks of the same period, split by
    membership at period_start. Flows dated before the first published period (point events before the earliest
    enrollment) still count in the running sums. -#}

with

periods as (

    select * from {{ ref('int_loyalty_periods_spined') }}

),

flows as (

    select * from {{ ref('int_loyalty_flows_aggregated') }}

),

lifecycle as (

    select * from {{ ref('int_period_stocks_accumulated') }}

),

first_periods as (

    select
        grain,
        min(period_start) as first_period_start
    from periods
    group by grain

),

timeline as (

    select
        grain,
        period_start,
        period_end,
        is_complete,
        true as is_published
    from periods
    union all
    select
        flows.grain,
        flows.period_start,
        cast(null as date) as period_end,
        true as is_complete,
        false as is_published
    from flows
    inner join first_periods
        on flows.grain = first_periods.grain
    where flows.period_start < first_periods.first_period_start

),

filled as (

    select
        timeline.*,
        coalesce(flows.enrollments, 0) as enrollments,
        coalesce(flows.leavings, 0) as leavings,
        coalesce(flows.participating_members, 0) as participating_members,
        coalesce(flows.redeeming_members, 0) as redeeming_members,
        coalesce(flows.points_earned, 0) as points_earned,
        coalesce(flows.points_redeemed, 0) as points_redeemed,
        coalesce(flows.points_expired, 0) as points_expired,
        coalesce(flows.points_adjusted, 0) as points_adjusted,
        coalesce(flows.positive_balance_starts, 0) as positive_balance_starts,
        coalesce(flows.positive_balance_ends, 0) as positive_balance_ends,
        coalesce(flows.member_active_starts, 0) as member_active_starts,
        coalesce(flows.member_active_ends, 0) as member_active_ends,
        coalesce(flows.member_old_starts, 0) as member_old_starts,
        coalesce(flows.member_old_ends, 0) as member_old_ends,
        coalesce(flows.member_base_lost_customers, 0) as member_base_lost_customers,
        coalesce(flows.member_reactivated_customers, 0) as member_reactivated_customers
    from timeline
    left join flows
        on
            timeline.grain = flows.grain
            and timeline.period_start = flows.period_start

),

running_sums as (

    select
        *,
        cast(coalesce(
            sum(enrollments - leavings) over (
                partition by grain
                order by period_start
                rows between unbounded preceding and current row
            ),
            0
        ) as {{ dbt.type_bigint() }}) as members_at_end,
        cast(coalesce(
            sum(positive_balance_starts - positive_balance_ends) over (
                partition by grain
                order by period_start
                rows between unbounded preceding and 1 preceding
            ),
            0
        ) as {{ dbt.type_bigint() }}) as positive_balance_customers_at_start,
        cast(coalesce(
            sum(member_active_starts - member_active_ends) over (
                partition by grain
                order by period_start
                rows between unbounded preceding and 1 preceding
            ),
            0
        ) as {{ dbt.type_bigint() }}) as member_customers_at_start,
        cast(coalesce(
            sum(member_old_starts - member_old_ends) over (
                partition by grain
                order by period_start
                rows between unbounded preceding and 1 preceding
            ),
            0
        ) as {{ dbt.type_bigint() }}) as member_old_customers_at_start
    from filled

),

final as (

    select
        running_sums.grain,
        running_sums.period_start,
        running_sums.period_end,
        running_sums.is_complete,
        running_sums.members_at_end,
        running_sums.participating_members,
        running_sums.points_earned,
        running_sums.points_redeemed,
        running_sums.points_expired,
        running_sums.points_adjusted,
        running_sums.redeeming_members,
        running_sums.positive_balance_customers_at_start,
        running_sums.member_customers_at_start,
        running_sums.member_customers_at_start - running_sums.member_base_lost_customers
            as member_retained_customers,
        coalesce(lifecycle.customers_at_start, 0) - running_sums.member_customers_at_start
            as non_member_customers_at_start,
        coalesce(lifecycle.retained_customers, 0) - running_sums.member_customers_at_start
        + running_sums.member_base_lost_customers as non_member_retained_customers,
        running_sums.member_old_customers_at_start,
        running_sums.member_reactivated_customers,
        coalesce(lifecycle.old_customers_at_start, 0) - running_sums.member_old_customers_at_start
            as non_member_old_customers_at_start,
        coalesce(lifecycle.reactivated_customers, 0) - running_sums.member_reactivated_customers
            as non_member_reactivated_customers
    from running_sums
    left join lifecycle
        on
            running_sums.grain = lifecycle.grain
            and running_sums.period_start = lifecycle.period_start
    where running_sums.is_published

)

select * from final
