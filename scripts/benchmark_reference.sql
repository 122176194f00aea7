-- Hand-written reference for fct_lifecycle_metrics (METRICS.md sections 1-4), one DuckDB statement.
--
-- Placeholders, filled in by scripts/benchmark.py:
--   {reader}          read_parquet or read_csv (the raw orders file's format)
--   {orders_path}     the raw orders file (METRICS.md section 1 columns, status column present)
--   {file_position}   the row's position in the file: file_row_number for parquet (a virtual
--                     column, parallel), row_number() over () for csv (serialises the scan)
--   {metrics_as_of}   the instant "now", e.g. 2026-01-01 or 2026-01-01 00:00:00 (UTC)
--   {dormancy_days}   D, lifecycle_dormancy_days
--   {ordered_at}, {updated_at}
--                     the UTC timestamp of the parsed row: the typed column as it is when the file
--                     keeps timestamps typed (Parquet), else the text parsed (parsed_timestamp below)
-- Reporting timezone UTC; grains day, week (ISO, Monday), month, quarter, year.
--
-- Event-based: every figure is a sum over dated events (spell starts, churns,
-- orders), rolled up day -> period, and the customer base is a running sum of
-- starts minus churns; nothing is computed per customer x period.
--   active at t  <=>  some valid order o with o < t <= o + D
--   CS(t)        =    spell starts before t - churns before t
-- A customer is active at most once at a time, so "distinct customers" counts
-- need only look at the customer's previous spell.

with

params as (
    select
        cast('{metrics_as_of}' as timestamp) as as_of,
        to_days({dormancy_days}) as dormancy,
),

-- raw rows with their position in the file
raw_rows as (
    select
        {file_position} as file_position,
        order_id::varchar as order_id,
        nullif(trim(customer_id::varchar), '') as customer_id,
        ordered_at,
        lower(trim(status::varchar)) as status,
        try_cast(amount as decimal(18, 2)) as amount,
        case
            when refunded_amount is null then 0
            when try_cast(refunded_amount as decimal(18, 2)) is not null
                then try_cast(refunded_amount as decimal(18, 2))
            when trim(refunded_amount::varchar) = '' then 0
        end as refunded_amount,
        updated_at,
    from {reader}('{orders_path}')
),

-- ISO-8601 text -> UTC timestamp. A plain timestamp cast ignores an offset (right
-- for 'Z' and for text without one, which is UTC), so text with a +hh:mm / -hh:mm
-- offset after the date goes through timestamptz.
parsed_rows as (
    select * replace (
        {ordered_at} as ordered_at,
        {updated_at} as updated_at
    )
    from raw_rows
),

-- every version judged on its own; invalid versions keep only their version key
judged_rows as (
    select
        order_id,
        -- version key: updated_at (missing or unparseable = oldest), then file position
        coalesce(epoch_us(updated_at), -9223372036854775807)::hugeint * 4294967296 + file_position as version_key,
        customer_id is not null
        and ordered_at is not null
        and status in ('completed', 'paid', 'shipped', 'delivered')
        and amount >= 0
        and amount - refunded_amount > 0
        and ordered_at < params.as_of as is_valid,
        case when is_valid then customer_id end as customer_id,
        case when is_valid then ordered_at end as ordered_at,
        case when is_valid then amount - refunded_amount end as net_amount,
    from parsed_rows
    cross join params
),

-- the latest version of each order, kept if valid (arg_max_null: arg_max skips NULLs)
valid_orders as (
    select *
    from (
        select
            arg_max_null(customer_id, version_key) as customer_id,
            arg_max_null(ordered_at, version_key) as ordered_at,
            arg_max_null(net_amount, version_key) as net_amount,
        from judged_rows
        group by order_id
    )
    where customer_id is not null
),

-- each order with its customer's previous and next order
sequenced_orders as (
    select
        customer_id,
        ordered_at,
        net_amount,
        lag(ordered_at) over by_customer as previous_at,
        lead(ordered_at) over by_customer as next_at,
    from valid_orders
    window by_customer as (partition by customer_id order by ordered_at)
),

-- orders that start or end a spell (an order may do both)
spell_boundaries as (
    select
        customer_id,
        ordered_at,
        previous_at,
        previous_at is null or ordered_at > previous_at + params.dormancy as is_start,
        next_at is null or next_at > ordered_at + params.dormancy as is_end,
    from sequenced_orders
    cross join params
    where is_start or is_end
),

-- Boundaries in order run start, end, start, end, ... (a one-order spell is one row
-- that is both), so the spell's start and the previous spell's start are one or two
-- rows back, and a spell's start has previous_at = the previous spell's last order.
spell_events as (
    select
        customer_id,
        is_start,
        is_end,
        case when is_start then ordered_at else lag(ordered_at) over by_boundary end as started_at,
        -- for starts: the start of the previous spell, if that spell was itself a reactivation
        case
            when lag(is_start) over by_boundary and lag(previous_at) over by_boundary is not null
                then lag(ordered_at) over by_boundary
            when not lag(is_start) over by_boundary and lag(previous_at, 2) over by_boundary is not null
                then lag(ordered_at, 2) over by_boundary
        end as previous_reactivation_at,
        -- for ends: the churn of the previous spell, if any
        case when is_start then previous_at else lag(previous_at) over by_boundary end + params.dormancy
            as previous_churned_at,
        ordered_at + params.dormancy as churned_at,
        previous_at is null as is_first_spell_start,
    from spell_boundaries
    cross join params
    window by_boundary as (partition by customer_id order by ordered_at, is_end)
),

-- Day-level counts. Periods start at midnight, so "the customer's previous X is in
-- an earlier period" is "previous X's day < date_trunc(grain, this day)"; grouping
-- by (day, previous day) first keeps date_trunc off the per-order rows.
order_day_pairs as (
    select
        ordered_at::date as day,
        previous_at::date as previous_day,
        count(*) as orders,
        sum(net_amount) as net_revenue,
    from sequenced_orders
    group by all
),

order_days as (
    select
        day,
        sum(orders) as orders,
        sum(net_revenue) as net_revenue,
        -- ordering_<grain>: the customer's first order in the period
        coalesce(sum(orders) filter (where previous_day is null or previous_day < day), 0) as ordering_day,
        coalesce(sum(orders) filter (where previous_day is null or previous_day < date_trunc('week', day)), 0)
            as ordering_week,
        coalesce(sum(orders) filter (where previous_day is null or previous_day < date_trunc('month', day)), 0)
            as ordering_month,
        coalesce(sum(orders) filter (where previous_day is null or previous_day < date_trunc('quarter', day)), 0)
            as ordering_quarter,
        coalesce(sum(orders) filter (where previous_day is null or previous_day < date_trunc('year', day)), 0)
            as ordering_year,
    from order_day_pairs
    group by day
),

start_day_pairs as (
    select
        started_at::date as day,
        is_first_spell_start as is_new,
        -- the customer's previous reactivation, if any
        previous_reactivation_at::date as previous_day,
        count(*) as starts,
    from spell_events
    where is_start
    group by all
),

start_days as (
    select
        day,
        coalesce(sum(starts) filter (where is_new), 0) as new_customers,
        coalesce(sum(starts) filter (where not is_new), 0) as reactivation_events,
        -- reactivated_<grain>: the customer's first reactivation in the period
        coalesce(sum(starts) filter (where not is_new and (previous_day is null or previous_day < day)), 0)
            as reactivated_day,
        coalesce(
            sum(starts) filter (where not is_new and (previous_day is null or previous_day < date_trunc('week', day))),
            0
        ) as reactivated_week,
        coalesce(
            sum(starts) filter (where not is_new and (previous_day is null or previous_day < date_trunc('month', day))),
            0
        ) as reactivated_month,
        coalesce(
            sum(starts) filter (
                where not is_new and (previous_day is null or previous_day < date_trunc('quarter', day))
            ),
            0
        ) as reactivated_quarter,
        coalesce(
            sum(starts) filter (where not is_new and (previous_day is null or previous_day < date_trunc('year', day))),
            0
        ) as reactivated_year,
    from start_day_pairs
    group by day
),

churn_day_triples as (
    select
        churned_at::date as day,
        previous_churned_at::date as previous_day,
        started_at::date as started_day,
        count(*) as churns,
    from spell_events
    cross join params
    where is_end and churned_at < params.as_of
    group by all
),

churn_days as (
    select
        day,
        sum(churns) as churn_events,
        -- churned_<grain>: the customer's first churn in the period
        coalesce(sum(churns) filter (where previous_day is null or previous_day < day), 0) as churned_day,
        coalesce(sum(churns) filter (where previous_day is null or previous_day < date_trunc('week', day)), 0)
            as churned_week,
        coalesce(sum(churns) filter (where previous_day is null or previous_day < date_trunc('month', day)), 0)
            as churned_month,
        coalesce(sum(churns) filter (where previous_day is null or previous_day < date_trunc('quarter', day)), 0)
            as churned_quarter,
        coalesce(sum(churns) filter (where previous_day is null or previous_day < date_trunc('year', day)), 0)
            as churned_year,
        -- lost_<grain>: churn of a spell that started before the period, i.e. was in customers_at_start
        coalesce(sum(churns) filter (where started_day < day), 0) as lost_day,
        coalesce(sum(churns) filter (where started_day < date_trunc('week', day)), 0) as lost_week,
        coalesce(sum(churns) filter (where started_day < date_trunc('month', day)), 0) as lost_month,
        coalesce(sum(churns) filter (where started_day < date_trunc('quarter', day)), 0) as lost_quarter,
        coalesce(sum(churns) filter (where started_day < date_trunc('year', day)), 0) as lost_year,
    from churn_day_triples
    group by day
),

event_days as (
    select
        day,
        coalesce(o.orders, 0) as orders,
        coalesce(o.net_revenue, 0) as net_revenue,
        coalesce(s.new_customers, 0) as new_customers,
        coalesce(s.reactivation_events, 0) as reactivation_events,
        coalesce(c.churn_events, 0) as churn_events,
        [o.ordering_day, o.ordering_week, o.ordering_month, o.ordering_quarter, o.ordering_year]
            as ordering_by_grain,
        [s.reactivated_day, s.reactivated_week, s.reactivated_month, s.reactivated_quarter, s.reactivated_year]
            as reactivated_by_grain,
        [c.churned_day, c.churned_week, c.churned_month, c.churned_quarter, c.churned_year] as churned_by_grain,
        [c.lost_day, c.lost_week, c.lost_month, c.lost_quarter, c.lost_year] as lost_by_grain,
    from order_days as o
    full join start_days as s using (day)
    full join churn_days as c using (day)
),

grains as (
    select *
    from (
        values
            (1, 'day', interval 1 day),
            (2, 'week', interval 7 day),
            (3, 'month', interval 1 month),
            (4, 'quarter', interval 3 month),
            (5, 'year', interval 1 year),
    ) as g(grain_index, grain, step)
),

-- every period from the one holding the first valid order to the last one starting before as_of
periods as (
    select
        grains.grain_index,
        grains.grain,
        period_start,
        period_start + grains.step as period_end,
    from grains
    cross join params
    cross join (select min(ordered_at) as first_order_at from valid_orders) as bounds
    cross join lateral unnest(
        generate_series(date_trunc(grains.grain, bounds.first_order_at), params.as_of, grains.step)
    ) as s(period_start)
    where period_start < params.as_of
),

period_events as (
    select
        p.grain,
        p.period_start::date as period_start,
        p.period_end::date as period_end,
        p.period_end <= params.as_of as is_complete,
        coalesce(sum(d.new_customers), 0) as new_customers,
        coalesce(sum(d.reactivated_by_grain[p.grain_index]), 0) as reactivated_customers,
        coalesce(sum(d.churned_by_grain[p.grain_index]), 0) as churned_customers,
        coalesce(sum(d.reactivation_events), 0) as reactivation_events,
        coalesce(sum(d.churn_events), 0) as churn_events,
        coalesce(sum(d.lost_by_grain[p.grain_index]), 0) as lost_customers,
        coalesce(sum(d.ordering_by_grain[p.grain_index]), 0) as ordering_customers,
        coalesce(sum(d.orders), 0) as orders,
        coalesce(sum(d.net_revenue), 0) as net_revenue,
    from periods as p
    cross join params
    left join event_days as d
        on d.day >= p.period_start
        and d.day < p.period_end
    group by all
),

-- running sums over earlier periods give the state at period_start
period_states as (
    select
        *,
        coalesce(
            sum(new_customers + reactivation_events - churn_events) over earlier_periods,
            0
        ) as customers_at_start,
        coalesce(sum(new_customers) over earlier_periods, 0) as old_customers_at_start,
    from period_events
    window earlier_periods as (
        partition by grain
        order by period_start
        rows between unbounded preceding and 1 preceding
    )
),

metrics as (
    select
        grain,
        period_start,
        period_end,
        is_complete,
        customers_at_start::bigint as customers_at_start,
        (customers_at_start + new_customers + reactivation_events - churn_events)::bigint as customers_at_end,
        new_customers::bigint as new_customers,
        reactivated_customers::bigint as reactivated_customers,
        churned_customers::bigint as churned_customers,
        reactivation_events::bigint as reactivation_events,
        churn_events::bigint as churn_events,
        (customers_at_start - lost_customers)::bigint as retained_customers,
        old_customers_at_start::bigint as old_customers_at_start,
        (old_customers_at_start - customers_at_start)::bigint as dormant_customers_at_start,
        ordering_customers::bigint as ordering_customers,
        (ordering_customers - new_customers)::bigint as repeat_customers,
        orders::bigint as orders,
        net_revenue::decimal(18, 2) as net_revenue,
    from period_states
)

select
    *,
    (customers_at_end - new_customers)::double / nullif(customers_at_start, 0) as retention_rate,
    retained_customers::double / nullif(customers_at_start, 0) as base_retention_rate,
    reactivated_customers::double / nullif(old_customers_at_start, 0) as reactivation_rate,
    reactivated_customers::double / nullif(dormant_customers_at_start, 0) as dormant_reactivation_rate,
    churned_customers::double / nullif(customers_at_start, 0) as churn_rate,
    repeat_customers::double / nullif(old_customers_at_start, 0) as repeat_purchase_rate,
    (new_customers + reactivated_customers)::double / nullif(churned_customers, 0) as quick_ratio,
from metrics
order by
    case grain when 'day' then 1 when 'week' then 2 when 'month' then 3 when 'quarter' then 4 else 5 end,
    period_start
