"""The reading layer as a PySpark (4.0+) Python data source named `lifecycle_reading`: on Spark, the same reader
as on DuckDB and PostgreSQL turns a shop export into the raw source's rows (Arrow batches, one row per line of the
file, malformed lines kept with their reason and line number).

    spark.read.format("lifecycle_reading").option("path", "exports/orders.csv").load()
    CREATE TEMPORARY VIEW raw_orders_file USING lifecycle_reading OPTIONS (path 'exports/orders.csv', ...)

Options (all text): `contract` (default orders), `path` (a file or glob; empty = the bundled demo data), `columns`
(a JSON object, contract column -> the file's header) and `encoding`, as the vars `orders_path`, `orders_columns`
and `orders_encoding`. A relative path is relative to the Spark driver's working directory.

Spark registers it by itself: at the first use of a Python data source in a session it imports every top-level
module named `pyspark_*` on its Python workers' path and registers their `DefaultSource`; the project root's
`pyspark_lifecycle_reading.py` is such a module. The workers' path holds the directory Spark was started from
and $PYTHONPATH, so run dbt from the repository root (as for every target) or put the root on PYTHONPATH.
`spark.dataSource.register(LifecycleReadingDataSource)` registers it explicitly (scripts/load_orders.py does).
"""

from __future__ import annotations

from collections.abc import Iterator

import pyarrow as pa
from pyspark.sql.datasource import DataSource, DataSourceReader, InputPartition
from pyspark.sql.pandas.types import from_arrow_schema
from pyspark.sql.types import StructType

from lifecycle_reading.files import input_schema, read_batches
from lifecycle_reading.options import options_from_meta

NAME = "lifecycle_reading"


class LifecycleReadingDataSource(DataSource):
    """A batch source whose schema is the reading layer's: line columns, then the contract columns the file has."""

    @classmethod
    def name(cls) -> str:
        return NAME

    def schema(self) -> StructType:
        return from_arrow_schema(input_schema(options_from_meta(dict(self.options))))

    def reader(self, schema: StructType) -> DataSourceReader:
        return LifecycleReadingReader(dict(self.options))


class LifecycleReadingReader(DataSourceReader):
    """One partition: the files are read in name order by one reader, so line numbers are those of the files."""

    def __init__(self, options: dict[str, str]) -> None:
        self.options = options

    def partitions(self) -> list[InputPartition]:
        return [InputPartition(0)]

    def read(self, partition: InputPartition) -> Iterator[pa.RecordBatch]:
        _, batches = read_batches(options_from_meta(self.options))
        yield from batches
