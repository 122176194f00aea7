-- The macro inlined_cte on a CTE read twice, with a filter each: whatever the engine does with the keyword (DuckDB
-- expands the CTE into each reader, other engines get no keyword), each reader sees the CTE's rows. Expected by
-- hand: of 1 .. 5, two even numbers summing to 6 and three odd ones summing to 9. Returns each reader that differs.

with

numbers as {{ inlined_cte() }} (

    select cases.number_value
    from (values (1), (2), (3), (4), (5)) as cases (number_value)

),

evens as (

    select
        'evens' as case_name,
        count(*) as actual_count,
        sum(number_value) as actual_sum,
        2 as expected_count,
        6 as expected_sum
    from numbers
    where number_value % 2 = 0

),

odds as (

    select
        'odds' as case_name,
        count(*) as actual_count,
        sum(number_value) as actual_sum,
        3 as expected_count,
        9 as expected_sum
    from numbers
    where number_value % 2 = 1

),

final as (

    select * from evens
    union all
    select * from odds

)

select * from final
where actual_count <> expected_count or actual_sum <> expected_sum
