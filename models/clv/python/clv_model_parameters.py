"""BG/NBD and Gamma-Gamma fitted by maximum likelihood with pymc-marketing, inside `dbt build` (DuckDB).

The fit itself is lifecycle_clv.fit_parameters, which scripts/fit_clv.py runs on engines without dbt Python
models: one implementation for every engine.
"""


def model(dbt, session):
    dbt.config(materialized="table")
    from lifecycle_clv import Settings, fit_parameters

    settings = Settings.from_frame(dbt.ref("int_clv_fit_settings").df())
    summary = dbt.ref("int_customers_clv_summarized").df()
    return fit_parameters(summary, settings)
