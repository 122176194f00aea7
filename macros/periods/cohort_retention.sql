{% macro cohort_retention(grain, orders_relation, as_of_relation) %}
    {{ return(adapter.dispatch("cohort_retention", "customer_lifecycle")(grain, orders_relation, as_of_relation)) }}
{% endmacro %}

{% macro default__cohort_retention(grain, orders_relation, as_of_relation) %}
{#- METRICS.md §8 for one grain: one row per cohort (period of the customer's first valid order) and
    periods_since_first k, for every period cohort + k that starts before metrics_as_of, zeros included.
    Cost grows with orders plus cohorts x periods, never with customers x periods. -#}
{%- set period_start = truncate_to_grain(grain, "ordered_at") -%}
with

order_periods as (

    select
        customer_id,
        net_amount,
        {{ period_start }} as period_start,
        {{ truncate_to_grain(grain, "customer_first_ordered_at") }} as cohort_period_start,
        {#- a customer counts once per period: at their first order in it -#}
        {{ is_first_in_period(grain, "previous_ordered_at", "ordered_at") }} as is_first_in_period
    from {{ orders_relation }}

),

activity as (

    select
        cohort_period_start,
        period_start,
        sum(case when is_first_in_period then 1 else 0 end) as ordering_customers,
        sum(net_amount) as net_revenue
    from order_periods
    group by cohort_period_start, period_start

),

cohorts as (

    {#- a cohort's size is its cell k = 0 (its customers' first orders in their first period): taken from
        activity, so that the orders are grouped once, not twice -#}
    select
        cohort_period_start,
        ordering_customers as cohort_size
    from activity
    where period_start = cohort_period_start

),

bounds as (

    select
        cohorts.cohort_period_start,
        cohorts.cohort_size,
        {{ to_reporting_timezone("as_of.metrics_as_of") }} as local_as_of,
        {{ periods_starting_before(grain, "cohorts.cohort_period_start", "as_of.metrics_as_of") | indent(8) }}
            as period_count
    from cohorts
    cross join {{ as_of_relation }} as as_of

),

cells as (

    select
        cohort_period_start,
        cohort_size,
        local_as_of,
        periods_since_first,
        {{ add_periods(grain, "periods_since_first", "cohort_period_start") }} as period_start,
        {{ add_periods(grain, "periods_since_first + 1", "cohort_period_start") }} as period_end
    from bounds
    {{ join_integer_series("period_count", "periods_since_first") }}

),

filled as (

    select
        cells.cohort_period_start,
        cells.periods_since_first,
        cells.cohort_size,
        coalesce(activity.ordering_customers, 0) as ordering_customers,
        coalesce(activity.net_revenue, 0) as net_revenue,
        cells.local_as_of,
        cells.period_start,
        cells.period_end
    from cells
    left join activity
        on
            cells.cohort_period_start = activity.cohort_period_start
            and cells.period_start = activity.period_start

),

final as (

    select
        '{{ grain }}' as grain,
        cast(periods_since_first as {{ dbt.type_int() }}) as periods_since_first,
        cast(cohort_size as {{ dbt.type_bigint() }}) as cohort_size,
        cast(ordering_customers as {{ dbt.type_bigint() }}) as ordering_customers,
        net_revenue,
        {{ cohort_retention_rate() }} as cohort_retention_rate,
        {{ safe_divide("net_revenue", "cohort_size") }} as net_revenue_per_customer,
        {{ safe_divide(
            "sum(net_revenue) over (partition by cohort_period_start order by periods_since_first"
            ~ " rows between unbounded preceding and current row)",
            "cohort_size"
        ) }} as cumulative_net_revenue_per_customer,
        cast(period_end as {{ dbt.type_timestamp() }}) <= local_as_of as is_complete,
        cohort_period_start,
        period_start,
        period_end
    from filled

)

select * from final
{%- endmacro %}
