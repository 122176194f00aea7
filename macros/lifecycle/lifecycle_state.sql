{% macro lifecycle_state_at(at_expr, latest_ordered_at_expr, spell_started_at_expr, spell_number_expr) %}
    {{ return(adapter.dispatch("lifecycle_state_at", "customer_lifecycle")(
        at_expr, latest_ordered_at_expr, spell_started_at_expr, spell_number_expr
    )) }}
{% endmacro %}

{% macro default__lifecycle_state_at(at_expr, latest_ordered_at_expr, spell_started_at_expr, spell_number_expr) %}
    {#- A customer's state at instant `at` (METRICS.md §6), given the latest valid order strictly before it, the
        start of that order's spell and the spell's number; checked in the contract's order, first match wins.
        NULL when there is no order before `at` (not a customer yet). -#}
    {%- set params = lifecycle_params() -%}
    case
        when {{ latest_ordered_at_expr }} is null then null
        when {{ at_expr }} > {{ dbt.dateadd('day', params.dormancy_days, latest_ordered_at_expr) }}
            then 'dormant'
        when {{ at_expr }} > {{ dbt.dateadd('day', params.at_risk_days, latest_ordered_at_expr) }}
            then 'at_risk'
        when {{ at_expr }} <= {{ dbt.dateadd('day', params.new_days, spell_started_at_expr) }}
            then case when {{ spell_number_expr }} = 1 then 'new' else 'reactivated' end
        else 'active'
    end
{% endmacro %}
