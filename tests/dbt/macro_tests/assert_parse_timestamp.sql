-- The macro parse_timestamp on hand-computed cases, in UTC and in Asia/Shanghai (UTC+8, no daylight saving).
-- Returns every case whose result differs from the expected UTC instant (NULL = rejected).

with

utc_cases as (

    select
        cases.input_text,
        cases.expected_text,
        {{ parse_timestamp('cases.input_text', 'UTC') | indent(8) }} as actual
    from (
        values
        ('2024-03-05T14:22:01', '2024-03-05 14:22:01'),
        ('2024/3/5 9:05', '2024-03-05 09:05:00'),
        ('2024-03-05T14:22:01.25', '2024-03-05 14:22:01.25'),
        ('2024-03-05T14:22:01Z', '2024-03-05 14:22:01'),
        ('2024-03-05T14:22:01+08:00', '2024-03-05 06:22:01'),
        ('2024-03-05T14:22:01+0800', '2024-03-05 06:22:01'),
        ('2024-03-05 14:22:01 -05:00', '2024-03-05 19:22:01'),
        ('2024-03-05', '2024-03-05 00:00:00'),
        ('2024-02-30 10:00', null),
        ('2024-13-01', null),
        ('2024-03-05 24:00', null),
        ('05/03/2024', null),
        ('2024-03-05 14:22:01 PST', null),
        ('', null)
    ) as cases (input_text, expected_text)

),

shanghai_cases as (

    -- no offset: Beijing wall-clock time; an offset wins
    select
        cases.input_text,
        cases.expected_text,
        {{ parse_timestamp('cases.input_text', 'Asia/Shanghai') | indent(8) }} as actual
    from (
        values
        ('2025/10/31 17:38', '2025-10-31 09:38:00'),
        ('2024/3/1 7:30', '2024-02-29 23:30:00'),
        ('2024-03-05', '2024-03-04 16:00:00'),
        ('2024-03-05T14:22:01Z', '2024-03-05 14:22:01'),
        ('2024-03-05T14:22:01-05:00', '2024-03-05 19:22:01'),
        ('2023-02-29 10:00', null)
    ) as cases (input_text, expected_text)

),

all_cases as (

    select * from utc_cases
    union all
    select * from shanghai_cases

),

final as (

    select *
    from all_cases
    where
        not (
            actual = cast(expected_text as {{ dbt.type_timestamp() }})
            or (actual is null and expected_text is null)
        )
        or (actual is null and expected_text is not null)

)

select * from final
