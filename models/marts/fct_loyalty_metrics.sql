{#- The loyalty figures of METRICS.md §9 at the grains of var `lifecycle_grains`, with the lifecycle rates split
    by membership at period_start: the stocks and flows of int_loyalty_stocks_accumulated, and each rate through
    its own macro (macros/metrics/). -#}
{%- set published_grains = "'" ~ lifecycle_grains() | join("', '") ~ "'" %}

with

periods as (

    select * from {{ ref('int_loyalty_stocks_accumulated') }}

),

final as (

    select
        grain,
        members_at_end,
        participating_members,
        redeeming_members,
        points_earned,
        points_redeemed,
        points_expired,
        points_adjusted,
        positive_balance_customers_at_start,
        member_customers_at_start,
        member_retained_customers,
        non_member_customers_at_start,
        non_member_retained_customers,
        member_old_customers_at_start,
        member_reactivated_customers,
        non_member_old_customers_at_start,
        non_member_reactivated_customers,
        {{ participation_rate() }} as participation_rate,
        {{ points_redemption_rate() }} as points_redemption_rate,
        {{ member_redemption_rate() }} as member_redemption_rate,
        {{ member_base_retention_rate() }} as member_base_retention_rate,
        {{ non_member_base_retention_rate() }} as non_member_base_retention_rate,
        {{ member_reactivation_rate() }} as member_reactivation_rate,
        {{ non_member_reactivation_rate() }} as non_member_reactivation_rate,
        is_complete,
        period_start,
        period_end
    from periods
    where grain in ({{ published_grains }})

)

select * from final
