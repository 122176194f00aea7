"""The reading layer: real shop exports (CSV in any common encoding, Parquet) into raw tables, every line kept.

One reader for every source of the project (orders today; loyalty and campaign files reuse it) and every engine:
on DuckDB the dbt-duckdb plugin `lifecycle_reading.dbt_plugin` runs it inside `dbt build`; on PostgreSQL and Spark
`scripts/load_orders.py` runs it and writes the same table; on Spark it is also the Python data source
`lifecycle_reading` (`lifecycle_reading.spark_source`), which `dbt build` uses for var `orders_path`. See README "Bring your own orders".
"""

from lifecycle_reading.contracts import CONTRACTS, Contract
from lifecycle_reading.files import InputError, ReadOptions, read_batches

__all__ = ["CONTRACTS", "Contract", "InputError", "ReadOptions", "read_batches"]
