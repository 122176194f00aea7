"""Build the project and publish the result atomically: a reader never blocks the build nor sees a half-built mart.

    python scripts/build.py [dbt build args]        (make build DBT_ARGS='...'; make demo ends with it)

    python scripts/build.py
    python scripts/build.py --vars '{orders_path: /path/to/orders.parquet}'
    python scripts/build.py --target postgres       (or DBT_TARGET=postgres)

Every argument goes to `dbt build` unchanged. Run it where you would run `dbt build` (the repository root).

DuckDB (the default target). The published file is $DBT_DUCKDB_PATH (default target/lifecycle.duckdb). dbt builds
into a fresh file next to it, `<published>.build-<UTC timestamp>-<pid>` (DuckDB and dbt-duckdb name the catalog
after the part of the file name before its first dot, so the fresh file's catalog is the published one's, and
the manifests written by the build name the published database). Only when dbt exits 0 is the fresh file
checkpointed (its write-ahead log folded in, no `.wal` left), flushed to disk, and moved over the published file
with one atomic rename (`os.replace`). A reader that holds the published file open keeps reading the old build
(it holds the old file); every connection opened after the rename reads the new one. A stale `<published>.wal`
(left by a writer that crashed while it had the published file open for writing) is removed before the rename:
it belongs to the old file, and DuckDB refuses to open a file next to a WAL that does not match it.

A failed, interrupted or killed build leaves the published file untouched. The fresh file (with its `.wal`, if
any) is renamed `<published>.failed-<timestamp>-<pid>` for inspection; the newest $LIFECYCLE_KEEP_FAILED_BUILDS
(default 3) failed files are kept and older ones deleted. A fresh file whose build.py died without cleaning up
(SIGKILL) is turned into a failed file by the next run. SIGTERM or SIGINT (Ctrl-C) to build.py stops the dbt child
(SIGTERM, then SIGKILL after 10 s) and publishes nothing; if build.py itself is SIGKILLed, Linux kills the dbt child.

PostgreSQL (`--target postgres` or DBT_TARGET=postgres). The live schema is $PGSCHEMA (default `lifecycle`). dbt
builds the schema `<live>__staging` (dropped first if a failed build left it); on success one transaction renames
the live schema to `<live>__previous`, the staging schema to the live name, and drops the previous one, so every
query sees either the whole old build or the whole new one. A failed build leaves the live schema untouched and
the staging schema in place for inspection until the next build. Only these schemas are touched: a source schema
holding raw orders is never renamed. Connection: PGHOST, PGPORT, PGUSER, PGPASSWORD, PGDATABASE, with the defaults
of profiles.yml (127.0.0.1, 5432, postgres, no password, test).

Other targets (spark): `dbt build` runs in place, with no atomic publish.

The exit code is dbt's (128 + the signal number when dbt or build.py was stopped by a signal; 1 when dbt
succeeded but publishing did not). The last line printed says what was published where, or that nothing was and
where the failed build is.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import fcntl
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

DEFAULT_DUCKDB_PATH = "target/lifecycle.duckdb"
KEEP_FAILED_ENV = "LIFECYCLE_KEEP_FAILED_BUILDS"
DEFAULT_KEEP_FAILED = 3
# After SIGTERM or SIGINT, how long dbt may take to stop before it is killed.
STOP_GRACE_SECONDS = 10
# What dbt leaves running when it dies (multiprocessing's resource tracker) is waited for this long, then killed.
ORPHAN_GRACE_SECONDS = 10
# How long the PostgreSQL swap waits for the locks of running queries on the live schema before it gives up.
SWAP_LOCK_TIMEOUT = "60s"
PG_IDENTIFIER_MAX = 63
DBT_ENTRY_POINT = "import sys; from dbt.cli.main import cli; sys.argv[0] = 'dbt'; sys.exit(cli())"


def say(message: str) -> None:
    print(f"build.py: {message}", flush=True)


def warn(message: str) -> None:
    print(f"build.py: {message}", file=sys.stderr, flush=True)


# --- running dbt --------------------------------------------------------------------------------------------------


class Interrupted:
    """The signal (SIGTERM / SIGINT) build.py received while dbt ran, if any; forwarded to the dbt child."""

    def __init__(self) -> None:
        self.signum: int | None = None
        self.at: float | None = None
        self.child: subprocess.Popen | None = None

    def handle(self, signum, _frame) -> None:
        if self.signum is None:
            self.signum, self.at = signum, time.monotonic()
            # os.write, not print: a handler may run in the middle of a print.
            os.write(2, f"build.py: received {signal.Signals(signum).name}: stopping dbt, publishing nothing\n".encode())
        if self.child is not None and self.child.poll() is None:
            self.child.terminate()

    def install(self) -> None:
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, self.handle)


INTERRUPTED = Interrupted()


def _adopt_orphans() -> bool:
    """Linux: make build.py the child subreaper, so that what dbt leaves running when it dies (multiprocessing's
    resource tracker, which warns about the semaphores of a killed dbt) is reparented here and waited for."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(36, 1) == 0  # PR_SET_CHILD_SUBREAPER
    except (OSError, AttributeError):
        return False


def _wait_for_orphans(timeout: float = ORPHAN_GRACE_SECONDS) -> None:
    """Wait (at most `timeout` seconds, then kill) for the adopted orphans of dbt, so that nothing they print comes
    after build.py's verdict."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            if time.monotonic() > deadline:
                children = Path(f"/proc/{os.getpid()}/task/{os.getpid()}/children")
                for child in (children.read_text().split() if children.exists() else []):
                    with contextlib.suppress(ProcessLookupError):
                        os.kill(int(child), signal.SIGKILL)
                deadline = float("inf")
            time.sleep(0.05)


def _die_with_parent() -> None:
    """In the dbt child (Linux): be killed when build.py dies, even by SIGKILL, so that no orphan keeps building."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def exit_code(returncode: int) -> int:
    return 128 - returncode if returncode < 0 else returncode


def run_dbt_build(dbt_args: list[str], env: dict[str, str]) -> int:
    """Run `dbt build <dbt_args>` as a child process; return its exit code (128 + signal when killed by one)."""
    # dbt's own console script, run by this interpreter (`python -m dbt.cli.main` warns about a double import).
    command = [sys.executable, "-c", DBT_ENTRY_POINT, "build", *dbt_args]
    linux = sys.platform.startswith("linux")
    preexec = _die_with_parent if linux else None
    adopting = linux and _adopt_orphans()
    child = subprocess.Popen(command, env=env, preexec_fn=preexec)  # noqa: PLW1509 (no threads here)
    INTERRUPTED.child = child
    if INTERRUPTED.signum is not None:  # the signal came while the child was starting
        child.terminate()
    try:
        while True:
            try:
                return exit_code(child.wait(timeout=1))
            except subprocess.TimeoutExpired:
                if INTERRUPTED.at is not None and time.monotonic() - INTERRUPTED.at > STOP_GRACE_SECONDS:
                    child.kill()
    finally:
        INTERRUPTED.child = None
        if adopting:
            _wait_for_orphans()


def target_name(dbt_args: list[str]) -> str:
    """The profile target the build uses: --target / -t among the args, else $DBT_TARGET, else duckdb."""
    target = os.environ.get("DBT_TARGET") or "duckdb"
    for position, arg in enumerate(dbt_args):
        if arg in ("--target", "-t") and position + 1 < len(dbt_args):
            target = dbt_args[position + 1]
        elif arg.startswith("--target="):
            target = arg.split("=", 1)[1]
    return target


def timestamp() -> str:
    return datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S%fZ")


# --- DuckDB: build a fresh file, rename it over the published one ---------------------------------------------------


def keep_failed_count() -> int:
    value = os.environ.get(KEEP_FAILED_ENV, str(DEFAULT_KEEP_FAILED))
    try:
        count = int(value)
    except ValueError:
        count = -1
    if count < 0:
        raise SystemExit(f"build.py: {KEEP_FAILED_ENV} must be a whole number >= 0, got {value!r}")
    return count


def companions(database: Path) -> list[Path]:
    """The files DuckDB keeps next to a database file: its write-ahead log and its spill directory."""
    return [database.with_name(database.name + ".wal"), database.with_name(database.name + ".tmp")]


def remove_database(database: Path) -> None:
    for path in [database, *companions(database)]:
        if path.is_dir():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)


def set_aside_as_failed(fresh: Path, published: Path) -> Path | None:
    """Rename a fresh build (and its WAL, so that it opens with every change dbt made) to a failed file; return its
    path, or None when dbt never created the file. The spill directory holds nothing worth keeping."""
    wal, spill = companions(fresh)
    shutil.rmtree(spill, ignore_errors=True)
    if not fresh.exists():
        wal.unlink(missing_ok=True)
        return None
    pid = fresh.name.rsplit("-", 1)[-1]
    failed = published.with_name(f"{published.name}.failed-{timestamp()}-{pid}")
    if wal.exists():
        os.replace(wal, failed.with_name(failed.name + ".wal"))
    os.replace(fresh, failed)
    return failed


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def recover_orphans(published: Path) -> None:
    """Fresh files of build.py runs that died without cleaning up (SIGKILL, power loss) become failed files.
    Fresh files of a build.py still running are left alone."""
    pattern = re.compile(re.escape(published.name) + r"\.build-[0-9TZ]+-(\d+)")
    for path in sorted(published.parent.glob(published.name + ".build-*")):
        match = pattern.fullmatch(path.name)
        if match and int(match.group(1)) != os.getpid() and not pid_alive(int(match.group(1))):
            failed = set_aside_as_failed(path, published)
            warn(f"an earlier build.py (pid {match.group(1)}) died mid-build; its file is kept at {failed}")


def prune_failed(published: Path, keep: int) -> None:
    """Keep the newest `keep` failed files (names sort by time), delete older ones with their companions."""
    pattern = re.compile(re.escape(published.name) + r"\.failed-[0-9TZ]+-\d+")
    failed = sorted(path for path in published.parent.glob(published.name + ".failed-*") if pattern.fullmatch(path.name))
    for path in failed[: max(len(failed) - keep, 0)]:
        remove_database(path)


def fsync_path(path: Path) -> None:
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def finalize(fresh: Path) -> None:
    """Fold the fresh file's WAL into it and flush it to disk, so that the file alone is the whole build."""
    import duckdb

    connection = duckdb.connect(str(fresh))
    try:
        connection.execute("checkpoint")
    finally:
        connection.close()
    wal, spill = companions(fresh)
    if wal.exists():
        raise RuntimeError(f"{wal} is still there after a checkpoint")
    shutil.rmtree(spill, ignore_errors=True)
    fsync_path(fresh)


def held_for_writing(database: Path) -> bool:
    """Whether a process holds `database` open for writing: DuckDB takes an exclusive fcntl lock on the file for a
    read-write connection and a shared one for a read-only connection, so a shared lock is refused only then."""
    try:
        descriptor = os.open(database, os.O_RDONLY)
    except FileNotFoundError:
        return False
    try:
        fcntl.lockf(descriptor, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except OSError as error:
        if error.errno not in (errno.EACCES, errno.EAGAIN):
            raise
        return True
    else:
        fcntl.lockf(descriptor, fcntl.LOCK_UN)
        return False
    finally:
        os.close(descriptor)


def publish_duckdb(dbt_args: list[str]) -> int:
    published = Path(os.environ.get("DBT_DUCKDB_PATH") or DEFAULT_DUCKDB_PATH)
    keep = keep_failed_count()
    published.parent.mkdir(parents=True, exist_ok=True)
    recover_orphans(published)
    prune_failed(published, keep)

    fresh = published.with_name(f"{published.name}.build-{timestamp()}-{os.getpid()}")
    started = time.monotonic()
    code = run_dbt_build(dbt_args, {**os.environ, "DBT_DUCKDB_PATH": str(fresh)})

    def give_up(why: str, code: int) -> int:
        failed = set_aside_as_failed(fresh, published)
        prune_failed(published, keep)
        kept = f"the failed build is kept at {failed}" if failed else "dbt created no database file"
        say(f"nothing published ({why}); {published} is unchanged; {kept}")
        return code

    if INTERRUPTED.signum is not None:
        return give_up(f"interrupted by {signal.Signals(INTERRUPTED.signum).name}", 128 + INTERRUPTED.signum)
    if code != 0:
        return give_up(f"dbt build exited {code}", code)
    try:
        finalize(fresh)
    except Exception as error:  # noqa: BLE001 (any failure to finalize means: do not publish)
        return give_up(f"could not checkpoint the new build: {error}", 1)

    wal = published.with_name(published.name + ".wal")
    if wal.exists():
        if held_for_writing(published):
            return give_up(f"another process holds {published} open for writing", 1)
        warn(f"removing {wal}, a write-ahead log left by a writer that crashed on the published file")
        wal.unlink(missing_ok=True)
    if INTERRUPTED.signum is not None:
        return give_up(f"interrupted by {signal.Signals(INTERRUPTED.signum).name}", 128 + INTERRUPTED.signum)
    os.replace(fresh, published)
    fsync_path(published.parent)
    prune_failed(published, keep)
    say(f"published {published} (DuckDB, built in {time.monotonic() - started:.0f} s)")
    return 0


# --- PostgreSQL: build a staging schema, swap it with the live one in one transaction -------------------------------


def pg_connect():
    import psycopg2

    return psycopg2.connect(
        host=os.environ.get("PGHOST", "127.0.0.1"),
        port=int(os.environ.get("PGPORT", "5432")),
        user=os.environ.get("PGUSER", "postgres"),
        password=os.environ.get("PGPASSWORD", ""),
        dbname=os.environ.get("PGDATABASE", "test"),
        connect_timeout=10,
    )


def pg_schema_exists(cursor, schema: str) -> bool:
    cursor.execute("select 1 from pg_namespace where nspname = %s", (schema,))
    return cursor.fetchone() is not None


def pg_failed_build(staging: str) -> str:
    """Where a failed build is, for the last line: the staging schema, if dbt got as far as creating it."""
    try:
        connection = pg_connect()
        try:
            with connection, connection.cursor() as cursor:
                exists = pg_schema_exists(cursor, staging)
        finally:
            connection.close()
    except Exception:  # noqa: BLE001 (the line is still worth printing without it)
        return f"the failed build, if any, is in schema {staging}"
    return f"the failed build is left in schema {staging}" if exists else "dbt created no schema"


def publish_postgres(dbt_args: list[str]) -> int:
    import psycopg2
    from psycopg2 import sql

    live = os.environ.get("PGSCHEMA") or "lifecycle"
    staging, previous = f"{live}__staging", f"{live}__previous"
    if len(previous.encode()) > PG_IDENTIFIER_MAX:
        raise SystemExit(f"build.py: PGSCHEMA {live!r} is too long for the schema {previous!r} (63 bytes at most)")
    where = f"database {os.environ.get('PGDATABASE', 'test')} on {os.environ.get('PGHOST', '127.0.0.1')}"

    try:
        connection = pg_connect()
    except psycopg2.OperationalError as error:
        say(f"nothing built or published: cannot connect to PostgreSQL ({str(error).strip()})")
        return 1
    try:
        with connection, connection.cursor() as cursor:
            cursor.execute(sql.SQL("drop schema if exists {} cascade").format(sql.Identifier(staging)))
    finally:
        connection.close()

    started = time.monotonic()
    code = run_dbt_build(dbt_args, {**os.environ, "PGSCHEMA": staging})
    if INTERRUPTED.signum is not None or code != 0:
        why = (f"interrupted by {signal.Signals(INTERRUPTED.signum).name}" if INTERRUPTED.signum is not None
               else f"dbt build exited {code}")
        say(f"nothing published ({why}); schema {live} in {where} is unchanged; " + pg_failed_build(staging))
        return 128 + INTERRUPTED.signum if INTERRUPTED.signum is not None else code

    connection = None
    try:
        connection = pg_connect()
        with connection, connection.cursor() as cursor:
            cursor.execute(f"set local lock_timeout = '{SWAP_LOCK_TIMEOUT}'")
            cursor.execute(sql.SQL("drop schema if exists {} cascade").format(sql.Identifier(previous)))
            if pg_schema_exists(cursor, live):
                cursor.execute(sql.SQL("alter schema {} rename to {}").format(sql.Identifier(live),
                                                                                sql.Identifier(previous)))
            cursor.execute(sql.SQL("alter schema {} rename to {}").format(sql.Identifier(staging), sql.Identifier(live)))
            cursor.execute(sql.SQL("drop schema if exists {} cascade").format(sql.Identifier(previous)))
    except Exception as error:  # noqa: BLE001 (the transaction rolled back: nothing was swapped)
        say(f"nothing published (the schema swap failed: {str(error).strip()}); schema {live} in {where} is "
            f"unchanged; the new build is left in schema {staging}")
        return 1
    finally:
        if connection is not None:
            connection.close()
    say(f"published schema {live} in {where} (PostgreSQL, swapped in from {staging}, "
        f"built in {time.monotonic() - started:.0f} s)")
    return 0


# --- other targets ----------------------------------------------------------------------------------------------------


def build_in_place(dbt_args: list[str], target: str) -> int:
    env = dict(os.environ)
    if target.startswith("spark"):
        # Spark's Python workers run this interpreter and find the reading layer (lifecycle_reading/spark_session.py).
        project_dir = str(Path(__file__).resolve().parents[1])
        env["PYTHONPATH"] = os.pathsep.join(path for path in (project_dir, env.get("PYTHONPATH")) if path)
        env.setdefault("PYSPARK_PYTHON", sys.executable)
        env.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    code = run_dbt_build(dbt_args, env)
    if INTERRUPTED.signum is not None:
        code = 128 + INTERRUPTED.signum
    state = "succeeded" if code == 0 else f"failed (exit {code})"
    say(f"built in place on target {target}, not published atomically (only duckdb and postgres are); the build {state}")
    return code


def main(argv: list[str] | None = None) -> int:
    dbt_args = list(sys.argv[1:] if argv is None else argv)
    if any(arg in ("-h", "--help") for arg in dbt_args):
        print(__doc__)
        return 0
    INTERRUPTED.install()
    target = target_name(dbt_args)
    if target == "duckdb":
        return publish_duckdb(dbt_args)
    if target == "postgres":
        return publish_postgres(dbt_args)
    return build_in_place(dbt_args, target)


if __name__ == "__main__":
    sys.exit(main())
