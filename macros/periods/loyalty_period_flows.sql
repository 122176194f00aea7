{% macro loyalty_period_flows(grain, facts_relation) %}
{#- The loyalty flows of METRICS.md §9 for one grain: one row per period holding at least one loyalty fact
    (int_loyalty_facts_unioned), each counted in the period that contains it, in one pass. Distinct customers are
    counted at their first fact of a kind in the period (previous one in an earlier period), as period_flows does.
    Membership at period_start: enrolled_at < period_start <= left_at, tested on the period holding each. -#}
{%- do validate_grain(grain) -%}
{%- set period_start = truncate_to_grain(grain, "fact_at") -%}
{%- set is_first_in_period = "(previous_fact_at is null or "
    ~ truncate_to_grain(grain, "previous_fact_at") ~ " < " ~ period_start ~ ")" -%}
{%- set is_first_redemption = "(previous_redemption_at is null or "
    ~ truncate_to_grain(grain, "previous_redemption_at") ~ " < " ~ period_start ~ ")" -%}
{%- set is_member_at_start = "(" ~ truncate_to_grain(grain, "enrolled_at") ~ " < " ~ period_start
    ~ " and (left_at is null or " ~ truncate_to_grain(grain, "left_at") ~ " >= " ~ period_start ~ "))" -%}
{%- set is_spell_at_start = truncate_to_grain(grain, "spell_started_at") ~ " < " ~ period_start -%}
select
    '{{ grain }}' as grain,
    {{ period_start }} as period_start,
    {{ count_where("fact_type = 'enrollment'") }} as enrollments,
    {{ count_where("fact_type = 'leaving'") }} as leavings,
    {{ count_where("fact_type in ('earn', 'redeem') and " ~ is_first_in_period) }} as participating_members,
    {{ count_where("fact_type = 'redeem' and " ~ is_first_redemption) }} as redeeming_members,
    sum(case when fact_type = 'earn' then points end) as points_earned,
    sum(case when fact_type = 'redeem' then points end) as points_redeemed,
    sum(case when fact_type = 'expire' then points end) as points_expired,
    sum(case when fact_type = 'adjust' then points end) as points_adjusted,
    {{ count_where("fact_type = 'balance_positive_start'") }} as positive_balance_starts,
    {{ count_where("fact_type = 'balance_positive_end'") }} as positive_balance_ends,
    {{ count_where("fact_type = 'member_active_start'") }} as member_active_starts,
    {{ count_where("fact_type = 'member_active_end'") }} as member_active_ends,
    {{ count_where("fact_type = 'member_old_start'") }} as member_old_starts,
    {{ count_where("fact_type = 'member_old_end'") }} as member_old_ends,
    {{ count_where("fact_type = 'churn' and " ~ is_spell_at_start ~ " and " ~ is_member_at_start) }}
        as member_base_lost_customers,
    {{ count_where("fact_type = 'reactivation' and " ~ is_first_in_period ~ " and " ~ is_member_at_start) }}
        as member_reactivated_customers
from {{ facts_relation }}
group by {{ period_start }}
{%- endmacro %}
