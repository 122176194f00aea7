{{ config(severity='warn') }}
-- Warns when a CLV model could not be fitted (METRICS.md §11): too few repeat customers, spend that does not vary,
-- a fit that fails or does not converge, or on PostgreSQL no current fit by scripts/fit_clv.py. Returns one row
-- per model and window with the reason; the same reasons are logged as one line when the test runs. The
-- predictions that need the model are NULL; the build goes on.
{%- set message = clv_fit_warning() %}

with

parameters as (

    select * from {{ ref('clv_model_parameters') }}

),

final as (

    select
        fitted_on,
        model,
        max(fit_message) as fit_message
    from parameters
    where fit_status = 'not_fitted'
    group by fitted_on, model

)

select * from final
