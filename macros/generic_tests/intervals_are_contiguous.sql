{% test intervals_are_contiguous(model, partition_by, valid_from, valid_to) %}
{#- Fails for each interval that does not start exactly where the previous one of its partition ended,
    and for each open-ended interval that is not the last of its partition. -#}

with

ordered as (

    select
        {{ partition_by }} as partition_key,
        {{ valid_from }} as interval_from,
        {{ valid_to }} as interval_to,
        lag({{ valid_to }}) over (
            partition by {{ partition_by }} order by {{ valid_from }}
        ) as previous_interval_to,
        lead({{ valid_from }}) over (
            partition by {{ partition_by }} order by {{ valid_from }}
        ) as next_interval_from
    from {{ model }}

),

broken as (

    select *
    from ordered
    where
        (previous_interval_to is not null and previous_interval_to <> interval_from)
        or (interval_to is null and next_interval_from is not null)
        or (interval_to is not null and interval_to <= interval_from)

)

select * from broken

{% endtest %}
