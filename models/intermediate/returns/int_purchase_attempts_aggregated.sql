{#- The purchase attempts of METRICS.md §4 "Returns" per period, at every grain of period_grains(): the latest
    versions that meet every validity rule except the refund rule ('fully refunded' is checked last, so such a
    row passed every other rule), placed before metrics_as_of, each counted in the period holding ordered_at. -#}

with

order_versions as (

    select * from {{ ref('base_shop__order_versions') }}

),

as_of as (

    select * from {{ ref('base_shop__metrics_as_of') }}

),

attempts as (

    select
        order_versions.ordered_at,
        order_versions.amount,
        order_versions.refunded_amount
    from order_versions
    cross join as_of
    where
        not order_versions.is_superseded
        and (order_versions.rule_failure is null or order_versions.rule_failure = 'fully refunded')
        and order_versions.ordered_at < as_of.metrics_as_of

),

{% for grain in period_grains() %}
{{ grain }}_flows as (

    select
        '{{ grain }}' as grain,
        {{ truncate_to_grain(grain, 'ordered_at') }} as period_start,
        {{ count_where('true') }} as purchase_attempts,
        {{ count_where('refunded_amount > 0') }} as returned_orders,
        sum(amount) as attempted_amount,
        sum(refunded_amount) as refunded_amount
    from attempts
    group by {{ truncate_to_grain(grain, 'ordered_at') }}

),

{% endfor %}
final as (

    {% for grain in period_grains() -%}
    select * from {{ grain }}_flows
    {% if not loop.last %}union all
    {% endif -%}
    {%- endfor %}

)

select * from final
