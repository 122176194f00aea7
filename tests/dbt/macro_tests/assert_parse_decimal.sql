-- The money macros on hand-computed cases: decimal_text_cleaned, then parse_decimal and decimal_rejection.
-- Returns every case whose value or reason differs from the expected one (NULL = not read).

with

cases as (

    select
        cases.input_text,
        cases.expected_text,
        cases.expected_reason
    from (
        values
        ('1,299.00', '1299', null),
        ('¥1,299.00', '1299', null),
        ('￥ 88.50', '88.5', null),
        ('$12.50', '12.5', null),
        ('12.5元', '12.5', null),
        ('1 299.00', '1299', null),
        ('-3', '-3', null),
        ('.5', '0.5', null),
        ('99999999999999.9999', '99999999999999.9999', null),
        ('12,50', null, 'unparseable amount'),
        ('1.299,00', null, 'unparseable amount'),
        ('NaN', null, 'unparseable amount'),
        ('-Infinity', null, 'unparseable amount'),
        ('1e5', null, 'unparseable amount'),
        ('100000000000000', null, 'amount out of range'),
        ('-123456789012345678901234567890', null, 'amount out of range')
    ) as cases (input_text, expected_text, expected_reason)

),

cleaned as (

    select
        *,
        {{ decimal_text_cleaned('input_text') }} as cleaned_text
    from cases

),

parsed as (

    select
        *,
        {{ parse_decimal('cleaned_text') | indent(8) }} as actual,
        {{ decimal_rejection('cleaned_text', 'amount') | indent(8) }} as actual_reason
    from cleaned

),

final as (

    select *
    from parsed
    where
        not (
            actual = cast(expected_text as {{ money_type() }})
            or (actual is null and expected_text is null)
        )
        or (actual is null and expected_text is not null)
        or not (actual_reason = expected_reason or (actual_reason is null and expected_reason is null))
        or (actual_reason is null and expected_reason is not null)

)

select * from final
