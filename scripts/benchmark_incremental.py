#!/usr/bin/env python
"""Benchmark an incremental nightly run against a full refresh (README "Nightly runs").

1. Generate a clean Parquet orders file with scripts/generate_orders.py (reused when already in the work directory)
   and split it into monthly files of everything before the last day, and one file of the last day.
2. Time `dbt run --full-refresh` with var orders_path the glob of the monthly files (seeds first, untimed).
3. Add the last day's file and time a plain `dbt run`: the incremental run (one new day of orders).
4. With --verify, run `dbt run --full-refresh` on a copy of the database and check every mart equals the
   incremental one (EXCEPT both ways), untimed.
5. Print a Markdown table: both timings, their ratio, peak memory, the new day's orders and the customers the
   incremental run recomputed.

Usage: python scripts/benchmark_incremental.py --customers 1000000 [--workdir DIR] [--verify]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
from pathlib import Path

import duckdb

SCRIPTS_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(SCRIPTS_DIR))

from benchmark import (  # noqa: E402
    Measurement, fail, generate_orders, memory_by_node, run_measured, slowest_nodes,
)

PROJECT_DIR = SCRIPTS_DIR.parent
MARTS = ["fct_lifecycle_metrics", "fct_cohort_retention", "dim_customers", "fct_churn_alerts", "fct_open_churn_alerts"]


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--customers", type=int, default=1_000_000, help="customers to generate (default 1,000,000)")
    parser.add_argument("--workdir", type=Path, default=None, help="work directory (default: a new temp dir)")
    parser.add_argument("--seed", type=int, default=42, help="generator seed (default 42)")
    parser.add_argument("--verify", action="store_true", help="compare the marts with a full refresh (untimed)")
    args = parser.parse_args(argv)
    args.workdir = (args.workdir or Path(tempfile.mkdtemp(prefix="lifecycle_incremental_"))).resolve()
    args.workdir.mkdir(parents=True, exist_ok=True)
    return args


def split_orders(orders_path: Path, folder: Path) -> tuple[Path, int]:
    """Monthly files of the orders before the last day into `folder`; the last day's orders into a file beside it,
    returned with its number of orders."""
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir()
    con = duckdb.connect()
    source = f"read_parquet('{orders_path}')"
    (last_day,) = con.execute(f"select max(ordered_at)::date from {source}").fetchone()
    con.execute(f"""
        copy (
            select *, strftime(ordered_at, '%Y_%m') as month from {source} where ordered_at < date '{last_day}'
        ) to '{folder}' (format parquet, partition_by (month), filename_pattern 'orders_{{i}}')
    """)
    # one flat folder of files: orders_YYYY_MM.parquet
    for part in sorted(folder.glob("month=*/*.parquet")):
        month = part.parent.name.split("=", 1)[1]
        part.rename(folder / f"orders_{month}.parquet")
        part.parent.rmdir()
    day_file = folder.parent / f"orders_{last_day:%Y_%m_%d}.parquet"
    con.execute(f"copy (select * from {source} where ordered_at >= date '{last_day}') to '{day_file}' (format parquet)")
    (day_orders,) = con.execute(f"select count(*) from read_parquet('{day_file}')").fetchone()
    return day_file, day_orders


def dbt_command(args: argparse.Namespace, database: Path, orders_glob: str, *command: str,
                log_name: str | None = None) -> Measurement:
    env = {**os.environ, "DBT_DUCKDB_PATH": str(database)}
    common = ["--vars", json.dumps({"orders_path": orders_glob}), "--target-path", str(args.workdir / "target"),
              "--log-path", str(args.workdir / "logs")]
    name = log_name or "_".join(part.strip("-") for part in command)
    measured = run_measured([sys.executable, "-m", "dbt.cli.main", *command, *common],
                            args.workdir / f"dbt_{name}.log", cwd=PROJECT_DIR, env=env)
    if measured.returncode != 0:
        fail(f"dbt {' '.join(command)} failed ({measured.returncode}):\n{measured.stdout[-3000:]}")
    if "run" in command:
        # where the time and the memory went, before the next command overwrites run_results.json
        label = " ".join(command)
        print(slowest_nodes(args.workdir, label, count=10, target=args.workdir / "target"))
        print(memory_by_node(args.workdir, label, measured, count=5, target=args.workdir / "target"), flush=True)
    return measured


def differences(incremental: Path, full: Path) -> list[str]:
    con = duckdb.connect()
    con.execute(f"attach '{incremental}' as incremental (read_only)")
    con.execute(f"attach '{full}' as full_refresh (read_only)")
    problems = []
    for mart in MARTS:
        for left, right in (("incremental", "full_refresh"), ("full_refresh", "incremental")):
            (count,) = con.execute(
                f"select count(*) from (select * from {left}.main.{mart} except all select * from {right}.main.{mart})"
            ).fetchone()
            if count:
                problems.append(f"{mart}: {count} rows only in {left}")
    return problems


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    orders_path = generate_orders(args.customers, args.seed, args.workdir)
    folder = args.workdir / "orders"
    day_file, day_orders = split_orders(orders_path, folder)
    orders_glob = str(folder / "*.parquet")
    database = args.workdir / "incremental.duckdb"
    database.unlink(missing_ok=True)
    dbt_command(args, database, orders_glob, "seed")
    full = dbt_command(args, database, orders_glob, "run", "--full-refresh")
    shutil.move(day_file, folder / day_file.name)
    incremental = dbt_command(args, database, orders_glob, "run")
    con = duckdb.connect(str(database), read_only=True)
    (changed,) = con.execute("select changed_customers from main.int_lifecycle_runs_recorded "
                             "order by run_number desc limit 1").fetchone()
    (orders,) = con.execute("select count(*) from main.int_orders_sequenced").fetchone()
    con.close()
    status = 0
    if args.verify:
        copy = args.workdir / "full_refresh.duckdb"
        shutil.copy(database, copy)
        dbt_command(args, copy, orders_glob, "run", "--full-refresh", log_name="verify_full_refresh")
        problems = differences(database, copy)
        for problem in problems:
            print(problem, file=sys.stderr)
        status = 1 if problems else 0
    ratio = incremental.seconds / full.seconds
    print(f"\n{args.customers:,} customers, {orders:,} valid orders; the new day: {day_orders:,} orders, "
          f"{changed:,} customers recomputed\n")
    print("| run | seconds | peak RSS MB |")
    print("|---|---:|---:|")
    print(f"| `dbt run --full-refresh` | {full.seconds:.1f} | {full.peak_mb:.0f} |")
    print(f"| `dbt run` (incremental, one new day) | {incremental.seconds:.1f} | {incremental.peak_mb:.0f} |")
    print(f"| ratio | {ratio:.1%} | |")
    if args.verify:
        print(f"\nmarts equal to a full refresh: {'yes' if status == 0 else 'NO'}")
    return status


if __name__ == "__main__":
    sys.exit(main())
