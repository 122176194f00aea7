-- parse_boolean and boolean_rejection on hand-computed cases: every spelling of README "Bad input", in any case.
-- Returns every case whose value or reason differs from the expected one (NULL = not read).

with

cases as (

    select
        cases.input_text,
        cases.expected_value,
        cases.expected_reason
    from (
        values
        ('true', 'true', null),
        ('TRUE', 'true', null),
        ('True', 'true', null),
        ('1', 'true', null),
        ('yes', 'true', null),
        ('YES', 'true', null),
        ('t', 'true', null),
        ('T', 'true', null),
        ('false', 'false', null),
        ('FALSE', 'false', null),
        ('0', 'false', null),
        ('no', 'false', null),
        ('No', 'false', null),
        ('f', 'false', null),
        ('F', 'false', null),
        ('maybe', null, 'unparseable is_control'),
        ('2', null, 'unparseable is_control'),
        ('tru', null, 'unparseable is_control'),
        (null, null, null)
    ) as cases (input_text, expected_value, expected_reason)

),

parsed as (

    select
        *,
        cast({{ parse_boolean('input_text') }} as {{ dbt.type_string() }}) as actual_value,
        {{ boolean_rejection('input_text', 'is_control') }} as actual_reason
    from cases

),

final as (

    select *
    from parsed
    where
        coalesce(lower(actual_value), '-') <> coalesce(expected_value, '-')
        or coalesce(actual_reason, '-') <> coalesce(expected_reason, '-')

)

select * from final
