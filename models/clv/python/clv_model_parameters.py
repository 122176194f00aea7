"""BG/NBD and Gamma-Gamma fitted by maximum likelihood with pymc-marketing, inside `dbt build` (DuckDB).

The fit itself is lifecycle_clv.fit_parameters, which scripts/fit_clv.py runs on engines without dbt Python
models: one implementation for every engine. One streamed pass over the summary (lifecycle_clv.fit_sample, a
million customers at a time) chooses the customers of the fits' deterministic samples (var clv_fit_max_customers)
and counts each window; only those customers are then read, with the columns the fits use and text kept as Arrow
strings (lifecycle_clv.compact_frame), while DuckDB's buffer cache is held to 1 GB, and to 64 MB while the fits run.
The fit runs in a child process (lifecycle_clv.isolated), so that pymc's memory (about 320 MB once imported and
used) does not stay in the dbt process for the rest of the build. The parameters are those of a fit handed every
customer, to the digit (tests/test_clv.py); memory no longer grows with the customers.
"""


def model(dbt, session):
    dbt.config(materialized="table")
    import pyarrow as pa

    from lifecycle_clv import (
        CHUNK_ROWS, SAMPLE_PROJECTION, SUMMARY_PROJECTION, Settings, compact_frame, fit_sample,
    )
    from lifecycle_clv.duckdb_memory import buffer_cache_capped, release_freed_memory
    from lifecycle_clv.isolated import fit_parameters_isolated

    settings = Settings.from_frame(dbt.ref("int_clv_fit_settings").df())
    summary = dbt.ref("int_customers_clv_summarized")
    with buffer_cache_capped(session) as lower_buffer_cache:
        chosen, counts = fit_sample(summary.project(SAMPLE_PROJECTION).to_arrow_reader(CHUNK_ROWS), settings)
        session.register("clv_fit_chosen_customers", pa.table({"customer_id": pa.array(chosen, pa.string())}))
        try:
            sampled = compact_frame(
                summary.filter("customer_id in (select customer_id from clv_fit_chosen_customers)")
                .project(SUMMARY_PROJECTION)
                .to_arrow_table()
            )
        finally:
            session.unregister("clv_fit_chosen_customers")
        del chosen

        def release():
            nonlocal sampled
            sampled = None
            release_freed_memory()
            lower_buffer_cache()  # DuckDB's cached blocks leave too while the children fit

        parameters = fit_parameters_isolated(sampled, settings, counts, release=release)
    return parameters
