"""Fit the predictive customer value models on PostgreSQL, where dbt Python models are not available.

On DuckDB `dbt build` fits BG/NBD and Gamma-Gamma itself (the dbt Python models of models/clv/python/). On
PostgreSQL it is one step between two builds:

    python scripts/build.py --target postgres      # 1. build: the CLV summary; predictions NULL, one warning
    python scripts/fit_clv.py --target postgres    # 2. fit: reads the summary, writes the fit
    python scripts/build.py --target postgres      # 3. build again: the predictions

Step 2 reads int_clv_fit_settings and int_customers_clv_summarized from the built schema ($PGSCHEMA, default
`lifecycle`; --schema), fits and scores with the same code as the DuckDB build (lifecycle_clv), streaming the
summary a million customers at a time and holding only the fits' samples, and writes
clv_model_parameters and int_customers_clv_scored, replacing them in one transaction, to the schema of var
`clv_schema` (default `lifecycle_clv`; --clv-schema), which scripts/build.py never swaps. Step 3 uses that fit only
if it was made on the same data with the same settings (int_clv_fit_settings.fit_fingerprint); otherwise its
predictions stay NULL and the warn test warn_clv_model_not_fitted says to run this script again.

Connection: the libpq variables PGHOST, PGPORT, PGUSER, PGPASSWORD, PGDATABASE (defaults 127.0.0.1, 5432,
postgres, no password, test), as in profiles.yml. Exit status 2, with one line, when the build is missing.
"""

from __future__ import annotations

import argparse
import csv
import io
import math
import os
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pyarrow as pa
import yaml

PROJECT_DIR = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT_DIR))

from lifecycle_clv import (  # noqa: E402
    CHUNK_ROWS, SAMPLE_COLUMNS, SUMMARY_COLUMNS, Settings, fit_all, fit_sample, parameters_frame, projection,
    score_customers,
)

PARAMETER_TYPES = {
    "fitted_on": "text", "model": "text", "parameter": "text", "value": "double precision",
    "time_unit_days": "double precision", "fit_status": "text", "fit_message": "text", "customers": "bigint",
    "fitted_customers": "bigint", "metrics_as_of": "timestamp", "fit_fingerprint": "text",
}
SCORE_TYPES = {
    "customer_id": "text", "probability_alive": "double precision", "expected_purchases": "double precision",
    "expected_purchase_value": "double precision", "predicted_clv": "double precision",
    "holdout_expected_purchases": "double precision",
}


class FitError(Exception):
    """A problem the user can fix (the build is missing); printed as one line, exit 2."""


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--target", default=os.environ.get("DBT_TARGET", "postgres"), help="postgres (default)")
    parser.add_argument("--schema", default=os.environ.get("PGSCHEMA", "lifecycle"),
                        help="the built schema to read (default $PGSCHEMA, else lifecycle)")
    parser.add_argument("--clv-schema", help="the schema to write the fit to (default var clv_schema, lifecycle_clv)")
    parser.add_argument("--vars", default="{}", help="dbt-style vars; only clv_schema is read")
    parser.add_argument("--chunk-rows", type=int, default=CHUNK_ROWS,
                        help=f"customers per streamed chunk of the summary (default {CHUNK_ROWS:,})")
    return parser.parse_args(argv)


def connect():
    import psycopg2

    return psycopg2.connect(
        host=os.environ.get("PGHOST", "127.0.0.1"),
        port=int(os.environ.get("PGPORT", "5432")),
        user=os.environ.get("PGUSER", "postgres"),
        password=os.environ.get("PGPASSWORD", ""),
        dbname=os.environ.get("PGDATABASE", "test"),
    )


def read_frame(cursor, sql: str) -> pd.DataFrame:
    cursor.execute(sql)
    names = [column.name for column in cursor.description]
    return pd.DataFrame(cursor.fetchall(), columns=names)


def check_build(cursor, schema: str) -> None:
    """FitError unless the build in `schema` has what the fit reads."""
    for table in ("int_clv_fit_settings", "int_customers_clv_summarized"):
        cursor.execute("select to_regclass(%s)", [f'"{schema}"."{table}"'])
        if cursor.fetchone()[0] is None:
            raise FitError(f"schema {schema} has no {table}: build first (python scripts/build.py --target "
                           "postgres), or pass --schema")


def summary_frames(connection, schema: str, columns: tuple[str, ...], chunk_rows: int,
                   where: str = "") -> Iterator[pd.DataFrame]:
    """The summary's customer_id and `columns` (as floats, NULL as NaN), chunk_rows customers at a time through a
    server-side cursor: the client never holds every customer."""
    with connection.cursor(name=f"clv_summary_{len(columns)}") as cursor:
        cursor.itersize = chunk_rows
        cursor.execute(f'select {projection(columns, "double precision")} '
                       f'from "{schema}".int_customers_clv_summarized {where}')
        while rows := cursor.fetchmany(chunk_rows):
            frame = pd.DataFrame(rows, columns=["customer_id", *columns])
            yield frame.astype({name: float for name in columns})


def sampled_summary(connection, cursor, schema: str, chosen: list[str], chunk_rows: int) -> pd.DataFrame:
    """The summary of the customers fit_sample chose (at most three samples of var clv_fit_max_customers)."""
    cursor.execute("create temporary table clv_fit_chosen_customers (customer_id text primary key) on commit drop")
    cursor.copy_expert("copy clv_fit_chosen_customers (customer_id) from stdin with (format csv)",
                       csv_rows(pd.DataFrame({"customer_id": chosen}), ["customer_id"]))
    where = "where customer_id in (select customer_id from clv_fit_chosen_customers)"
    frames = list(summary_frames(connection, schema, SUMMARY_COLUMNS, chunk_rows, where))
    if not frames:  # a build without customers: the fits say so
        return pd.DataFrame({"customer_id": pd.Series(dtype=str), **{
            name: pd.Series(dtype=float) for name in SUMMARY_COLUMNS}})
    return pd.concat(frames, ignore_index=True)


def csv_rows(frame: pd.DataFrame, columns: list[str]) -> io.StringIO:
    """frame's rows as CSV for COPY: floats written with every digit, NaN and None as \\N."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    for row in frame[columns].itertuples(index=False, name=None):
        writer.writerow([
            "\\N" if value is None or (isinstance(value, float) and math.isnan(value))
            else repr(value) if isinstance(value, float) else value
            for value in row
        ])
    buffer.seek(0)
    return buffer


def create_table(cursor, schema: str, table: str, types: dict[str, str]) -> None:
    cursor.execute(f'drop table if exists "{schema}"."{table}"')
    columns = ", ".join(f'"{name}" {kind}' for name, kind in types.items())
    cursor.execute(f'create table "{schema}"."{table}" ({columns})')


def copy_frame(cursor, schema: str, table: str, frame: pd.DataFrame, types: dict[str, str]) -> None:
    """Append the rows of frame to schema.table."""
    names = ", ".join(f'"{name}"' for name in types)
    cursor.copy_expert(f'copy "{schema}"."{table}" ({names}) from stdin with (format csv, null \'\\N\')',
                       csv_rows(frame, list(types)))


def fit(schema: str, clv_schema: str, chunk_rows: int = CHUNK_ROWS) -> str:
    """Fit, score and write, in one transaction; returns the summary line. The summary is streamed twice (the
    samples, then the scores) and only the sampled customers are held, as inside the DuckDB build."""
    started = time.monotonic()
    connection = connect()
    try:
        with connection, connection.cursor() as cursor:
            check_build(cursor, schema)
            settings_frame = read_frame(cursor, f'select * from "{schema}".int_clv_fit_settings')
            settings = Settings.from_frame(settings_frame)
            chosen, counts = fit_sample(
                (pa.RecordBatch.from_pandas(frame, preserve_index=False)
                 for frame in summary_frames(connection, schema, SAMPLE_COLUMNS, chunk_rows)),
                settings,
            )
            fits = fit_all(sampled_summary(connection, cursor, schema, chosen, chunk_rows), settings, counts)
            parameters = parameters_frame(fits, settings)
            parameters["fit_fingerprint"] = settings_frame.iloc[0]["fit_fingerprint"]
            parameters["metrics_as_of"] = (
                pd.to_datetime(parameters["metrics_as_of"]).dt.strftime("%Y-%m-%d %H:%M:%S.%f"))
            cursor.execute(f'create schema if not exists "{clv_schema}"')
            create_table(cursor, clv_schema, "clv_model_parameters", PARAMETER_TYPES)
            copy_frame(cursor, clv_schema, "clv_model_parameters", parameters, PARAMETER_TYPES)
            create_table(cursor, clv_schema, "int_customers_clv_scored", SCORE_TYPES)
            scored = 0
            for summary in summary_frames(connection, schema, SUMMARY_COLUMNS, chunk_rows):
                scores = score_customers(summary, parameters, settings)
                copy_frame(cursor, clv_schema, "int_customers_clv_scored", scores, SCORE_TYPES)
                scored += len(scores)
    finally:
        connection.close()
    outcomes = []
    for one in fits:
        if one.values is not None:
            shown = ", ".join(f"{name} = {value:.4g}" for name, value in one.values.items())
            outcomes.append(f"{one.model} ({one.fitted_on}) {one.status}: {shown}")
        elif one.status != "skipped":
            outcomes.append(f"{one.model} ({one.fitted_on}) not fitted: {one.message}")
    return (f"fitted {schema} in {time.monotonic() - started:.1f} s -> {clv_schema}.clv_model_parameters and "
            f"{clv_schema}.int_customers_clv_scored ({scored:,} customers); " + "; ".join(outcomes)
            + ". Now build again.")


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    dbt_vars = yaml.safe_load(args.vars) or {}
    clv_schema = args.clv_schema or dbt_vars.get("clv_schema") or "lifecycle_clv"
    if args.target == "duckdb":
        print("fit_clv.py: on duckdb, dbt build fits the models itself (models/clv/python/)")
        return 0
    if args.target != "postgres":
        print(f"fit_clv.py: target '{args.target}' is not supported yet (postgres)", file=sys.stderr)
        return 2
    try:
        if args.chunk_rows < 1:
            raise FitError(f"--chunk-rows must be a positive number of customers, not {args.chunk_rows}")
        print(f"fit_clv.py: {fit(args.schema, clv_schema, args.chunk_rows)}")
    except FitError as error:
        print(f"fit_clv.py: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
