{#- RFM: recency_days, frequency (orders) and monetary (net revenue) scored 1 to 5 by quintile across customers,
    fm_score, and the segment of seed rfm_segments, added to each customer's summary. -#}

with

customers as {{ inlined_cte() }} (

    {#- read by four branches: each scans the table for its own columns (materialised, every column of the summary
        was copied once more; at 25M customers dim_customers took 70.7 s instead of 58.0 s, its tests twice as long) -#}
    select * from {{ ref('int_customers_summarized') }}

),

rfm_map as (

    select * from {{ ref('rfm_segments') }}

),

recency_counts as (

    -- scores come from the distribution of each value (one row per distinct value), joined back: the same
    -- quintiles as ranking every customer, at the cost of a group by instead of a sort of all customers
    select
        recency_days,
        count(*) as customers_with_value
    from customers
    group by recency_days

),

recency_scores as (

    select
        recency_days,
        {{ quintile_score_from_counts('customers_with_value', 'recency_days', higher_is_better=false) }} as r_score
    from recency_counts

),

frequency_counts as (

    select
        order_count,
        count(*) as customers_with_value
    from customers
    group by order_count

),

frequency_scores as (

    select
        order_count,
        {{ quintile_score_from_counts('customers_with_value', 'order_count') }} as f_score
    from frequency_counts

),

monetary_counts as (

    select
        net_revenue,
        count(*) as customers_with_value
    from customers
    group by net_revenue

),

monetary_scores as (

    select
        net_revenue,
        {{ quintile_score_from_counts('customers_with_value', 'net_revenue') }} as m_score
    from monetary_counts

),

scored as (

    select
        customers.*,
        recency_scores.r_score,
        frequency_scores.f_score,
        monetary_scores.m_score
    from customers
    inner join recency_scores
        on customers.recency_days = recency_scores.recency_days
    inner join frequency_scores
        on customers.order_count = frequency_scores.order_count
    inner join monetary_scores
        on customers.net_revenue = monetary_scores.net_revenue

),

combined as (

    select
        *,
        cast(floor((f_score + m_score + 1) / 2.0) as {{ dbt.type_int() }}) as fm_score
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
        combined.*,
        segment_cells.rfm_segment
    from combined
    left join segment_cells
        on
            combined.r_score = segment_cells.r_score
            and combined.fm_score = segment_cells.fm_score
            and segment_cells.segment_preference = 1

),

final as (

    {#- the summary's columns pass through, so that the value tiers and dim_customers add to these rows instead of
        joining them again: each join of two customer-grain relations cost dim_customers about 15 s at 25M -#}
    select
        customer_id,
        current_state,
        order_count,
        net_revenue,
        current_spell_number,
        recency_days,
        tenure_days,
        first_ordered_at,
        last_ordered_at,
        current_spell_started_at,
        order_count as frequency,
        net_revenue as monetary,
        r_score,
        f_score,
        m_score,
        fm_score,
        rfm_segment
    from segmented

)

select * from final
