{% macro participation_rate(
    participating_members="participating_members",
    members_at_end="members_at_end"
) -%}
    {#- participation_rate: participating_members / members_at_end, NULL when the denominator is 0. -#}
    {{ safe_divide(participating_members, members_at_end) }}
{%- endmacro %}
