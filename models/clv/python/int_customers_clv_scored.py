"""Every customer scored with the closed forms of METRICS.md §11 from the published parameters (DuckDB).

The scoring itself is lifecycle_clv.score_customers (numpy and scipy's hyp2f1), which scripts/fit_clv.py runs on
engines without dbt Python models: one implementation for every engine. The customers stream through it a million
at a time (lifecycle_clv.score_batches): memory stays that of one batch whatever the number of customers.
"""


def model(dbt, session):
    dbt.config(materialized="table")
    from lifecycle_clv import CHUNK_ROWS, SUMMARY_PROJECTION, Settings, score_batches

    settings = Settings.from_frame(dbt.ref("int_clv_fit_settings").df())
    parameters = dbt.ref("clv_model_parameters").df()
    summary = dbt.ref("int_customers_clv_summarized").project(SUMMARY_PROJECTION)
    return score_batches(summary.to_arrow_reader(CHUNK_ROWS), parameters, settings)
