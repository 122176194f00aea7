{#- The confidence interval of a lift (a difference of two proportions p1 - p2, treated minus control):
    Newcombe's hybrid score interval (Newcombe 1998, method 10), which combines the Wilson score interval
    [l, u] of each proportion:
        lower = (p1 - p2) - sqrt((p1 - l1)^2 + (u2 - p2)^2)
        upper = (p1 - p2) + sqrt((u1 - p1)^2 + (p2 - l2)^2)
    with z = lift_interval_z() = 1.959963984540054 (95%, two-sided). Unlike the Wald interval it stays within
    [-1, 1] and keeps its coverage at the small counts of a holdout group. NULL when either group is empty. -#}

{% macro lift_interval_z() %}
    {#- The standard normal quantile of the 95% two-sided interval: Phi^-1(0.975). -#}
    {{ return(1.959963984540054) }}
{% endmacro %}


{% macro wilson_bound(successes, trials, side) %}
    {#- The Wilson score interval's lower (side = -1) or upper (side = 1) bound of successes / trials; NULL
        when trials is 0. -#}
    {% if side not in (-1, 1) %}
        {{ exceptions.raise_compiler_error("wilson_bound: side must be -1 (lower) or 1 (upper), got '" ~ side ~ "'") }}
    {% endif %}
    {%- set z = lift_interval_z() -%}
    {%- set p = safe_divide(successes, trials) -%}
    {%- set n = "nullif(cast(" ~ trials ~ " as " ~ double_type() ~ "), 0)" -%}
    (
        ({{ p }}) + {{ z * z / 2 }} / {{ n }}
        {{ "+" if side == 1 else "-" }} {{ z }} * sqrt(
            ({{ p }}) * (1 - ({{ p }})) / {{ n }} + {{ z * z / 4 }} / ({{ n }} * {{ n }})
        )
    ) / (1 + {{ z * z }} / {{ n }})
{%- endmacro %}


{% macro rate_lift_lower(treated_successes, treated_trials, control_successes, control_trials) -%}
    {#- The lower bound of the lift's Newcombe interval (response_rate_lift_lower, reactivation_rate_lift_lower). -#}
    {%- set p1 = safe_divide(treated_successes, treated_trials) -%}
    {%- set p2 = safe_divide(control_successes, control_trials) -%}
    ({{ p1 }}) - ({{ p2 }}) - sqrt(
        power(({{ p1 }}) - {{ wilson_bound(treated_successes, treated_trials, -1) }}, 2)
        + power({{ wilson_bound(control_successes, control_trials, 1) }} - ({{ p2 }}), 2)
    )
{%- endmacro %}


{% macro rate_lift_upper(treated_successes, treated_trials, control_successes, control_trials) -%}
    {#- The upper bound of the lift's Newcombe interval (response_rate_lift_upper, reactivation_rate_lift_upper). -#}
    {%- set p1 = safe_divide(treated_successes, treated_trials) -%}
    {%- set p2 = safe_divide(control_successes, control_trials) -%}
    ({{ p1 }}) - ({{ p2 }}) + sqrt(
        power({{ wilson_bound(treated_successes, treated_trials, 1) }} - ({{ p1 }}), 2)
        + power(({{ p2 }}) - {{ wilson_bound(control_successes, control_trials, -1) }}, 2)
    )
{%- endmacro %}
