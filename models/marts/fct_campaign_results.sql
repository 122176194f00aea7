{#- METRICS.md §10 per campaign: treated (non-control) and control groups side by side, each customer counted once
    per group with the state at their first touch of the campaign in it; lifts with Newcombe's interval. -#}

with

touches as (

    select * from {{ ref('int_campaign_touches_evaluated') }}

),

numbered_touches as (

    select
        *,
        row_number() over (
            partition by campaign_id, is_control, customer_id
            order by touched_at, touch_id
        ) as customer_touch_number
    from touches

),

group_customers as (

    select
        campaign_id,
        is_control,
        customer_id,
        max(case when customer_touch_number = 1 then state_at_touch end) = 'dormant' as is_dormant,
        max(case when is_responded then 1 else 0 end) = 1 as has_responded
    from numbered_touches
    group by campaign_id, is_control, customer_id

),

group_counts as (

    select
        campaign_id,
        {{ count_where("not is_control") }} as treated_customers,
        {{ count_where("is_control") }} as control_customers,
        {{ count_where("not is_control and has_responded") }} as treated_responders,
        {{ count_where("is_control and has_responded") }} as control_responders,
        {{ count_where("not is_control and is_dormant") }} as treated_dormant_customers,
        {{ count_where("is_control and is_dormant") }} as control_dormant_customers,
        {{ count_where("not is_control and is_dormant and has_responded") }} as treated_reactivated_customers,
        {{ count_where("is_control and is_dormant and has_responded") }} as control_reactivated_customers
    from group_customers
    group by campaign_id

),

campaign_touches as (

    select
        campaign_id,
        {{ count_where("not is_control") }} as treated_touches,
        {{ count_where("is_control") }} as control_touches,
        cast(sum(case when not is_control then attributed_orders else 0 end) as {{ dbt.type_bigint() }})
            as attributed_orders,
        sum(case when not is_control then attributed_net_revenue else 0 end) as attributed_net_revenue,
        sum(case when not is_control then cost else 0 end) as cost,  -- noqa: RF04
        min(touched_at) as first_touched_at,
        max(touched_at) as last_touched_at
    from touches
    group by campaign_id

),

distinct_channels as (

    select distinct
        campaign_id,
        channel
    from touches
    where channel is not null

),

campaign_channels as (

    select
        campaign_id,
        {{ dbt.listagg('channel', "', '", 'order by channel') }} as channels
    from distinct_channels
    group by campaign_id

),

rates as (

    select
        group_counts.*,
        {{ campaign_response_rate('treated_responders', 'treated_customers') }} as treated_response_rate,
        {{ campaign_response_rate('control_responders', 'control_customers') }} as control_response_rate,
        {{ campaign_reactivation_rate('treated_reactivated_customers', 'treated_dormant_customers') }}
            as treated_reactivation_rate,
        {{ campaign_reactivation_rate('control_reactivated_customers', 'control_dormant_customers') }}
            as control_reactivation_rate,
        {{ rate_lift_lower('treated_responders', 'treated_customers', 'control_responders', 'control_customers') }}
            as response_rate_lift_lower,
        {{ rate_lift_upper('treated_responders', 'treated_customers', 'control_responders', 'control_customers') }}
            as response_rate_lift_upper,
        {{ rate_lift_lower(
            'treated_reactivated_customers', 'treated_dormant_customers',
            'control_reactivated_customers', 'control_dormant_customers'
        ) }} as reactivation_rate_lift_lower,
        {{ rate_lift_upper(
            'treated_reactivated_customers', 'treated_dormant_customers',
            'control_reactivated_customers', 'control_dormant_customers'
        ) }} as reactivation_rate_lift_upper
    from group_counts

),

final as (

    select
        rates.campaign_id,
        campaign_channels.channels,
        campaign_touches.treated_touches,
        campaign_touches.control_touches,
        rates.treated_customers,
        rates.control_customers,
        rates.treated_responders,
        rates.control_responders,
        rates.treated_response_rate,
        rates.control_response_rate,
        {{ rate_lift('rates.treated_response_rate', 'rates.control_response_rate') }} as response_rate_lift,
        rates.response_rate_lift_lower,
        rates.response_rate_lift_upper,
        rates.response_rate_lift_lower > 0 or rates.response_rate_lift_upper < 0 as is_response_rate_lift_significant,
        rates.treated_dormant_customers,
        rates.control_dormant_customers,
        rates.treated_reactivated_customers,
        rates.control_reactivated_customers,
        rates.treated_reactivation_rate,
        rates.control_reactivation_rate,
        {{ rate_lift('rates.treated_reactivation_rate', 'rates.control_reactivation_rate') }}
            as reactivation_rate_lift,
        rates.reactivation_rate_lift_lower,
        rates.reactivation_rate_lift_upper,
        rates.reactivation_rate_lift_lower > 0 or rates.reactivation_rate_lift_upper < 0
            as is_reactivation_rate_lift_significant,
        campaign_touches.attributed_orders,
        campaign_touches.attributed_net_revenue,
        campaign_touches.cost,
        {{ cost_per_reactivated_customer('campaign_touches.cost', 'rates.treated_reactivated_customers') }}
            as cost_per_reactivated_customer,
        campaign_touches.first_touched_at,
        campaign_touches.last_touched_at
    from rates
    inner join campaign_touches
        on rates.campaign_id = campaign_touches.campaign_id
    left join campaign_channels
        on rates.campaign_id = campaign_channels.campaign_id

)

select * from final
