"""Export the retention team's work list (fct_open_churn_alerts) to CSV.

    python scripts/export_open_alerts.py [--db target/lifecycle.duckdb] [--out reports/open_churn_alerts.csv]

Reads the DuckDB file read-only; rows are in priority order: the most value at stake first — the customer's
predicted_clv (BG/NBD and Gamma-Gamma, over var clv_horizon_days), by historical_clv when the model is not fitted —
and the columns include predicted_clv and probability_alive.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import duckdb


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", default=os.environ.get("DBT_DUCKDB_PATH", "target/lifecycle.duckdb"))
    parser.add_argument("--out", default="reports/open_churn_alerts.csv")
    return parser.parse_args(argv)


def export(db_path: Path, out_path: Path) -> int:
    """Write the open alerts to out_path; return the number of rows written."""
    out_path.parent.mkdir(parents=True, exist_ok=True)
    with duckdb.connect(str(db_path), read_only=True) as connection:
        rows = connection.execute("select count(*) from fct_open_churn_alerts").fetchone()[0]
        escaped = str(out_path).replace("'", "''")
        connection.execute(
            f"copy (select * from fct_open_churn_alerts order by priority_rank) to '{escaped}' (header, delimiter ',')"
        )
    return rows


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    db_path, out_path = Path(args.db), Path(args.out)
    if not db_path.exists():
        print(f"error: {db_path} does not exist; run `dbt build` first", file=sys.stderr)
        return 2
    try:
        rows = export(db_path, out_path)
    except duckdb.CatalogException:
        print(f"error: {db_path} has no fct_open_churn_alerts; run `dbt build` first", file=sys.stderr)
        return 2
    print(f"wrote {rows} open alerts to {out_path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
