with

member_rows as (

    select * from {{ ref('base_loyalty__member_rows') }}

),

final as (

    select
        customer_id,
        rule_failure as reason,
        enrolled_at_text,
        left_at_text,
        source_file,
        source_line_number,
        raw_line
    from member_rows
    where rule_failure is not null

)

select * from final
