{% macro cohort_retention_rate(
    ordering_customers="ordering_customers",
    cohort_size="cohort_size"
) -%}
    {#- Cohort retention rate, METRICS.md §8 (no Chinese name there; 同期群留存率 in the usual terms): cohort
        members with a valid order in period cohort + k / cohort_size; 1 for k = 0. NULL for an empty cohort. -#}
    {{ safe_divide(ordering_customers, cohort_size) }}
{%- endmacro %}
