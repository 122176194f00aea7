{%- set value = customer_value_params() -%}

with

orders as (

    select * from {{ ref('int_orders_sequenced') }}

),

spells as (

    select * from {{ ref('int_spells_identified') }}

),

as_of as (

    select * from {{ ref('stg_shop__metrics_as_of') }}

),

rfm_map as (

    select * from {{ ref('rfm_segments') }}

),

order_summary as (

    select
        customer_id,
        count(*) as order_count,
        sum(net_amount) as net_revenue,
        max(spell_number) as current_spell_number,
        min(ordered_at) as first_ordered_at,
        max(ordered_at) as last_ordered_at
    from orders
    group by customer_id

),

current_spells as (

    select
        order_summary.*,
        spells.started_at as current_spell_started_at,
        as_of.metrics_as_of
    from order_summary
    inner join spells
        on
            order_summary.customer_id = spells.customer_id
            and order_summary.current_spell_number = spells.spell_number
    cross join as_of

),

states as (

    select
        *,
        {{ lifecycle_state_at(
            'metrics_as_of', 'last_ordered_at', 'current_spell_started_at', 'current_spell_number'
        ) | indent(8) }} as current_state,
        floor({{ days_between('last_ordered_at', 'metrics_as_of') }}) as recency_days,
        {{ days_between('first_ordered_at', 'metrics_as_of') }} as tenure_days
    from current_spells

),

recency_counts as (

    -- scores come from the distribution of each value (one row per distinct value), joined back: the same
    -- quintiles as ranking every customer, at the cost of a group by instead of a sort of all customers
    select
        recency_days,
        count(*) as customers
    from states
    group by recency_days

),

recency_scores as (

    select
        recency_days,
        {{ quintile_score_from_counts('customers', 'recency_days', higher_is_better=false) }} as r_score
    from recency_counts

),

frequency_counts as (

    select
        order_count,
        count(*) as customers
    from states
    group by order_count

),

frequency_scores as (

    select
        order_count,
        {{ quintile_score_from_counts('customers', 'order_count') }} as f_score
    from frequency_counts

),

monetary_counts as (

    select
        net_revenue,
        count(*) as customers
    from states
    group by net_revenue

),

monetary_scores as (

    select
        net_revenue,
        {{ quintile_score_from_counts('customers', 'net_revenue') }} as m_score,
        sum(customers) over (
            order by net_revenue desc rows between unbounded preceding and current row
        ) as customers_at_or_above_monetary,
        sum(customers) over () as customer_count
    from monetary_counts

),

scored as (

    select
        states.*,
        recency_scores.r_score,
        frequency_scores.f_score,
        monetary_scores.m_score,
        monetary_scores.customers_at_or_above_monetary,
        monetary_scores.customer_count
    from states
    inner join recency_scores
        on states.recency_days = recency_scores.recency_days
    inner join frequency_scores
        on states.order_count = frequency_scores.order_count
    inner join monetary_scores
        on states.net_revenue = monetary_scores.net_revenue

),

valued as (

    select
        *,
        cast(floor((f_score + m_score + 1) / 2.0) as {{ dbt.type_int() }}) as fm_score,
        case
            when
                customers_at_or_above_monetary <= {{ value.high_share }} * customer_count + 1e-9
                then 'high'
            when
                customers_at_or_above_monetary
                <= {{ value.high_share + value.medium_share }} * customer_count + 1e-9
                then 'medium'
            else 'low'
        end as value_tier,
        {{ safe_divide('net_revenue', 'order_count') }} as average_order_value,
        order_count / (greatest(tenure_days, {{ value.min_tenure_days }}) / 365.25) as orders_per_year,
        case current_state
            {% for state, weight in value.state_weights.items() -%}
            when '{{ state }}' then {{ weight }}
            {% endfor -%}
        end as state_weight
    from scored

),

scores as (

    {{ rfm_scores() | indent(4) }}

),

segment_cells as (

    -- the 25 (r_score, fm_score) cells, each with the first segment of the map that holds it
    select
        r_scores.score as r_score,
        fm_scores.score as fm_score,
        rfm_map.rfm_segment,
        row_number() over (
            partition by r_scores.score, fm_scores.score order by rfm_map.priority
        ) as segment_preference
    from scores as r_scores
    cross join scores as fm_scores
    inner join rfm_map
        on
            r_scores.score between rfm_map.r_score_min and rfm_map.r_score_max
            and fm_scores.score between rfm_map.fm_score_min and rfm_map.fm_score_max

),

segmented as (

    select
        valued.*,
        segment_cells.rfm_segment
    from valued
    left join segment_cells
        on
            valued.r_score = segment_cells.r_score
            and valued.fm_score = segment_cells.fm_score
            and segment_cells.segment_preference = 1

),

final as (

    select
        customer_id,
        current_state,
        rfm_segment,
        value_tier,
        order_count,
        net_revenue,
        current_spell_number,
        cast(recency_days as {{ dbt.type_int() }}) as recency_days,
        order_count as frequency,
        net_revenue as monetary,
        r_score,
        f_score,
        m_score,
        fm_score,
        net_revenue as historical_clv,
        average_order_value,
        orders_per_year,
        average_order_value * orders_per_year as value_at_risk,
        average_order_value * orders_per_year * state_weight as predicted_12m_value,
        first_ordered_at,
        last_ordered_at,
        current_spell_started_at
    from segmented

)

select * from final
