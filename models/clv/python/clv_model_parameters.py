"""BG/NBD and Gamma-Gamma fitted by maximum likelihood with pymc-marketing, inside `dbt build` (DuckDB).

The fit itself is lifecycle_clv.fit_parameters, which scripts/fit_clv.py runs on engines without dbt Python
models: one implementation for every engine. The summary is read through Arrow with its text columns kept as Arrow
strings (lifecycle_clv.compact_frame) and only the columns the fits use, and DuckDB's buffer cache is held to 1 GB
while pandas holds them: the fit of ten million customers peaks at 3.2 GB (6.2 GB before); README "Benchmark".
"""


def model(dbt, session):
    dbt.config(materialized="table")
    from lifecycle_clv import SUMMARY_PROJECTION, Settings, compact_frame, fit_parameters
    from lifecycle_clv.duckdb_memory import buffer_cache_capped

    settings = Settings.from_frame(dbt.ref("int_clv_fit_settings").df())
    with buffer_cache_capped(session):
        summary = compact_frame(dbt.ref("int_customers_clv_summarized").project(SUMMARY_PROJECTION).to_arrow_table())
        parameters = fit_parameters(summary, settings)
    return parameters
