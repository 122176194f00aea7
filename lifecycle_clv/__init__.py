"""Predictive customer value (METRICS.md §11): BG/NBD and Gamma-Gamma fitted by maximum likelihood with
pymc-marketing, and every customer scored with the closed forms from the published parameters.

On DuckDB the dbt Python models clv_model_parameters and int_customers_clv_scored call it inside `dbt build`; on
PostgreSQL `scripts/fit_clv.py` calls it and writes the same tables. pymc-marketing is imported only by a fit.
"""

from lifecycle_clv.fitting import (
    CHUNK_ROWS,
    FITTED,
    GIVEN,
    NOT_FITTED,
    PARAMETERS,
    SAMPLE_COLUMNS,
    SAMPLE_PROJECTION,
    SKIPPED,
    SUMMARY_COLUMNS,
    SUMMARY_PROJECTION,
    Fit,
    Settings,
    WindowCounts,
    compact_frame,
    deterministic_sample,
    fit_all,
    fit_bg_nbd,
    fit_gamma_gamma,
    fit_parameters,
    fit_sample,
    parameters_frame,
    projection,
    score_batches,
    score_customers,
)

__all__ = [
    "CHUNK_ROWS", "FITTED", "GIVEN", "NOT_FITTED", "PARAMETERS", "SAMPLE_COLUMNS", "SAMPLE_PROJECTION", "SKIPPED",
    "SUMMARY_COLUMNS", "SUMMARY_PROJECTION", "Fit", "Settings", "WindowCounts", "compact_frame",
    "deterministic_sample", "fit_all", "fit_bg_nbd", "fit_gamma_gamma", "fit_parameters", "fit_sample",
    "parameters_frame", "projection", "score_batches", "score_customers",
]
