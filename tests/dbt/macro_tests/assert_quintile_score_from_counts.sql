-- The macro quintile_score_from_counts on small distributions with hand-computed scores. Each case is one
-- distribution (one row per distinct value with its number of rows n_v): score = ceil(5 * k / n), k = the rows
-- whose value is no better, n = all rows of the case. Returns every row whose score differs from the expected one.

with

distinct_values as (

    -- n = 5, one row each: k = 1 .. 5, so the score is k
    select
        'distinct_values' as case_name,
        cases.value_scored,
        cases.expected_score,
        {{ quintile_score_from_counts('cases.row_count', 'cases.value_scored') }} as actual_score
    from (
        values (10, 1, 1), (20, 1, 2), (30, 1, 3), (40, 1, 4), (50, 1, 5)
    ) as cases (value_scored, row_count, expected_score)

),

tied_values as (

    -- n = 5, two rows share the worst value: k = 2 for both, ceil(10 / 5) = 2; then k = 3, 4, 5
    select
        'tied_values' as case_name,
        cases.value_scored,
        cases.expected_score,
        {{ quintile_score_from_counts('cases.row_count', 'cases.value_scored') }} as actual_score
    from (
        values (1, 2, 2), (2, 1, 3), (3, 1, 4), (4, 1, 5)
    ) as cases (value_scored, row_count, expected_score)

),

lower_is_better as (

    -- recency: fewer days is better, so k counts the rows with as many days or more.
    -- 113 days: k = 1 -> 1; 77: k = 2 -> 2; 30: 3; 11: 4; 3 days: k = 5 -> 5
    select
        'lower_is_better' as case_name,
        cases.value_scored,
        cases.expected_score,
        {{ quintile_score_from_counts(
            'cases.row_count', 'cases.value_scored', higher_is_better=false
        ) | indent(8) }} as actual_score
    from (
        values (3, 1, 5), (11, 1, 4), (30, 1, 3), (77, 1, 2), (113, 1, 1)
    ) as cases (value_scored, row_count, expected_score)

),

seven_rows as (

    -- n = 7: ceil(5/7) = 1, ceil(10/7) = 2, ceil(15/7) = 3, ceil(20/7) = 3, ceil(25/7) = 4, ceil(30/7) = 5,
    -- ceil(35/7) = 5
    select
        'seven_rows' as case_name,
        cases.value_scored,
        cases.expected_score,
        {{ quintile_score_from_counts('cases.row_count', 'cases.value_scored') }} as actual_score
    from (
        values (1, 1, 1), (2, 1, 2), (3, 1, 3), (4, 1, 3), (5, 1, 4), (6, 1, 5), (7, 1, 5)
    ) as cases (value_scored, row_count, expected_score)

),

exact_quintiles as (

    -- n = 10, two rows per value: 5 * k / n = 1, 2, 3, 4, 5 exactly; an exact quintile is not rounded up
    select
        'exact_quintiles' as case_name,
        cases.value_scored,
        cases.expected_score,
        {{ quintile_score_from_counts('cases.row_count', 'cases.value_scored') }} as actual_score
    from (
        values (1, 2, 1), (2, 2, 2), (3, 2, 3), (4, 2, 4), (5, 2, 5)
    ) as cases (value_scored, row_count, expected_score)

),

one_value as (

    -- everybody ties: k = n, score 5
    select
        'one_value' as case_name,
        cases.value_scored,
        cases.expected_score,
        {{ quintile_score_from_counts('cases.row_count', 'cases.value_scored') }} as actual_score
    from (
        values (7, 3, 5)
    ) as cases (value_scored, row_count, expected_score)

),

uneven_counts_lower_is_better as (

    -- n = 10, lower is better: 9 (1 row) k = 1, ceil(0.5) = 1; 5 (3 rows) k = 4, ceil(2) = 2;
    -- 0 (6 rows) k = 10 -> 5
    select
        'uneven_counts_lower_is_better' as case_name,
        cases.value_scored,
        cases.expected_score,
        {{ quintile_score_from_counts(
            'cases.row_count', 'cases.value_scored', higher_is_better=false
        ) | indent(8) }} as actual_score
    from (
        values (0, 6, 5), (5, 3, 2), (9, 1, 1)
    ) as cases (value_scored, row_count, expected_score)

),

decimal_values as (

    -- monetary of tests/test_customer_marts.py: 40.00 twice (k = 2 -> 2), 100.00 -> 3, 150.00 -> 4, 300.00 -> 5
    select
        'decimal_values' as case_name,
        cases.value_scored,
        cases.expected_score,
        {{ quintile_score_from_counts('cases.row_count', 'cases.value_scored') }} as actual_score
    from (
        values (40.00, 2, 2), (100.00, 1, 3), (150.00, 1, 4), (300.00, 1, 5)
    ) as cases (value_scored, row_count, expected_score)

),

large_counts as (

    -- n = 1,000,000: k = 200,000 is exactly the first quintile (1); one more row, k = 200,001, is just past it
    -- (5 * k / n = 1.000005 -> 2); the rest, k = n -> 5
    select
        'large_counts' as case_name,
        cases.value_scored,
        cases.expected_score,
        {{ quintile_score_from_counts('cases.row_count', 'cases.value_scored') }} as actual_score
    from (
        values (1, 200000, 1), (2, 1, 2), (3, 799999, 5)
    ) as cases (value_scored, row_count, expected_score)

),

all_cases as (

    select * from distinct_values
    union all
    select * from tied_values
    union all
    select * from lower_is_better
    union all
    select * from seven_rows
    union all
    select * from exact_quintiles
    union all
    select * from one_value
    union all
    select * from uneven_counts_lower_is_better
    union all
    select * from decimal_values
    union all
    select * from large_counts

),

final as (

    select *
    from all_cases
    where actual_score is null or actual_score <> expected_score

)

select * from final
