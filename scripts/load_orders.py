"""Load a raw orders file into the warehouse's raw source table, with the reading rules of the DuckDB build.

On DuckDB `dbt build` reads the files itself (var `orders_path`). On PostgreSQL and Spark the raw orders are the
declared source `shop.raw_orders` (schema var `raw_schema`, default `shop_raw`): this script fills it, replacing
its contents, through the same reading layer (encodings, column mapping, malformed lines kept with their reason
and line number). The optional loyalty sources are loaded with the orders into `raw_loyalty_members` and
`raw_loyalty_events` (vars `loyalty_members_path`, `loyalty_events_path`; README "Loyalty programme and
returns"). Then a plain `dbt build --target postgres` (or `--target spark`) builds everything from it.

    python scripts/load_orders.py --target postgres                 # the bundled demo data
    python scripts/load_orders.py exports/orders.csv --target spark \
        --vars '{orders_encoding: gb18030, orders_columns: {order_id: 订单编号, customer_id: 买家会员名}}'

PostgreSQL: one transaction (drop, create, COPY). Connection: the libpq variables PGHOST, PGPORT, PGUSER,
PGPASSWORD, PGDATABASE (defaults 127.0.0.1, 5432, postgres, no password, test), as in profiles.yml.

Spark: the session of the `spark` target of profiles.yml (same warehouse folder and metastore, LIFECYCLE_SPARK_DIR),
reading the file through the reading layer's Spark data source (lifecycle_reading/spark_source.py: Arrow batches
from the same Python reader) and overwriting the table with them (`saveAsTable`, mode overwrite; file format
spark.sql.sources.default, Parquet). Stop any other process using the same local metastore first (Derby allows one).

Elsewhere (a Spark Thrift server, a Databricks cluster): `--parquet OUT` writes the same rows to a Parquet file;
upload it and declare it as the source table there (README "Other engines").
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import sys
from pathlib import Path

import pyarrow as pa
import yaml

PROJECT_DIR = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT_DIR))

from lifecycle_reading.contracts import CONTRACTS  # noqa: E402
from lifecycle_reading.files import InputError, ReadOptions, input_schema, read_batches  # noqa: E402
from lifecycle_reading.options import DEMO_FILES  # noqa: E402

POSTGRES_TYPES = [
    (pa.types.is_string, "text"),
    (pa.types.is_large_string, "text"),
    (pa.types.is_boolean, "boolean"),
    (pa.types.is_integer, "bigint"),
    (pa.types.is_floating, "double precision"),
    (pa.types.is_decimal, "numeric"),
    (pa.types.is_date, "date"),
]


def postgres_type(arrow_type: pa.DataType) -> str:
    if pa.types.is_timestamp(arrow_type):
        return "timestamptz" if arrow_type.tz else "timestamp"
    for check, name in POSTGRES_TYPES:
        if check(arrow_type):
            return name
    return "text"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("path", nargs="?", help="a .csv, .csv.gz or .parquet file or glob (default: the demo data)")
    parser.add_argument("--target", default=os.environ.get("DBT_TARGET", "postgres"), help="postgres (default) or spark")
    parser.add_argument("--vars", default="{}", help="dbt-style vars: orders_columns, orders_encoding, raw_schema")
    parser.add_argument("--schema", help="schema of the raw source (default: var raw_schema, else shop_raw)")
    parser.add_argument("--contract", default="orders", choices=sorted(CONTRACTS), help="which raw source")
    parser.add_argument("--parquet", metavar="OUT", help="write the raw source's rows to this Parquet file instead "
                        "(for a warehouse this script does not reach, e.g. a Databricks cluster)")
    return parser.parse_args(argv)


def read_options(args: argparse.Namespace, dbt_vars: dict) -> ReadOptions:
    contract = CONTRACTS[args.contract]
    path = args.path or dbt_vars.get(f"{contract.name}_path") or str(DEMO_FILES[contract.name])
    return ReadOptions(
        contract=contract,
        path=str(path),
        columns=dbt_vars.get(f"{contract.name}_columns") or {},
        encoding=dbt_vars.get(f"{contract.name}_encoding") or "utf-8",
    )


def load_postgres(options: ReadOptions, schema: str, table: str) -> int:
    import psycopg2

    arrow_schema, batches = read_batches(options)
    columns = ", ".join(f'"{field.name}" {postgres_type(field.type)}' for field in arrow_schema)
    connection = psycopg2.connect(
        host=os.environ.get("PGHOST", "127.0.0.1"),
        port=int(os.environ.get("PGPORT", "5432")),
        user=os.environ.get("PGUSER", "postgres"),
        password=os.environ.get("PGPASSWORD", ""),
        dbname=os.environ.get("PGDATABASE", "test"),
    )
    rows = 0
    try:
        with connection, connection.cursor() as cursor:
            cursor.execute(f'create schema if not exists "{schema}"')
            cursor.execute(f'drop table if exists "{schema}"."{table}"')
            cursor.execute(f'create table "{schema}"."{table}" ({columns})')
            names = ", ".join(f'"{field.name}"' for field in arrow_schema)
            for batch in batches:
                buffer = io.StringIO()
                writer = csv.writer(buffer, lineterminator="\n")
                for row in zip(*(column.to_pylist() for column in batch.columns)):
                    writer.writerow(["\\N" if value is None else value for value in row])
                buffer.seek(0)
                cursor.copy_expert(
                    f'copy "{schema}"."{table}" ({names}) from stdin with (format csv, null \'\\N\')', buffer
                )
                rows += batch.num_rows
    finally:
        connection.close()
    return rows


def load_spark(options: ReadOptions, schema: str, table: str, target: str = "spark") -> int:
    """Overwrite `schema`.`table` with the reading layer's rows, in the Spark session of profiles.yml's target."""
    from lifecycle_reading.spark_session import spark_session
    from lifecycle_reading.spark_source import LifecycleReadingDataSource

    input_schema(options)  # a file that cannot be read stops here, with the reading layer's one-line message
    path = os.path.abspath(os.path.expanduser(options.path))  # Spark's workers may run elsewhere
    spark = spark_session(target)
    try:
        spark.dataSource.register(LifecycleReadingDataSource)
    except Exception as error:  # noqa: BLE001 - Spark registered it from pyspark_lifecycle_reading already
        if "DATA_SOURCE_ALREADY_EXISTS" not in str(error):
            raise
    frame = (
        spark.read.format(LifecycleReadingDataSource.name())
        .option("contract", options.contract.name)
        .option("path", path)
        .option("columns", json.dumps(options.columns or {}, ensure_ascii=False))
        .option("encoding", options.encoding)
        .load()
    )
    spark.sql(f"create database if not exists `{schema}`")
    frame.write.mode("overwrite").saveAsTable(f"`{schema}`.`{table}`")
    return spark.table(f"`{schema}`.`{table}`").count()


def write_parquet(options: ReadOptions, out: str) -> int:
    """The raw source's rows as one Parquet file, e.g. to upload and declare as the source table of a cluster."""
    import pyarrow.parquet as pq

    arrow_schema, batches = read_batches(options)
    rows = 0
    with pq.ParquetWriter(out, arrow_schema) as writer:
        for batch in batches:
            writer.write_batch(batch)
            rows += batch.num_rows
    return rows


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    dbt_vars = yaml.safe_load(args.vars) or {}
    schema = args.schema or dbt_vars.get("raw_schema") or "shop_raw"
    table = f"raw_{args.contract}"
    try:
        options = read_options(args, dbt_vars)
        if args.parquet:
            rows = write_parquet(options, args.parquet)
            print(f"wrote {rows:,} raw lines from {options.path} to {args.parquet}")
            return 0
        if args.target == "postgres":
            rows = load_postgres(options, schema, table)
        elif args.target.startswith("spark"):
            rows = load_spark(options, schema, table, args.target)
        elif args.target == "duckdb":
            print("on duckdb, dbt build reads the files itself: dbt build --vars '{orders_path: ...}'")
            return 0
        else:
            print(f"load_orders.py: target '{args.target}' is not supported (postgres, spark)", file=sys.stderr)
            return 2
    except InputError as error:
        print(f"load_orders.py: {error}", file=sys.stderr)
        return 2
    print(f"loaded {rows:,} raw lines from {options.path} into {args.target} {schema}.{table}")
    if args.contract == "orders" and not args.parquet:
        return load_optional_sources(args, dbt_vars, schema)
    return 0



# --- optional sources (README "Optional sources") ------------------------------------------------------------------
OPTIONAL_CONTRACTS = ("loyalty_members", "loyalty_events", "campaign_touches")


def optional_source_options(contract_name: str, args: argparse.Namespace, dbt_vars: dict) -> ReadOptions:
    """An optional source's file: var `<contract>_path`; else the bundled demo file when the orders are the demo's
    (no path, no var orders_path); else no data (an empty table of the contract's columns)."""
    from lifecycle_reading.options import NO_DATA, options_from_meta, unset

    path = dbt_vars.get(f"{contract_name}_path")
    if unset(path):
        path = "" if (not args.path and unset(dbt_vars.get("orders_path"))) else NO_DATA
    return options_from_meta({
        "contract": contract_name,
        "path": path,
        "columns": dbt_vars.get(f"{contract_name}_columns") or {},
        "encoding": dbt_vars.get(f"{contract_name}_encoding"),
    })


def load_optional_sources(args: argparse.Namespace, dbt_vars: dict, schema: str) -> int:
    """With the orders, every optional source is (re)loaded too, so that the warehouse never keeps another
    input's touches next to new orders."""
    for contract_name in OPTIONAL_CONTRACTS:
        table = f"raw_{contract_name}"
        try:
            options = optional_source_options(contract_name, args, dbt_vars)
            if args.target == "postgres":
                rows = load_postgres(options, schema, table)
            elif args.target.startswith("spark"):
                rows = load_spark(options, schema, table, args.target)
            else:
                continue
        except InputError as error:
            print(f"load_orders.py: {error}", file=sys.stderr)
            return 2
        print(f"loaded {rows:,} raw lines from {options.path} into {args.target} {schema}.{table}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
