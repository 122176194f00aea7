{%- set relation = raw_source_relation('shop', 'raw_orders', 'orders') -%}
{%- set kinds = raw_column_kinds(relation) -%}
{%- set text_columns = ['ordered_at', 'amount', 'refunded_amount', 'updated_at'] -%}
{%- set typed_columns = [] -%}
{%- for column in text_columns if kinds.get(column, 'text') != 'text' -%}
    {%- do typed_columns.append(column) -%}
{%- endfor -%}
{#- base_shop__order_versions keeps the text of a typed (Parquet) value only on the rows a rule rejects; an order
    rejected because it is not before metrics_as_of takes it from its raw line here. -#}

with

order_versions as (

    select * from {{ ref('base_shop__order_versions') }}

),

as_of as (

    select * from {{ ref('base_shop__metrics_as_of') }}

),

{% if typed_columns -%}
raw_lines as (

    select
        source_file,
        source_line_number,
        {% for column in typed_columns -%}
        {{ adapter.quote(column) }} as {{ column }}__typed{{ "," if not loop.last }}
        {% endfor %}
    from {{ relation }}

),

{% endif -%}
rejected as (

    select
        order_versions.*,
        coalesce(order_versions.rule_failure, 'not before metrics_as_of') as reason
    from order_versions
    cross join as_of
    where
        not order_versions.is_superseded
        and (
            order_versions.rule_failure is not null
            or order_versions.ordered_at >= as_of.metrics_as_of
        )

),

final as (

    select
        rejected.order_id,
        rejected.customer_id,
        rejected.status,
        rejected.reason,
        {% for column in text_columns -%}
        {% if column in typed_columns -%}
        coalesce(
            rejected.{{ column }}_text, {{ raw_value_text('raw_lines.' ~ column ~ '__typed') }}
        ) as {{ column }}_text,
        {% else -%}
        rejected.{{ column }}_text,
        {% endif -%}
        {% endfor -%}
        rejected.source_file,
        rejected.source_line_number,
        rejected.raw_line
    from rejected
    {% if typed_columns -%}
    left join raw_lines
        on
            rejected.rule_failure is null
            and rejected.source_file = raw_lines.source_file
            and rejected.source_line_number = raw_lines.source_line_number
    {%- endif %}

)

select * from final
