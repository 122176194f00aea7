{{ config(
    materialized=incremental_materialization(),
    incremental_strategy='delete+insert',
    unique_key=['grain', 'period_start'],
    pre_hook="{% if is_lifecycle_recovery() %}delete from {{ this }}{% endif %}",
    post_hook="{% if is_incremental() %}delete from {{ this }} where " ~ period_event_count() ~ " = 0{% endif %}",
) }}
-- depends_on: {{ ref('int_customers_changed') }}
-- depends_on: {{ ref('int_lifecycle_events_replaced') }}
{# The flows of every period, at every grain of period_grains(): the one pass over the lifecycle events that
    every period figure is derived from (grouped by day first, period_event_days(), then rolled up per grain),
    kept as a table so that the marts read it instead of the events.
    Incremental on DuckDB: every flow is a sum over customers, so a nightly run adds the flows of the new events of
    the customers of int_customers_changed and subtracts those of their previous events
    (int_lifecycle_events_replaced), in the periods either touches; a period left without events is deleted. -#}
{%- set incremental = recomputes_changed_customers_only() %}

with

events as (

    select * from {{ ref('int_lifecycle_events_unioned') }}
    {% if incremental -%}
    {{ changed_customers_only() }}
    {%- endif %}

),

event_days as (

    {{ period_event_days("events") | indent(4) }}

),

{% for grain in period_grains() %}
{{ grain }}_flows as (

    {{ period_flows(grain, "event_days") | indent(4) }}

),

{% endfor %}
{% if incremental -%}
replaced_events as (

    select * from {{ ref('int_lifecycle_events_replaced') }}

),

replaced_event_days as (

    {{ period_event_days("replaced_events") | indent(4) }}

),

{% for grain in period_grains() %}
{{ grain }}_replaced_flows as (

    {{ period_flows(grain, "replaced_event_days") | indent(4) }}

),

{% endfor %}
differences as (

    {% for grain in period_grains() -%}
    select
        *,
        1 as sign
    from {{ grain }}_flows
    union all
    select
        *,
        -1 as sign
    from {{ grain }}_replaced_flows
    union all
    {% endfor -%}
    select
        previous.*,
        1 as sign
    from {{ this }} as previous
    where exists (
        {% for grain in period_grains() -%}
        select 1 from {{ grain }}_flows as touched
        where touched.grain = previous.grain and touched.period_start = previous.period_start
        union all
        select 1 from {{ grain }}_replaced_flows as touched
        where touched.grain = previous.grain and touched.period_start = previous.period_start
        {% if not loop.last %}union all
        {% endif -%}
        {%- endfor %}
    )

),

final as (

    select
        grain,
        period_start,
        {% for column in period_flow_columns() -%}
        {%- if column == 'net_revenue' -%}
        case
            when sum(sign * orders) > 0 then sum(sign * coalesce(net_revenue, 0))
        end as net_revenue
        {%- else -%}
        cast(sum(sign * {{ column }}) as {{ dbt.type_bigint() }}) as {{ column }}
        {%- endif -%}
        {{ "," if not loop.last }}
        {% endfor %}
    from differences
    group by grain, period_start

)
{%- else -%}
final as (

    {% for grain in period_grains() -%}
    select * from {{ grain }}_flows
    {% if not loop.last %}union all
    {% endif -%}
    {%- endfor %}

)
{%- endif %}

select * from final
