"""Spark's hook for the reading layer: PySpark registers the `DefaultSource` of every top-level `pyspark_*` module
on its workers' path as a Python data source, here `lifecycle_reading` (see lifecycle_reading/spark_source.py)."""

from lifecycle_reading.spark_source import LifecycleReadingDataSource as DefaultSource

__all__ = ["DefaultSource"]
