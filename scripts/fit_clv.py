"""Fit the predictive customer value models on PostgreSQL, where dbt Python models are not available.

On DuckDB `dbt build` fits BG/NBD and Gamma-Gamma itself (the dbt Python models of models/clv/python/). On
PostgreSQL it is one step between two builds:

    python scripts/build.py --target postgres      # 1. build: the CLV summary; predictions NULL, one warning
    python scripts/fit_clv.py --target postgres    # 2. fit: reads the summary, writes the fit
    python scripts/build.py --target postgres      # 3. build again: the predictions

Step 2 reads int_clv_fit_settings and int_customers_clv_summarized from the built schema ($PGSCHEMA, default
`lifecycle`; --schema), fits and scores with the same code as the DuckDB build (lifecycle_clv), and writes
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
from pathlib import Path

import pandas as pd
import yaml

PROJECT_DIR = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT_DIR))

from lifecycle_clv import Settings, fit_all, parameters_frame, score_customers  # noqa: E402

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


def read_build(connection, schema: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The settings row and the summary of the build in `schema`."""
    with connection.cursor() as cursor:
        for table in ("int_clv_fit_settings", "int_customers_clv_summarized"):
            cursor.execute("select to_regclass(%s)", [f'"{schema}"."{table}"'])
            if cursor.fetchone()[0] is None:
                raise FitError(f"schema {schema} has no {table}: build first (python scripts/build.py --target "
                               "postgres), or pass --schema")
        settings = read_frame(cursor, f'select * from "{schema}".int_clv_fit_settings')
        summary = read_frame(cursor, f'select * from "{schema}".int_customers_clv_summarized')
    for column in ("recency", "age", "mean_repeat_value", "calibration_recency", "calibration_age"):
        summary[column] = pd.to_numeric(summary[column], errors="coerce").astype(float)
    for column in ("frequency", "calibration_frequency", "holdout_purchase_days"):
        summary[column] = pd.to_numeric(summary[column], errors="coerce")
    return settings, summary


def copy_frame(cursor, schema: str, table: str, frame: pd.DataFrame, types: dict[str, str]) -> None:
    """Replace schema.table with the rows of frame (floats written with every digit, NaN as NULL)."""
    cursor.execute(f'drop table if exists "{schema}"."{table}"')
    columns = ", ".join(f'"{name}" {kind}' for name, kind in types.items())
    cursor.execute(f'create table "{schema}"."{table}" ({columns})')
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    for row in frame[list(types)].itertuples(index=False, name=None):
        writer.writerow([
            "\\N" if value is None or (isinstance(value, float) and math.isnan(value))
            else repr(value) if isinstance(value, float) else value
            for value in row
        ])
    buffer.seek(0)
    names = ", ".join(f'"{name}"' for name in types)
    cursor.copy_expert(f'copy "{schema}"."{table}" ({names}) from stdin with (format csv, null \'\\N\')', buffer)


def fit(schema: str, clv_schema: str) -> str:
    """Fit, score and write; returns the summary line."""
    started = time.monotonic()
    connection = connect()
    try:
        settings_frame, summary = read_build(connection, schema)
        settings = Settings.from_frame(settings_frame)
        fits = fit_all(summary, settings)
        parameters = parameters_frame(fits, settings)
        scores = score_customers(summary, parameters, settings)
        parameters["fit_fingerprint"] = settings_frame.iloc[0]["fit_fingerprint"]
        parameters["metrics_as_of"] = pd.to_datetime(parameters["metrics_as_of"]).dt.strftime("%Y-%m-%d %H:%M:%S.%f")
        with connection, connection.cursor() as cursor:
            cursor.execute(f'create schema if not exists "{clv_schema}"')
            copy_frame(cursor, clv_schema, "clv_model_parameters", parameters, PARAMETER_TYPES)
            copy_frame(cursor, clv_schema, "int_customers_clv_scored", scores, SCORE_TYPES)
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
            f"{clv_schema}.int_customers_clv_scored ({len(scores):,} customers); " + "; ".join(outcomes)
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
        print(f"fit_clv.py: {fit(args.schema, clv_schema)}")
    except FitError as error:
        print(f"fit_clv.py: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
