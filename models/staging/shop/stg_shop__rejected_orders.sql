{%- set relation = raw_source_relation('shop', 'raw_orders', 'orders') -%}
{%- set kinds = raw_column_kinds(relation) -%}
{%- set text_columns = ['ordered_at', 'amount', 'refunded_amount', 'updated_at'] -%}
{%- set typed_columns = [] -%}
{%- for column in text_columns if kinds.get(column, 'text') != 'text' -%}
    {%- do typed_columns.append(column) -%}
{%- endfor -%}
{#- base_shop__order_versions keeps the text of a typed (Parquet) value only on the rows a rule rejects; an order
    rejected because it is not before metrics_as_of takes it from its raw line here. Those late orders are joined
    to the raw lines on their own (an inner join, whose small side DuckDB builds on and whose raw scan it skips when
    there are none); a left join of every rejected row made DuckDB hash all the raw lines, and every reader of this
    view (the on-run-end summary, its tests) paid for it: 3.7 s at 10M customers with nothing rejected, now 0.01 s;
    0.57 s with 1.2M late orders. -#}

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

{% if typed_columns -%}
late_orders as (

    select * from rejected
    where rule_failure is null

),

late_orders_with_text as (

    select
        late_orders.order_id,
        late_orders.customer_id,
        late_orders.status,
        late_orders.reason,
        {% for column in text_columns -%}
        {% if column in typed_columns -%}
        coalesce(
            late_orders.{{ column }}_text, {{ raw_value_text('raw_lines.' ~ column ~ '__typed') }}
        ) as {{ column }}_text,
        {% else -%}
        late_orders.{{ column }}_text,
        {% endif -%}
        {% endfor -%}
        late_orders.source_file,
        late_orders.source_line_number,
        late_orders.raw_line
    from late_orders
    inner join raw_lines
        on
            late_orders.source_file = raw_lines.source_file
            and late_orders.source_line_number = raw_lines.source_line_number

),

{% endif -%}
final as (

    select
        order_id,
        customer_id,
        status,
        reason,
        {% for column in text_columns -%}
        {{ column }}_text,
        {% endfor -%}
        source_file,
        source_line_number,
        raw_line
    from rejected
    {% if typed_columns -%}
    where rule_failure is not null

    union all

    select * from late_orders_with_text
    {%- endif %}

)

select * from final
