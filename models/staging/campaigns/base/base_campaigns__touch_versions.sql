{%- set timezone = campaign_touches_timezone() -%}
{#- Every raw line of the campaign touches source (METRICS.md §10), parsed, ranked among the versions of its
    touch_id (the later row wins) and checked against the rules of a valid touch (all but "before
    metrics_as_of"). An optional source: without data, zero rows of the same columns. -#}

with

source as (

    {% if target.type == 'duckdb' or optional_source_has_data('campaign_touches') -%}
    {{ raw_source_select(
        raw_source_relation('campaigns', 'raw_campaign_touches', 'campaign_touches'),
        raw_campaign_touch_columns()
    ) | indent(4) }}
    {%- else -%}
    {{ empty_raw_source_select(raw_campaign_touch_columns()) | indent(4) }}
    {%- endif %}

),

parsed as (

    select
        *,
        {{ parse_timestamp('touched_at', timezone) | indent(8) }} as touched_at_utc,
        {{ parse_boolean('is_control') }} as is_control_value,
        {{ decimal_text_cleaned('cost') }} as cost_cleaned
    from source

),

ranked as (

    select
        *,
        {{ parse_decimal('cost_cleaned') | indent(8) }} as cost_value,
        case
            when touch_id is null then 1
            else row_number() over (
                partition by touch_id
                order by source_file desc, source_line_number desc
            )
        end as version_rank
    from parsed

),

checked as (

    select
        *,
        case
            when malformed_reason is not null then malformed_reason
            when touch_id is null then 'missing touch_id'
            when campaign_id is null then 'missing campaign_id'
            when customer_id is null then 'missing customer_id'
            when touched_at is null then 'missing touched_at'
            when touched_at_utc is null then 'unparseable touched_at'
            when is_control is not null and is_control_value is null
                then {{ boolean_rejection('is_control', 'is_control') }}
            when cost is not null and cost_value is null then {{ decimal_rejection('cost_cleaned', 'cost') }}
            when cost_value < 0 then 'negative cost'
        end as rule_failure
    from ranked

),

final as (

    select
        touch_id,
        campaign_id,
        customer_id,
        channel,
        touched_at as touched_at_text,
        is_control as is_control_text,
        cost as cost_text,
        rule_failure,
        source_file,
        source_line_number,
        raw_line,
        version_rank,
        version_rank > 1 as is_superseded,
        coalesce(is_control_value, false) as is_control,
        coalesce(cost_value, 0) as cost,  -- noqa: RF04
        touched_at_utc as touched_at
    from checked

)

select * from final
