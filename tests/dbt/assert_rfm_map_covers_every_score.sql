-- Every (r_score, fm_score) pair from 1 to 5 maps to at least one segment of seed rfm_segments.
-- Returns the pairs an edited map leaves uncovered.

with

segments as (

    select * from {{ ref('rfm_segments') }}

),

scores as (

    {{ rfm_scores() | indent(4) }}

),

pairs as (

    select
        r_scores.score as r_score,
        fm_scores.score as fm_score
    from scores as r_scores
    cross join scores as fm_scores

),

final as (

    select pairs.*
    from pairs
    where not exists (
        select 1
        from segments
        where
            pairs.r_score between segments.r_score_min and segments.r_score_max
            and pairs.fm_score between segments.fm_score_min and segments.fm_score_max
    )

)

select * from final
