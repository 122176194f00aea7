"""Pytest harness: builds the dbt project with dbt's Python API into temporary DuckDB files.

The demo build (`demo_db`) runs `dbt build` once per test run (one worker builds it, the others wait for it); tests
read its marts through a separate read-only DuckDB connection. `build_from_rows` builds the project on a small
orders file written by a test, for the worked examples and the randomized comparison with the reference
implementation.
"""

from __future__ import annotations

import csv
import fcntl
import itertools
import json
import os
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import duckdb
import pytest
from dbt.cli.main import dbtRunner
from dbt_common.tests import enable_test_caching

# dbt's own caches for test suites (as dbt's pytest fixtures enable them): the Jinja of macros and the static
# analysis of macro calls are parsed once per worker and reused by every later build's parse, instead of again in
# each build (measured 2026-12-07: a warm `dbt parse` of this project 3.5 s → 2.4 s).
enable_test_caching()

PROJECT_DIR = Path(__file__).resolve().parents[1]
# profiles.yml puts this folder on dbt-duckdb's module path, for the reading layer's plugin (lifecycle_reading).
os.environ.setdefault("LIFECYCLE_PROJECT_DIR", str(PROJECT_DIR))
RAW_COLUMNS = ("order_id", "customer_id", "ordered_at", "status", "amount", "refunded_amount", "updated_at")

_build_counter = itertools.count()


# Raw rows per customer batch (var customer_batch_orders) in the test builds: 12,594 demo rows make 4 batches; a
# test's history of more than 40 rows makes several (the hand cases, mostly one).
DEMO_CUSTOMER_BATCH_ORDERS = 4000
ROWS_CUSTOMER_BATCH_ORDERS = 40
# The vars of the demo build (demo_db).
DEMO_VARS = {"customer_batch_orders": DEMO_CUSTOMER_BATCH_ORDERS}


# With two pytest workers (make pytest: -n 2 --dist loadfile --no-loadscope-reorder) each worker takes whole files in
# this order, so the longest files start first and the short ones fill in at the end (timings of a CI run on 2 cores).
SLOWEST_FILES_FIRST = (
    "test_engines.py",  # DuckDB, PostgreSQL and Spark on the same histories: about 7 minutes in CI (2026-12-07)
    "test_incremental.py",
    "test_against_reference.py",
    "test_publish.py",
    "test_clv_postgres.py",
    "test_loyalty.py",
    "test_worked_examples.py",
    "test_campaigns.py",
    "test_clv.py",
    "test_reading.py",
    "test_errors.py",
)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Run the files of SLOWEST_FILES_FIRST first, in that order, then the rest in their usual order; within a file,
    the tests keep their order."""

    def rank(item: pytest.Item) -> int:
        name = item.path.name
        return SLOWEST_FILES_FIRST.index(name) if name in SLOWEST_FILES_FIRST else len(SLOWEST_FILES_FIRST)

    items.sort(key=rank)  # stable: the order inside a file, and among the other files, stays as collected


class DbtBuildError(AssertionError):
    """A dbt invocation made by a test did not succeed."""


def run_dbt(
    args: Sequence[str],
    db_path: Path,
    dbt_vars: dict | None = None,
    target: str = "duckdb",
    env: dict | None = None,
    callbacks: Sequence | None = None,
):
    """Run one dbt command against the DuckDB file `db_path` (or another target of profiles.yml, with `env` set
    around the call); raise DbtBuildError unless every node passed (warnings pass). `callbacks` receive dbt's
    events (event.info.msg is the logged line). Returns dbt's result."""
    work_dir = db_path.parent
    command = [
        *args,
        "--project-dir", str(PROJECT_DIR),
        "--profiles-dir", str(PROJECT_DIR),
        "--target-path", str(work_dir / "target"),
        "--log-path", str(work_dir / "logs"),
        # dbt.log at info level (what ran, what failed): writing every statement at debug level cost about 7 % of
        # a small build (farm-bench, 2026-12-07). LIFECYCLE_TEST_DBT_LOG_LEVEL_FILE=debug keeps every statement.
        "--log-level-file", os.environ.get("LIFECYCLE_TEST_DBT_LOG_LEVEL_FILE", "info"),
        "--target", target,
        "--quiet",
    ]
    if dbt_vars:
        command += ["--vars", json.dumps(dbt_vars)]
    overrides = {"DBT_DUCKDB_PATH": str(db_path), **(env or {})}
    previous = {name: os.environ.get(name) for name in overrides}
    os.environ.update(overrides)
    try:
        result = dbtRunner(callbacks=list(callbacks or [])).invoke(command)
    finally:
        _close_dbt_duckdb_connection()
        for name, value in previous.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
    if not result.success:
        failures = []
        if result.exception is not None:
            failures.append(repr(result.exception))
        for node_result in getattr(result.result, "results", None) or []:
            if str(node_result.status) not in ("success", "pass"):
                failures.append(f"{node_result.node.unique_id}: {node_result.status} {node_result.message}")
        raise DbtBuildError(f"dbt {' '.join(args)} failed:\n" + "\n".join(failures))
    return result


def _close_dbt_duckdb_connection() -> None:
    """dbt-duckdb keeps its DuckDB instance open in the process after an invocation; close it so that the
    tests can open the file read-only (DuckDB refuses a second configuration of an open file)."""
    from dbt.adapters.duckdb.connections import DuckDBConnectionManager

    environment = DuckDBConnectionManager._ENV
    if environment is not None:
        environment.close()
        DuckDBConnectionManager._ENV = None


@contextmanager
def read_only(db_path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """A separate read-only connection to a built database."""
    connection = duckdb.connect(str(db_path), read_only=True)
    try:
        yield connection
    finally:
        connection.close()


def query(db_path: Path, sql: str, params: Sequence | None = None) -> list[dict]:
    """Rows of a query as dicts."""
    with read_only(db_path) as connection:
        cursor = connection.execute(sql, params or [])
        names = [column[0] for column in cursor.description]
        return [dict(zip(names, row)) for row in cursor.fetchall()]


def raw_order(
    order_id: str,
    customer_id: str,
    ordered_at: str,
    amount: str = "10.00",
    status: str = "completed",
    refunded_amount: str = "",
    updated_at: str = "",
) -> dict:
    """One raw order row (text values, the raw contract of METRICS.md §1) for a test's own orders file."""
    return {
        "order_id": order_id,
        "customer_id": customer_id,
        "ordered_at": ordered_at,
        "status": status,
        "amount": amount,
        "refunded_amount": refunded_amount,
        "updated_at": updated_at,
    }


def write_orders_csv(rows: Sequence[dict], path: Path) -> Path:
    """Write raw order rows (dicts of text in the raw contract) to a CSV file."""
    present = {column for row in rows for column in row}
    columns = [column for column in RAW_COLUMNS if column in present] or list(RAW_COLUMNS)
    with path.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns, extrasaction="raise")
        writer.writeheader()
        for row in rows:
            writer.writerow({column: row.get(column, "") or "" for column in columns})
    return path


@pytest.fixture(scope="session")
def demo_db(tmp_path_factory: pytest.TempPathFactory, worker_id: str) -> Path:
    """The project built with `dbt build` (models, seeds and every dbt test) on the bundled demo data, its
    per-customer tables in four customer batches (var customer_batch_orders; 12,594 raw rows), so that every test
    reading it also checks the batched build that large inputs get.

    Built once per test run: under pytest-xdist the first worker to ask builds it in the run's shared temporary folder
    while it holds a lock, and the other workers wait for it and read the same file (read-only connections of several
    processes may share a DuckDB file; a test that needs to write to it works on a copy)."""
    if worker_id == "master":  # no xdist: this process is the only one
        demo_dir = tmp_path_factory.mktemp("demo")
    else:
        demo_dir = tmp_path_factory.getbasetemp().parent / "demo"
        demo_dir.mkdir(exist_ok=True)
    db_path = demo_dir / "lifecycle.duckdb"
    build_once(demo_dir, lambda: run_dbt(["build"], db_path, DEMO_VARS), worker_id)
    return db_path


def build_once(folder: Path, build: Callable[[], object], worker: str) -> None:
    """Run `build` once for every process that calls this with the same `folder`: the first to take the folder's
    lock runs it, and leaves a mark saying it built ("built") or why it failed ("failed"); a later caller waits for
    the lock and then returns at once, or fails at once with the first caller's error instead of building again."""
    with (folder / "build.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
        built, failed = folder / "built", folder / "failed"
        if failed.exists():
            pytest.fail(f"the shared build failed in another worker: {failed.read_text()}", pytrace=False)
        if not built.exists():
            try:
                build()
            except BaseException as error:  # pytest.fail raises a BaseException
                failed.write_text(f"{worker}: {type(error).__name__}: {error}\n")
                raise
            built.write_text(f"built by {worker}\n")


@pytest.fixture(scope="session")
def build_from_rows(tmp_path_factory: pytest.TempPathFactory):
    """Build the marts on raw order rows; returns the path of the DuckDB file.

    `build_from_rows(rows, metrics_as_of=None, with_tests=True, **vars)` runs `dbt build` (seeds, models and,
    unless with_tests is false, their unit and data tests) with
    `orders_path` pointing at a CSV of `rows` (only the raw columns the rows carry, so absent optional columns stay absent).
    The per-customer tables are built in customer batches of ROWS_CUSTOMER_BATCH_ORDERS raw rows (several batches for
    the longer random histories), unless the call sets customer_batch_orders: the reference comparisons check
    the batched build.
    """

    def build(rows: Sequence[dict], metrics_as_of: str | None = None, with_tests: bool = True, **dbt_vars) -> Path:
        work_dir = tmp_path_factory.mktemp(f"build{next(_build_counter)}")
        orders_path = write_orders_csv(rows, work_dir / "orders.csv")
        all_vars = {"orders_path": str(orders_path), "customer_batch_orders": ROWS_CUSTOMER_BATCH_ORDERS, **dbt_vars}
        if metrics_as_of is not None:
            all_vars["metrics_as_of"] = metrics_as_of
        db_path = work_dir / "lifecycle.duckdb"
        exclude = [] if with_tests else ["--exclude", "resource_type:test", "resource_type:unit_test"]
        run_dbt(["build", *exclude], db_path, all_vars)
        return db_path

    return build
