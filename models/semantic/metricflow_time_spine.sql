{#- MetricFlow's day time spine: exactly the days of fct_lifecycle_daily, from the day of the first valid order
    to the last day that starts before metrics_as_of. A metric joined to the spine (a count that can be 0) then
    has a row, with 0, for every period fct_lifecycle_metrics publishes and for no other. -#}

with

days as (

    select metric_date from {{ ref('fct_lifecycle_daily') }}

),

final as (

    select cast(metric_date as date) as date_day
    from days

)

select * from final
