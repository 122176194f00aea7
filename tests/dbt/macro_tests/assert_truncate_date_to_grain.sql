-- The macro truncate_date_to_grain on hand-picked days, at every grain: the start of the day's period. Weeks are
-- ISO weeks starting on Monday (2024-03-20 is a Wednesday, 2023-01-01 a Sunday, 2024-12-30 a Monday whose week
-- runs into 2025). Returns every day and grain whose period start differs from the expected one.

with

cases as (

    select
        cast(cases.day_text as date) as day_value,
        cast(cases.week_text as date) as expected_week,
        cast(cases.month_text as date) as expected_month,
        cast(cases.quarter_text as date) as expected_quarter,
        cast(cases.year_text as date) as expected_year
    from (
        values
        ('2024-03-20', '2024-03-18', '2024-03-01', '2024-01-01', '2024-01-01'),
        ('2023-01-01', '2022-12-26', '2023-01-01', '2023-01-01', '2023-01-01'),
        ('2024-12-30', '2024-12-30', '2024-12-01', '2024-10-01', '2024-01-01'),
        ('2024-08-31', '2024-08-26', '2024-08-01', '2024-07-01', '2024-01-01')
    ) as cases (day_text, week_text, month_text, quarter_text, year_text)

),

truncated as (

    select
        day_value,
        expected_week,
        expected_month,
        expected_quarter,
        expected_year,
        {{ truncate_date_to_grain('day', 'day_value') }} as actual_day,
        {{ truncate_date_to_grain('week', 'day_value') }} as actual_week,
        {{ truncate_date_to_grain('month', 'day_value') }} as actual_month,
        {{ truncate_date_to_grain('quarter', 'day_value') }} as actual_quarter,
        {{ truncate_date_to_grain('year', 'day_value') }} as actual_year
    from cases

),

final as (

    select *
    from truncated
    where
        actual_day is null or actual_day <> day_value
        or actual_week is null or actual_week <> expected_week
        or actual_month is null or actual_month <> expected_month
        or actual_quarter is null or actual_quarter <> expected_quarter
        or actual_year is null or actual_year <> expected_year

)

select * from final
