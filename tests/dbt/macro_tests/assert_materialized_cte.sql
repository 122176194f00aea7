-- The macro materialized_cte on a filtered CTE that the query joins to another relation: whatever the engine does
-- with the keyword (DuckDB computes the CTE once, before the join; other engines get no keyword), the join sees the
-- CTE's filtered rows. Expected by hand: of customers a .. e, the changed ones are b and d; joined to their orders
-- (a 1, b 2 and 3, d 4, e 5) they have three orders summing to 9. Returns the case when it differs.

with

changed_customers as {{ materialized_cte() }} (

    select cases.customer_id
    from (values ('a', false), ('b', true), ('c', false), ('d', true), ('e', false)) as cases (customer_id, is_changed)
    where cases.is_changed

),

orders as (

    select
        cases.customer_id,
        cases.order_value
    from (values ('a', 1), ('b', 2), ('b', 3), ('d', 4), ('e', 5)) as cases (customer_id, order_value)

),

final as (

    select
        count(*) as actual_count,
        sum(orders.order_value) as actual_sum,
        3 as expected_count,
        9 as expected_sum
    from orders
    inner join changed_customers
        on orders.customer_id = changed_customers.customer_id

)

select * from final
where actual_count <> expected_count or actual_sum <> expected_sum
