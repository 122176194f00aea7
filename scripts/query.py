"""Run one SQL query against the published DuckDB file, read-only, and print the result as a table.

    python scripts/query.py "select grain, period_start, retention_rate from fct_lifecycle_metrics limit 5"
    python scripts/query.py --db path/to.duckdb "select * from dim_customers limit 5"

Read-only: it never blocks `scripts/build.py`, which publishes a new file by rename.
"""

from __future__ import annotations

import argparse
import os
import sys

import duckdb

DEFAULT_SQL = """
select period_start, customers_at_start, new_customers, customers_at_end,
       round(retention_rate, 3) as retention_rate, round(reactivation_rate, 3) as reactivation_rate
from fct_lifecycle_metrics
where grain = 'month' and is_complete
order by period_start desc
limit 6
"""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("sql", nargs="?", default=DEFAULT_SQL, help="the query (default: the last six months)")
    parser.add_argument("--db", default=os.environ.get("DBT_DUCKDB_PATH", "target/lifecycle.duckdb"))
    args = parser.parse_args(argv)
    if not os.path.exists(args.db):
        print(f"query.py: {args.db} does not exist; run `make demo` or `python scripts/build.py` first", file=sys.stderr)
        return 2
    with duckdb.connect(args.db, read_only=True) as connection:
        connection.sql(args.sql).show(max_width=160)
    return 0


if __name__ == "__main__":
    sys.exit(main())
