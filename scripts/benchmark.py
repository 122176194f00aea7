#!/usr/bin/env python
"""Benchmark the dbt pipeline against the hand-written reference query, and check they agree.

1. Generate a clean Parquet orders file with scripts/generate_orders.py (reused if
   already in the work directory: the generator is deterministic).
2. Time `dbt run` of the project on it (wall time, peak RSS of the dbt process), then `dbt build` (every model and
   every test) into a second, fresh database (skip with --no-build; --no-run times the build alone, whose
   "models" line then gives the model time the build / run ratio is read against).
3. Time scripts/benchmark_reference.sql in a fresh DuckDB process, materialising the result.
4. Compare main.fct_lifecycle_metrics with the reference result column by column
   (counts exactly, net_revenue to the cent, rates to 1e-9).
5. Print a Markdown table of the timings, the slowest nodes, and the nodes during which dbt held the most memory
   (its resident memory sampled every 0.25 s).

Exit status: 0 when the mart matches, 1 when it differs, 2 when something could not run.
dbt's artifacts and logs, the database and the reference result go to the work directory.

Usage: python scripts/benchmark.py --customers 1000000 [--workdir DIR] [--no-build | --no-run]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import NoReturn

import duckdb

SCRIPTS_DIR = Path(__file__).resolve().parent
PROJECT_DIR = SCRIPTS_DIR.parent
REFERENCE_SQL = SCRIPTS_DIR / "benchmark_reference.sql"
MART = "fct_lifecycle_metrics"

KEY_COLUMNS = ["grain", "period_start"]
EXACT_COLUMNS = [
    "period_end",
    "is_complete",
    "customers_at_start",
    "customers_at_end",
    "new_customers",
    "reactivated_customers",
    "churned_customers",
    "reactivation_events",
    "churn_events",
    "retained_customers",
    "old_customers_at_start",
    "dormant_customers_at_start",
    "ordering_customers",
    "repeat_customers",
    "orders",
]
MONEY_COLUMNS = ["net_revenue"]
RATE_COLUMNS = [
    "retention_rate",
    "base_retention_rate",
    "reactivation_rate",
    "dormant_reactivation_rate",
    "churn_rate",
    "repeat_purchase_rate",
    "quick_ratio",
]
MONEY_TOLERANCE = 0.005
RATE_TOLERANCE = 1e-9

# Runs in a fresh interpreter so that its peak RSS is its own: argv = sql file, output parquet.
REFERENCE_RUNNER = """
import json, sys, time
import duckdb
sql = open(sys.argv[1]).read()
con = duckdb.connect()
con.execute("set enable_progress_bar = false")
started = time.perf_counter()
con.execute("create table reference as " + sql)
seconds = time.perf_counter() - started
con.execute("copy reference to '" + sys.argv[2].replace("'", "''") + "' (format parquet)")
print(json.dumps({"seconds": seconds}))
"""


@dataclass
class Measurement:
    """Wall time and peak resident memory of one child process."""

    seconds: float
    peak_mb: float
    returncode: int
    stdout: str
    # (unix time, resident MB) every SAMPLE_SECONDS while it ran: which step holds the peak (memory_by_node)
    rss_samples: list[tuple[float, float]] = field(default_factory=list)


SAMPLE_SECONDS = 0.25


def descendants(pid: int) -> list[int]:
    """The processes started by pid, and by them, and so on (from the parent ids of /proc/<n>/stat)."""
    parents: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            # pid (comm) state ppid ...: comm may hold spaces and parentheses, so split after its last ")"
            ppid = int(stat.read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        parents.setdefault(ppid, []).append(int(stat.parent.name))
    found, waiting = [], [pid]
    while waiting:
        for child in parents.get(waiting.pop(), []):
            found.append(child)
            waiting.append(child)
    return found


def resident_mb(pid: int) -> float:
    """VmRSS of a process in MB; 0 when it is gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def sample_rss(pid: int, samples: list[tuple[float, float]], high_water: list[float], done: threading.Event) -> None:
    """Append (time, resident MB of process pid and every process it started) to samples, and pid's own VmHWM (the
    peak resident memory of the program it runs, in MB) to high_water, until done is set or the process is gone.
    The tree counts because the CLV fit runs in a child process of dbt (lifecycle_clv.isolated)."""
    status = Path(f"/proc/{pid}/status")
    while not done.is_set():
        try:
            fields = dict(line.split(":", 1) for line in status.read_text().splitlines() if ":" in line)
        except OSError:
            return
        if "VmRSS" in fields and "VmHWM" in fields:
            tree = int(fields["VmRSS"].split()[0]) / 1024 + sum(resident_mb(child) for child in descendants(pid))
            samples.append((time.time(), tree))
            high_water.append(int(fields["VmHWM"].split()[0]) / 1024)
        done.wait(SAMPLE_SECONDS)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Parse the command line."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--customers", type=int, default=1_000_000, help="customers to generate (default 1,000,000)")
    parser.add_argument("--workdir", type=Path, default=None, help="work directory (default: a new temp dir)")
    parser.add_argument("--seed", type=int, default=42, help="generator seed (default 42)")
    parser.add_argument("--dormancy-days", type=int, default=90, help="lifecycle_dormancy_days (default 90)")
    parser.add_argument("--project-dir", type=Path, default=PROJECT_DIR, help="dbt project to run (default: this repo)")
    parser.add_argument("--no-build", action="store_true", help="time `dbt run` only, not `dbt build`")
    parser.add_argument("--no-run", action="store_true",
                        help="time `dbt build` only (large inputs): the reference is compared with the build's mart")
    return parser.parse_args(argv)


def run_measured(command: list[str], log: Path, cwd: Path | None = None,
                 env: dict[str, str] | None = None) -> Measurement:
    """Run a command; return its wall time and peak RSS.

    The peak is the child's own high-water mark (VmHWM, sampled until it exits) or, when larger, the largest sampled
    sum of the resident memory of the child and the processes it started, not wait4's ru_maxrss: Python
    starts children with vfork, and Linux then counts the parent's resident memory at the exec in the child's
    ru_maxrss, so a parent that had read a large file in DuckDB (benchmark_incremental.py splitting the orders)
    made every child report at least the parent's size. ru_maxrss stands in only when nothing was sampled.

    stderr, then stdout, are written to `log`; stdout is also returned.
    """
    started = time.perf_counter()
    samples: list[tuple[float, float]] = []
    high_water: list[float] = []
    done = threading.Event()
    with open(log, "w") as out:
        process = subprocess.Popen(command, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=out, text=True)
        sampler = threading.Thread(target=sample_rss, args=(process.pid, samples, high_water, done), daemon=True)
        sampler.start()
        assert process.stdout is not None
        stdout = process.stdout.read()
        done.set()
        sampler.join()
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - started
        out.write(stdout)
    process.returncode = os.waitstatus_to_exitcode(status)
    # ru_maxrss: KiB on Linux
    # The peak: the larger of dbt's own high-water mark and the largest sampled sum over dbt and its children.
    peak_mb = max(high_water + [mb for _, mb in samples]) if high_water else usage.ru_maxrss / 1024
    return Measurement(seconds, peak_mb, process.returncode, stdout, samples)


def generate_orders(customers: int, seed: int, workdir: Path) -> Path:
    """Write (or reuse) the clean Parquet orders file for this size and seed."""
    path = workdir / f"orders_{customers}_{seed}.parquet"
    if path.exists():
        print(f"reusing {path}", file=sys.stderr)
        return path
    command = [sys.executable, str(SCRIPTS_DIR / "generate_orders.py"),
               "--customers", str(customers), "--seed", str(seed), "--out", str(path)]
    subprocess.run(command, check=True)
    return path


def default_metrics_as_of(orders_path: Path) -> str:
    """00:00 UTC of the day after the latest order (every row of a clean file is valid)."""
    con = duckdb.connect()
    (day,) = con.execute(
        "select (max(ordered_at::timestamp)::date + 1)::varchar from read_parquet(?)", [str(orders_path)]
    ).fetchone()
    return day


# ISO-8601 text -> UTC timestamp. A plain timestamp cast ignores an offset (right for 'Z' and for text without one,
# which is UTC), so text with a +hh:mm / -hh:mm offset after the date goes through timestamptz.
PARSED_TIMESTAMP = """case
            when length(raw_rows.{column}::varchar) > 19 and regexp_matches(raw_rows.{column}::varchar[11:], '[+-]')
                then timezone('UTC', try_cast(raw_rows.{column}::varchar as timestamptz))
            else try_cast(raw_rows.{column}::varchar as timestamp)
        end"""


def timestamp_sql(orders_path: Path, column: str) -> str:
    """The reference's UTC timestamp of a column: as it is when the file keeps it typed, else parsed text."""
    reader = "read_parquet" if orders_path.suffix.lower() == ".parquet" else "read_csv"
    (column_type,) = duckdb.connect().execute(
        f"select column_type from (describe select {column} from {reader}(?))", [str(orders_path)]
    ).fetchone()
    if column_type.upper().startswith("TIMESTAMP"):
        return f"raw_rows.{column}::timestamp"
    return PARSED_TIMESTAMP.format(column=column)


def render_reference_sql(orders_path: Path, metrics_as_of: str, dormancy_days: int) -> str:
    """Fill the placeholders of benchmark_reference.sql for this file."""
    parquet = orders_path.suffix.lower() == ".parquet"
    return REFERENCE_SQL.read_text().format(
        ordered_at=timestamp_sql(orders_path, "ordered_at"),
        updated_at=timestamp_sql(orders_path, "updated_at"),
        reader="read_parquet" if parquet else "read_csv",
        file_position="file_row_number" if parquet else "row_number() over ()",
        orders_path=str(orders_path).replace("'", "''"),
        metrics_as_of=metrics_as_of,
        dormancy_days=dormancy_days,
    )


def run_dbt(args: argparse.Namespace, orders_path: Path, metrics_as_of: str, database: Path,
            command: str = "run") -> Measurement:
    """Run `dbt seed` (untimed, in case models need seeds) then time `dbt <command>` (run or build) on the orders
    file, into a fresh database."""
    database.unlink(missing_ok=True)
    env = {**os.environ, "DBT_DUCKDB_PATH": str(database)}
    dbt_vars = {"orders_path": str(orders_path), "metrics_as_of": metrics_as_of}
    if args.dormancy_days != 90:
        dbt_vars["lifecycle_dormancy_days"] = args.dormancy_days
    dbt = [sys.executable, "-m", "dbt.cli.main"]
    # artifacts and logs go to the work directory, not over the project's target/ and logs/
    common = ["--vars", json.dumps(dbt_vars), "--target-path", str(args.workdir / f"target_{command}"),
              "--log-path", str(args.workdir / "logs")]
    if (args.project_dir / "packages.yml").exists() and not (args.project_dir / "dbt_packages").exists():
        subprocess.run([*dbt, "deps"], cwd=args.project_dir, env=env, check=True)  # untimed
    if command == "run":
        seed = run_measured([*dbt, "seed", *common], args.workdir / "dbt_seed.log", cwd=args.project_dir, env=env)
        if seed.returncode != 0:
            fail(f"dbt seed failed ({seed.returncode}):\n{seed.stdout[-3000:]}")
    measured = run_measured([*dbt, command, *common], args.workdir / f"dbt_{command}.log", cwd=args.project_dir,
                            env=env)
    if measured.returncode != 0:
        fail(f"dbt {command} failed ({measured.returncode}):\n{measured.stdout[-3000:]}")
    return measured


def run_reference(orders_path: Path, metrics_as_of: str, dormancy_days: int,
                  workdir: Path) -> tuple[Measurement, float, Path]:
    """Time the reference query in a fresh process; return the measurement, query seconds and result file."""
    sql_path = workdir / "reference.sql"
    sql_path.write_text(render_reference_sql(orders_path, metrics_as_of, dormancy_days))
    result_path = workdir / "reference.parquet"
    measured = run_measured([sys.executable, "-c", REFERENCE_RUNNER, str(sql_path), str(result_path)],
                            workdir / "reference.log")
    if measured.returncode != 0:
        fail(f"reference query failed, see {workdir / 'reference.log'}")
    return measured, json.loads(measured.stdout)["seconds"], result_path


def find_mart(con: duckdb.DuckDBPyConnection) -> str:
    """Qualified name of fct_lifecycle_metrics in the attached dbt database (schema main preferred)."""
    schemas = [row[0] for row in con.execute(
        "select table_schema from information_schema.tables where table_catalog = 'bench' and table_name = ? "
        "order by table_schema <> 'main', table_schema",
        [MART],
    ).fetchall()]
    if not schemas:
        fail(f"{MART} not found in the dbt database")
    return f'bench."{schemas[0]}".{MART}'


def mismatch_condition(column: str) -> str:
    """SQL that is true when the mart (m) and the reference (r) disagree on a column."""
    m, r = f"m.{column}", f"r.{column}"
    if column in EXACT_COLUMNS:
        return f"{m} is distinct from {r}"
    tolerance = MONEY_TOLERANCE if column in MONEY_COLUMNS else f"{RATE_TOLERANCE} * greatest(1, abs({r}::double))"
    return f"({m} is null) <> ({r} is null) or abs({m}::double - {r}::double) > {tolerance}"


def compare(database: Path, reference_path: Path) -> list[str]:
    """Compare the mart with the reference result; return one message per difference."""
    con = duckdb.connect()
    con.execute(f"attach '{database}' as bench (read_only)")
    mart = find_mart(con)
    mart_columns = {row[0] for row in con.execute(f"describe {mart}").fetchall()}
    problems = [f"column {c} missing from {mart}"
                for c in KEY_COLUMNS + EXACT_COLUMNS + MONEY_COLUMNS + RATE_COLUMNS if c not in mart_columns]
    if problems:
        return problems
    joined = f"""
        {mart} as m
        full join read_parquet('{reference_path}') as r
            on m.grain = r.grain and m.period_start = r.period_start
    """
    (only_mart, only_reference, total) = con.execute(f"""
        select count(*) filter (where r.grain is null), count(*) filter (where m.grain is null), count(*)
        from {joined}
    """).fetchone()
    if only_mart or only_reference:
        problems.append(f"periods only in the mart: {only_mart}, only in the reference: {only_reference}")
    for column in EXACT_COLUMNS + MONEY_COLUMNS + RATE_COLUMNS:
        bad, example = con.execute(f"""
            select
                count(*),
                any_value(coalesce(m.grain, r.grain) || ' ' || coalesce(m.period_start, r.period_start)
                    || ': mart ' || coalesce(m.{column}::varchar, 'NULL')
                    || ', reference ' || coalesce(r.{column}::varchar, 'NULL')),
            from {joined}
            where m.grain is not null and r.grain is not null and ({mismatch_condition(column)})
        """).fetchone()
        if bad:
            problems.append(f"{column}: {bad} of {total} periods differ, e.g. {example}")
    return problems


def count_orders(orders_path: Path) -> int:
    """Number of rows (orders) of the generated file."""
    return duckdb.connect().execute("select count(*) from read_parquet(?)", [str(orders_path)]).fetchone()[0]


def markdown_table(customers: int, orders: int, dbt: Measurement | None, build: Measurement | None,
                   reference: Measurement, reference_seconds: float) -> str:
    """The timings as a Markdown table ("-" for what was not run)."""
    header = ["customers", "orders", "dbt run s", "dbt peak MB", "reference query s", "reference peak MB",
              "ratio (dbt run / reference)", "dbt build s", "build peak MB", "ratio (build / run)"]
    row = [f"{customers:,}", f"{orders:,}"]
    row += ([f"{dbt.seconds:.1f}", f"{dbt.peak_mb:.0f}"] if dbt else ["-", "-"])
    row += [f"{reference_seconds:.1f}", f"{reference.peak_mb:.0f}"]
    row += [f"{dbt.seconds / reference_seconds:.1f}"] if dbt else ["-"]
    row += ([f"{build.seconds:.1f}", f"{build.peak_mb:.0f}"] if build else ["-", "-"])
    row += [f"{build.seconds / dbt.seconds:.2f}"] if build and dbt else ["-"]
    return "\n".join([
        "| " + " | ".join(header) + " |",
        "|" + "|".join("---:" for _ in header) + "|",
        "| " + " | ".join(row) + " |",
    ])


def slowest_nodes(workdir: Path, command: str, count: int = 8, target: Path | None = None) -> str:
    """The slowest nodes of `dbt <command>` (from its run_results.json, in `target` or workdir/target_<command>),
    one line each, and the split by kind."""
    target = target or workdir / f"target_{command}"
    results = json.loads((target / "run_results.json").read_text())["results"]
    totals: dict[str, float] = {}
    for result in results:
        kind = result["unique_id"].split(".")[0]
        totals[kind] = totals.get(kind, 0.0) + result["execution_time"]
    lines = [f"dbt {command}: " + ", ".join(f"{kind}s {seconds:.1f} s" for kind, seconds in sorted(totals.items()))]
    for result in sorted(results, key=lambda r: -r["execution_time"])[:count]:
        lines.append(f"  {result['execution_time']:7.1f} s  {result['unique_id']}")
    return "\n".join(lines)


def memory_by_node(workdir: Path, command: str, measured: Measurement, count: int = 8,
                   target: Path | None = None) -> str:
    """The nodes of `dbt <command>` during which the process held the most memory (sampled resident MB, from
    the node's start to its end in run_results.json, in `target` or workdir/target_<command>), one line each, and
    the peak outside every node."""
    target = target or workdir / f"target_{command}"
    results = json.loads((target / "run_results.json").read_text())["results"]
    peaks = []
    inside = set()
    for result in results:
        spans = [t for t in result.get("timing", []) if t.get("started_at") and t.get("completed_at")]
        if not spans:
            continue
        start = min(datetime.fromisoformat(t["started_at"].replace("Z", "+00:00")) for t in spans)
        end = max(datetime.fromisoformat(t["completed_at"].replace("Z", "+00:00")) for t in spans)
        start_s = start.replace(tzinfo=start.tzinfo or timezone.utc).timestamp()
        end_s = end.replace(tzinfo=end.tzinfo or timezone.utc).timestamp()
        held = [(at, mb) for at, mb in measured.rss_samples if start_s <= at <= end_s]
        inside.update(at for at, _ in held)
        if held:
            peaks.append((max(mb for _, mb in held), result["unique_id"]))
    outside = [mb for at, mb in measured.rss_samples if at not in inside]
    lines = [f"dbt {command}: peak {measured.peak_mb:,.0f} MB; sampled peak by node (resident MB):"]
    lines += [f"  {mb:7,.0f} MB  {node}" for mb, node in sorted(peaks, reverse=True)[:count]]
    if outside:
        lines.append(f"  {max(outside):7,.0f} MB  outside every node (start-up, parsing, hooks)")
    return "\n".join(lines)


def fail(message: str) -> NoReturn:
    """Print a message and exit with status 2 (could not measure)."""
    print(message, file=sys.stderr)
    sys.exit(2)


def main(argv: list[str] | None = None) -> int:
    """Generate, run both, compare, report."""
    args = parse_args(argv)
    args.workdir = (args.workdir or Path(tempfile.mkdtemp(prefix="lifecycle_bench_"))).resolve()
    args.workdir.mkdir(parents=True, exist_ok=True)
    args.project_dir = args.project_dir.resolve()
    orders_path = generate_orders(args.customers, args.seed, args.workdir)
    metrics_as_of = default_metrics_as_of(orders_path)
    print(f"workdir {args.workdir}, metrics_as_of {metrics_as_of}", file=sys.stderr)

    if args.no_run and args.no_build:
        fail("--no-run and --no-build leave nothing to time")
    database = args.workdir / ("build.duckdb" if args.no_run else "bench.duckdb")
    dbt = None if args.no_run else run_dbt(args, orders_path, metrics_as_of, database)
    build = None
    if args.no_run:
        build = run_dbt(args, orders_path, metrics_as_of, database, "build")
    reference, reference_seconds, reference_path = run_reference(
        orders_path, metrics_as_of, args.dormancy_days, args.workdir
    )
    problems = compare(database, reference_path)
    if not args.no_build and not args.no_run:
        build = run_dbt(args, orders_path, metrics_as_of, args.workdir / "build.duckdb", "build")

    print(markdown_table(args.customers, count_orders(orders_path), dbt, build, reference, reference_seconds))
    print()
    if dbt:
        print(slowest_nodes(args.workdir, "run"))
        print(memory_by_node(args.workdir, "run", dbt))
    if build:
        print(slowest_nodes(args.workdir, "build"))
        print(memory_by_node(args.workdir, "build", build))
    print("\n(reference query s: the query alone inside its process; "
          f"the whole process took {reference.seconds:.1f} s; dbt run s: the whole `dbt run`)")
    if problems:
        print(f"\n{MART} differs from the reference:", file=sys.stderr)
        for problem in problems:
            print(f"- {problem}", file=sys.stderr)
        return 1
    print(f"\n{MART} matches the reference on every column.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
