"""Publishing safely (`scripts/build.py`): a reader holding the published DuckDB file neither blocks a build nor
sees a half-built mart; a failed, interrupted or killed build leaves the published file as it was and keeps the
failed file; two builds of the same input are identical; on PostgreSQL a build swaps schemas in one transaction.

Every build runs `scripts/build.py` as a user would (a separate process, from the project directory), on the demo
data, without the dbt data tests (`make dbt-build` runs those); the builds share one module-scoped directory so
that dbt's partial parsing is reused between them.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from conftest import PROJECT_DIR, read_only, write_orders_csv

BUILD_SCRIPT = PROJECT_DIR / "scripts" / "build.py"
WITHOUT_DATA_TESTS = ("--exclude", "resource_type:test", "resource_type:unit_test")
BUILD_TIMEOUT = 600
# Every relation in schema main, as one row count and one digest of its rows' text sorted (row-for-row equality).
RELATIONS_SQL = "select table_name from information_schema.tables where table_schema = 'main' order by table_name"
DIGEST_SQL = ("select count(*), md5(coalesce(string_agg(cast(r as varchar), chr(10) order by cast(r as varchar)), ''))"
              ' from main."{relation}" as r')
# A BI tool in another process: opens the published file read-only, prints the digest of every relation, and then
# again for each line it reads on stdin, through the same connection, until stdin closes.
READER = """
import json, sys, duckdb
connection = duckdb.connect(sys.argv[1], read_only=True)
def digests():
    relations = [name for (name,) in connection.execute(sys.argv[2]).fetchall()]
    return {name: list(connection.execute(sys.argv[3].format(relation=name)).fetchone()) for name in relations}
print(json.dumps(digests()), flush=True)
for _ in sys.stdin:
    print(json.dumps(digests()), flush=True)
"""


def load_build_module():
    spec = importlib.util.spec_from_file_location("publish_build", BUILD_SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def build_command(work_dir: Path, *args: str) -> list[str]:
    return [
        sys.executable, str(BUILD_SCRIPT),
        "--target-path", str(work_dir / "target"),
        "--log-path", str(work_dir / "logs"),
        *WITHOUT_DATA_TESTS,
        *args,
    ]


def build_env(db_path: Path | None = None, **extra: str) -> dict[str, str]:
    env = {name: value for name, value in os.environ.items() if name not in ("DBT_TARGET", "PGSCHEMA")}
    if db_path is not None:
        env["DBT_DUCKDB_PATH"] = str(db_path)
    return {**env, "PYTHONUNBUFFERED": "1", **extra}


def run_build(work_dir: Path, db_path: Path | None, *args: str, **extra_env: str) -> subprocess.CompletedProcess:
    return subprocess.run(build_command(work_dir, *args), cwd=PROJECT_DIR, env=build_env(db_path, **extra_env),
                          capture_output=True, text=True, timeout=BUILD_TIMEOUT)


def last_line(result: subprocess.CompletedProcess) -> str:
    lines = result.stdout.strip().splitlines()
    return lines[-1] if lines else ""


def explain(result: subprocess.CompletedProcess) -> str:
    return f"exit {result.returncode}\n--- stdout (end)\n{result.stdout[-4000:]}\n--- stderr (end)\n{result.stderr[-4000:]}"


def snapshot(db_path: Path) -> dict[str, list[tuple]]:
    """Every relation of schema main, every row, in a deterministic order (ORDER BY every column)."""
    with read_only(db_path) as connection:
        relations = [name for (name,) in connection.execute(RELATIONS_SQL).fetchall()]
        return {name: connection.execute(f'select * from main."{name}" order by all').fetchall() for name in relations}


def digests(db_path: Path) -> dict[str, list]:
    with read_only(db_path) as connection:
        relations = [name for (name,) in connection.execute(RELATIONS_SQL).fetchall()]
        return {name: list(connection.execute(DIGEST_SQL.format(relation=name)).fetchone()) for name in relations}


def metrics_as_of(db_path: Path):
    with read_only(db_path) as connection:
        return connection.execute("select metrics_as_of from base_shop__metrics_as_of").fetchone()[0]


def siblings(db_path: Path, kind: str) -> list[Path]:
    """The `<published>.build-*` or `.failed-*` database files next to the published one (not their .wal)."""
    return sorted(path for path in db_path.parent.glob(f"{db_path.name}.{kind}-*") if not path.name.endswith(".wal"))


def assert_same_contents(actual: dict[str, list[tuple]], expected: dict[str, list[tuple]]) -> None:
    assert sorted(actual) == sorted(expected)
    for relation, rows in expected.items():
        assert len(actual[relation]) == len(rows), relation
        for position, (got, want) in enumerate(zip(actual[relation], rows)):
            assert got == want, (relation, position, got, want)


@pytest.fixture(scope="module")
def work_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("publish")


@pytest.fixture(scope="module")
def published(work_dir) -> tuple[Path, dict[str, list[tuple]]]:
    """The demo data built and published once by scripts/build.py; its path and its contents right after."""
    db_path = work_dir / "lifecycle.duckdb"
    result = run_build(work_dir, db_path)
    assert result.returncode == 0, explain(result)
    assert last_line(result).startswith(f"build.py: published {db_path} (DuckDB, built in ")
    assert db_path.exists()
    assert not db_path.with_name(db_path.name + ".wal").exists()
    assert siblings(db_path, "build") == []
    contents = snapshot(db_path)
    assert len(contents["fct_lifecycle_metrics"]) > 0 and len(contents["dim_customers"]) > 0
    return db_path, contents


def test_a_reader_holding_the_file_neither_blocks_the_build_nor_sees_it_half_built(work_dir, published):
    db_path, _ = published
    before = digests(db_path)
    old_as_of = metrics_as_of(db_path)
    reader = subprocess.Popen([sys.executable, "-c", READER, str(db_path), RELATIONS_SQL, DIGEST_SQL],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert json.loads(reader.stdout.readline()) == before, reader.stderr.read() if reader.poll() is not None else ""
        log = work_dir / "reader_build.out"
        with log.open("w") as out:
            build = subprocess.Popen(build_command(work_dir, "--vars", '{metrics_as_of: "2025-07-01"}'),
                                     cwd=PROJECT_DIR, env=build_env(db_path), stdout=out, stderr=subprocess.STDOUT)
        # Meanwhile, every new connection sees one whole build: the old one, or (after the rename) the new one.
        seen = set()
        while build.poll() is None:
            with read_only(db_path) as connection:
                relations = tuple(name for (name,) in connection.execute(RELATIONS_SQL).fetchall())
                as_of = connection.execute("select metrics_as_of from base_shop__metrics_as_of").fetchone()[0]
            assert relations == tuple(before), relations
            seen.add(str(as_of))
            time.sleep(0.5)
        output = log.read_text()
        assert build.returncode == 0, output[-4000:]
        assert output.strip().splitlines()[-1].startswith(f"build.py: published {db_path} ")
        assert seen <= {str(old_as_of), "2025-07-01 00:00:00"} and str(old_as_of) in seen

        # The reader's connection, open all along, still reads the old build, whole and unchanged.
        reader.stdin.write("again\n")
        reader.stdin.flush()
        assert json.loads(reader.stdout.readline()) == before
    finally:
        reader.stdin.close()
        reader.wait(timeout=60)
    assert reader.returncode == 0, reader.stderr.read()
    # A new connection reads the new build.
    assert str(metrics_as_of(db_path)) == "2025-07-01 00:00:00"
    assert digests(db_path)["fct_lifecycle_metrics"] != before["fct_lifecycle_metrics"]
    assert siblings(db_path, "build") == []
    assert not db_path.with_name(db_path.name + ".wal").exists()


def test_two_builds_of_the_same_input_are_identical(work_dir, published):
    """A second build of the demo data (published over whatever the other tests left) equals the first one,
    relation by relation and row by row."""
    db_path, first = published
    result = run_build(work_dir, db_path)
    assert result.returncode == 0, explain(result)
    assert last_line(result).startswith(f"build.py: published {db_path} ")
    assert_same_contents(snapshot(db_path), first)


def _child_pids(pid: int) -> list[int]:
    children = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(child) for child in children.read_text().split()] if children.exists() else []


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="finds dbt's process through /proc")
@pytest.mark.parametrize(("victim", "sent", "expected_exit"), [
    ("build.py", signal.SIGTERM, 128 + signal.SIGTERM),
    ("dbt", signal.SIGKILL, 128 + signal.SIGKILL),
])
def test_a_build_killed_midway_leaves_the_published_marts_unchanged(work_dir, published, victim, sent, expected_exit):
    db_path, _ = published
    before = snapshot(db_path)
    failed_before = siblings(db_path, "failed")
    build = subprocess.Popen(build_command(work_dir), cwd=PROJECT_DIR, env=build_env(db_path),
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    output = []
    try:
        # Midway: the one pass over the input is built, the marts are not.
        for line in build.stdout:
            output.append(line)
            # a table on a full build, an incremental model on DuckDB (README "Nightly runs")
            if re.search(r"OK created sql \w+ model main\.int_orders_sequenced", line):
                break
        else:
            pytest.fail("the build ended before int_orders_sequenced was built:\n" + "".join(output)[-4000:])
        fresh = siblings(db_path, "build")
        assert len(fresh) == 1, fresh
        dbt_pids = _child_pids(build.pid)
        assert len(dbt_pids) == 1, dbt_pids
        os.kill(build.pid if victim == "build.py" else dbt_pids[0], sent)
        output.append(build.stdout.read())
        build.wait(timeout=60)
    finally:
        if build.poll() is None:
            build.kill()
            build.wait()
    text = "".join(output)
    assert build.returncode == expected_exit, text[-4000:]
    assert "build.py: nothing published" in text.strip().splitlines()[-1]
    assert_same_contents(snapshot(db_path), before)
    assert siblings(db_path, "build") == []
    kept = [path for path in siblings(db_path, "failed") if path not in failed_before]
    assert len(kept) == 1 and str(kept[0]) in text.strip().splitlines()[-1]
    # The failed file opens (with its WAL) and holds what was built before the kill.
    with read_only(kept[0]) as connection:
        relations = {name for (name,) in connection.execute(RELATIONS_SQL).fetchall()}
    assert "int_orders_sequenced" in relations and "fct_lifecycle_metrics" not in relations
    # The dbt process is gone (build.py waited for it, so it is not even a zombie).
    assert not Path(f"/proc/{dbt_pids[0]}").exists()


def test_a_bad_var_fails_the_build_and_leaves_the_published_file_untouched(work_dir, published):
    """lifecycle_at_risk_days must be < lifecycle_dormancy_days: dbt stops while parsing, before it opens a file."""
    db_path, _ = published
    before, stat = snapshot(db_path), db_path.stat()
    result = run_build(work_dir, db_path, "--vars", "{lifecycle_at_risk_days: 90}")
    assert result.returncode == 2, explain(result)
    assert "lifecycle_at_risk_days (90) must be less than lifecycle_dormancy_days (90)" in result.stdout
    assert last_line(result) == (f"build.py: nothing published (dbt build exited 2); {db_path} is unchanged; "
                                 "dbt created no database file")
    assert (db_path.stat().st_ino, db_path.stat().st_mtime_ns) == (stat.st_ino, stat.st_mtime_ns)
    assert_same_contents(snapshot(db_path), before)
    assert siblings(db_path, "build") == []


def test_a_build_failing_midway_keeps_its_file_and_leaves_the_published_file_untouched(work_dir, published, tmp_path):
    """An orders file without `amount` fails the first staging model, after the seeds are built."""
    db_path, _ = published
    before, stat = snapshot(db_path), db_path.stat()
    failed_before = siblings(db_path, "failed")
    orders = tmp_path / "no_amount.csv"
    orders.write_text("order_id,customer_id,ordered_at\n1,c1,2024-01-01\n")
    result = run_build(work_dir, db_path, "--vars", json.dumps({"orders_path": str(orders)}))
    assert result.returncode == 1, explain(result)
    assert "lacks required column(s): amount" in result.stdout
    kept = [path for path in siblings(db_path, "failed") if path not in failed_before]
    assert len(kept) == 1
    assert last_line(result) == (f"build.py: nothing published (dbt build exited 1); {db_path} is unchanged; "
                                 f"the failed build is kept at {kept[0]}")
    assert (db_path.stat().st_ino, db_path.stat().st_mtime_ns) == (stat.st_ino, stat.st_mtime_ns)
    assert_same_contents(snapshot(db_path), before)
    with read_only(kept[0]) as connection:
        assert connection.execute("select count(*) from rfm_segments").fetchone()[0] > 0
    assert siblings(db_path, "build") == []


def test_a_stale_wal_of_the_published_file_is_removed_before_the_rename(work_dir, published):
    """A writer that crashed on the published file leaves `<published>.wal`; DuckDB refuses to open a file next to
    a WAL of another file, so the build must remove it, and the published file must not get its changes."""
    db_path, first = published
    wal = db_path.with_name(db_path.name + ".wal")
    crash = ("import duckdb, os, sys\n"
             "connection = duckdb.connect(sys.argv[1])\n"
             "connection.execute(\"set wal_autocheckpoint = '10GB'\")\n"
             "connection.execute('create table stale_marker as select 1 as x')\n"
             "os._exit(0)\n")
    subprocess.run([sys.executable, "-c", crash, str(db_path)], check=True, timeout=60)
    assert wal.exists()
    result = run_build(work_dir, db_path)
    assert result.returncode == 0, explain(result)
    assert f"removing {wal}" in result.stderr
    assert not wal.exists()
    assert_same_contents(snapshot(db_path), first)


def test_a_writer_holding_the_published_file_stops_the_publish(work_dir, published):
    """A process holds the published file open for writing (its WAL is live, not stale): the new build is not
    renamed over it (the writer would go on writing that WAL next to the new file), and is kept as a failed file.
    Only a seed is built, to keep this short."""
    db_path, _ = published
    before = snapshot(db_path)
    writer_code = ("import duckdb, sys\n"
                   "connection = duckdb.connect(sys.argv[1])\n"
                   "connection.execute(\"set wal_autocheckpoint = '10GB'\")\n"
                   "connection.execute('create table writer_scratch as select 1 as x')\n"
                   "connection.execute('drop table writer_scratch')\n"
                   "print('ready', flush=True)\n"
                   "sys.stdin.read()\n")
    writer = subprocess.Popen([sys.executable, "-c", writer_code, str(db_path)], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True)
    try:
        assert writer.stdout.readline().strip() == "ready"
        result = run_build(work_dir, db_path, "--select", "rfm_segments")
    finally:
        writer.stdin.close()
        writer.wait(timeout=60)
    assert result.returncode == 1, explain(result)
    assert f"another process holds {db_path} open for writing" in last_line(result)
    assert "the failed build is kept at" in last_line(result)
    # The writer then closed cleanly, checkpointing its (net empty) changes: the file holds the same build.
    assert_same_contents(snapshot(db_path), before)
    assert siblings(db_path, "build") == []


def test_failed_files_are_pruned_to_the_newest_few_and_orphans_are_recovered(tmp_path):
    build = load_build_module()
    published = tmp_path / "lifecycle.duckdb"
    published.write_bytes(b"published")
    names = [f"lifecycle.duckdb.failed-20250101T00000{second}000000Z-{100 + second}" for second in range(5)]
    for name in names:
        (tmp_path / name).write_bytes(b"failed")
    (tmp_path / (names[0] + ".wal")).write_bytes(b"wal")
    build.prune_failed(published, keep=3)
    assert sorted(path.name for path in tmp_path.iterdir()) == sorted(["lifecycle.duckdb", *names[2:]])

    # A fresh file of a build.py that died (its pid is gone) becomes a failed file, with its WAL.
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    orphan = tmp_path / f"lifecycle.duckdb.build-20250102T000000000000Z-{dead.pid}"
    orphan.write_bytes(b"orphan")
    (tmp_path / (orphan.name + ".wal")).write_bytes(b"orphan wal")
    alive = tmp_path / f"lifecycle.duckdb.build-20250102T000000000000Z-{os.getppid()}"
    alive.write_bytes(b"a build still running")
    build.recover_orphans(published)
    assert not orphan.exists() and not (tmp_path / (orphan.name + ".wal")).exists()
    recovered = [path for path in tmp_path.glob(f"lifecycle.duckdb.failed-*-{dead.pid}*")]
    assert sorted(path.name.endswith(".wal") for path in recovered) == [False, True]
    assert alive.exists()
    assert published.read_bytes() == b"published"


# --- PostgreSQL ---------------------------------------------------------------------------------------------------

PG_CONNECTION = {"host": "127.0.0.1", "port": 5432, "dbname": "test", "user": "postgres"}


@pytest.fixture
def pg_live_schema():
    psycopg2 = pytest.importorskip("psycopg2")
    try:
        psycopg2.connect(connect_timeout=3, **PG_CONNECTION).close()
    except psycopg2.OperationalError as error:
        if os.environ.get("CI"):
            raise AssertionError(f"PostgreSQL is not reachable on 127.0.0.1:5432 in CI: {error}") from error
        pytest.skip(f"no PostgreSQL on 127.0.0.1:5432 ({error})")
    live = f"pubtest_{uuid.uuid4().hex[:8]}"
    # The raw orders source lives in its own schema, which publishing never swaps.
    loaded = subprocess.run([sys.executable, str(PROJECT_DIR / "scripts" / "load_orders.py"), "--target", "postgres",
                             "--schema", f"{live}_raw"], capture_output=True, text=True, check=False)
    assert loaded.returncode == 0, loaded.stderr
    yield live
    for schema in (live, f"{live}__staging", f"{live}__previous", f"{live}_raw"):
        pg_fetch(f"drop schema if exists {schema} cascade; select 1")


def pg_fetch(sql: str) -> list[tuple]:
    import psycopg2

    connection = psycopg2.connect(**PG_CONNECTION)
    try:
        with connection, connection.cursor() as cursor:
            cursor.execute(sql)
            return cursor.fetchall()
    finally:
        connection.close()


def test_postgres_build_swaps_the_staging_schema_in(work_dir, pg_live_schema):
    live = pg_live_schema
    # An "old build" in the live schema: after the swap, none of it is left.
    pg_fetch(f"create schema {live}; create table {live}.fct_lifecycle_metrics as select 'old build' as marker;"
             f" create table {live}.only_in_the_old_build as select 1 as x; select 1")
    raw_vars = f"{{raw_schema: {live}_raw}}"
    result = run_build(work_dir, None, "--target", "postgres", "--vars", raw_vars, PGSCHEMA=live)
    assert result.returncode == 0, explain(result)
    assert last_line(result).startswith(f"build.py: published schema {live} in database test on 127.0.0.1 "
                                        f"(PostgreSQL, swapped in from {live}__staging")
    schemas = {name for (name,) in pg_fetch(f"select nspname from pg_namespace where nspname like '{live}%'")}
    assert schemas == {live, f"{live}_raw"}
    tables = {name for (name,) in pg_fetch(f"select table_name from information_schema.tables where table_schema = '{live}'")}
    assert "only_in_the_old_build" not in tables
    assert {"fct_lifecycle_metrics", "dim_customers", "fct_cohort_retention", "stg_shop__orders"} <= tables
    assert pg_fetch(f"select count(*) from {live}.fct_lifecycle_metrics where grain = 'month'")[0][0] > 0
    # The views were built in the staging schema and still resolve after the rename.
    assert pg_fetch(f"select count(*) from {live}.stg_shop__orders")[0][0] > 0
    live_metrics = pg_fetch(f"select * from {live}.fct_lifecycle_metrics order by grain, period_start")

    # A failed build leaves the live schema as it is.
    failed = run_build(work_dir, None, "--target", "postgres", "--vars",
                       f"{{raw_schema: {live}_raw, lifecycle_at_risk_days: 90}}", PGSCHEMA=live)
    assert failed.returncode == 2, explain(failed)
    assert last_line(failed) == (f"build.py: nothing published (dbt build exited 2); schema {live} in database test on "
                                 "127.0.0.1 is unchanged; dbt created no schema")
    assert pg_fetch(f"select * from {live}.fct_lifecycle_metrics order by grain, period_start") == live_metrics


def test_the_target_comes_from_the_args_or_dbt_target(monkeypatch):
    build = load_build_module()
    assert build.target_name(["--target", "spark"]) == "spark"
    assert build.target_name(["-t", "postgres", "--vars", "{a: 1}"]) == "postgres"
    assert build.target_name(["--target=postgres"]) == "postgres"
    monkeypatch.setenv("DBT_TARGET", "postgres")
    assert build.target_name([]) == "postgres"
    monkeypatch.delenv("DBT_TARGET")
    assert build.target_name([]) == "duckdb"


def test_other_targets_are_built_in_place_and_say_so(work_dir):
    """Spark has no atomic publish: build.py runs dbt build in place and says so, with dbt's exit code (here dbt
    stops while parsing, on a bad var, before it starts Spark; a Spark build is tested in test_engines.py)."""
    result = run_build(work_dir, None, "--target", "spark", "--vars", "{lifecycle_at_risk_days: 90}",
                       LIFECYCLE_SPARK_DIR=str(work_dir / "spark"))
    assert result.returncode != 0, explain(result)
    assert last_line(result) == ("build.py: built in place on target spark, not published atomically (only duckdb "
                                 f"and postgres are); the build failed (exit {result.returncode})")
