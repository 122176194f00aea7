"""dbt-duckdb plugin: loads a raw source table from the user's files inside `dbt build`.

profiles.yml registers it for the duckdb target (`plugins: [{module: lifecycle_reading.dbt_plugin}]`); a source
table whose meta says `plugin: lifecycle_reading` is brought up to date with its files whenever a model reads it,
in the source's schema and name, so that it is an ordinary, declared dbt source (freshness included). Its meta:

    contract: orders                 # which raw contract (lifecycle_reading.contracts)
    path: "{{ var('orders_path') }}" # file or glob; empty = the bundled demo data
    columns: "{{ var('orders_columns') | tojson }}"
    encoding: "{{ var('orders_encoding') }}"

Loads are incremental (README "Nightly runs"). Beside the source table `<name>` the plugin keeps a manifest
`<name>__files` of the files it has read: path, size, modification time and the number of the load that read
it. A load reads only the files the manifest lacks and appends their lines, each with that `source_load_number`;
when a file it has read changed, vanished, or the reading options changed, or dbt runs with `--full-refresh`, it
reads every file again under a new load number (once per invocation: another model reading the same source in
a `--full-refresh` run finds it up to date). dbt-duckdb itself writes what `load` returns, one row per file
read by this load, to `<name>__last_load`.
"""

from __future__ import annotations

import json

import pyarrow as pa
from dbt.adapters.duckdb.plugins import BasePlugin
from dbt.adapters.duckdb.utils import SourceConfig
from dbt.adapters.events.logging import AdapterLogger

from lifecycle_reading.files import FileStamp, InputError, ReadOptions, file_stamps, reader
from lifecycle_reading.options import DEMO_FILES, options_from_meta

__all__ = ["DEMO_FILES", "Plugin", "options_from_meta"]

logger = AdapterLogger("DuckDB")

LOAD_REPORT_SCHEMA = pa.schema(
    [
        pa.field("source_file", pa.string()),
        pa.field("file_size", pa.int64()),
        pa.field("file_modified_ns", pa.int64()),
        pa.field("source_load_number", pa.int64()),
        pa.field("line_count", pa.int64()),
        pa.field("load_kind", pa.string()),
    ]
)


def full_refresh_requested() -> bool:
    """True when dbt runs with --full-refresh."""
    try:
        from dbt.flags import get_flags

        return bool(getattr(get_flags(), "FULL_REFRESH", False))
    except Exception:  # noqa: BLE001 - no flags outside a dbt invocation
        return False


# (invocation, schema, table) of the raw tables a --full-refresh invocation has already read again: the next model
# that reads the same source in that invocation finds it up to date instead of reading every file a second time.
_REFRESHED: set[tuple[str, str, str]] = set()


def invocation_id() -> str:
    """dbt's id of the running invocation ('' outside one)."""
    try:
        from dbt_common.invocation import get_invocation_id

        return get_invocation_id()
    except Exception:  # noqa: BLE001 - no invocation outside dbt
        return ""


def options_key(options: ReadOptions) -> str:
    """The reading options a loaded line depends on besides its file: a change reads every file again."""
    return json.dumps(
        {"contract": options.contract.name, "columns": options.columns, "encoding": options.encoding},
        sort_keys=True,
        ensure_ascii=False,
    )


class IncrementalLoad:
    """Brings `<schema>.<table>` up to date with the files of `options`, through a DuckDB connection."""

    def __init__(self, connection, schema: str, table: str, options: ReadOptions):
        self.connection = connection
        self.options = options
        self.table = f'"{schema}"."{table}"'
        self.manifest = f'"{schema}"."{table}__files"'
        self.schema = schema
        self.table_name = table

    def _exists(self, cursor, name: str) -> bool:
        query = "select count(*) from information_schema.tables where table_schema = ? and table_name = ?"
        return cursor.execute(query, [self.schema, name]).fetchall()[0][0] > 0

    def _loaded(self, cursor) -> dict[str, tuple[int, int, str]] | None:
        """The manifest as source_file -> (size, modification time, options key), or None when there is no
        usable previous load (no manifest, no table, or a table without load numbers)."""
        if not (self._exists(cursor, self.table_name) and self._exists(cursor, f"{self.table_name}__files")):
            return None
        columns = [row[0] for row in cursor.execute(f"describe {self.table}").fetchall()]
        if "source_load_number" not in columns:
            return None
        rows = cursor.execute(
            f"select source_file, file_size, file_modified_ns, options_key from {self.manifest}"
        ).fetchall()
        return {name: (size, modified, key) for name, size, modified, key in rows}

    def plan(self, cursor, stamps: list[FileStamp], full_refresh: bool) -> tuple[str, list[FileStamp]]:
        """('reload', every file) or ('append', the new files; possibly none)."""
        loaded = self._loaded(cursor)
        if full_refresh or loaded is None:
            return "reload", stamps
        key = options_key(self.options)
        current = {stamp.source_file: stamp for stamp in stamps}
        for name, (size, modified, loaded_key) in loaded.items():
            stamp = current.get(name)
            if (
                stamp is None
                or (stamp.file_size, stamp.file_modified_ns) != (size, modified)
                or loaded_key != key
            ):
                return "reload", stamps
        return "append", [stamp for stamp in stamps if stamp.source_file not in loaded]

    def run(self, full_refresh: bool) -> pa.Table:
        stamps = file_stamps(self.options)
        cursor = self.connection.cursor()
        try:
            cursor.execute(f'create schema if not exists "{self.schema}"')
            kind, to_read = self.plan(cursor, stamps, full_refresh)
            if not to_read:
                return LOAD_REPORT_SCHEMA.empty_table()
            previous = 0
            if kind == "append":
                previous = cursor.execute(f"select max(source_load_number) from {self.manifest}").fetchall()[0][0]
            elif self._exists(cursor, f"{self.table_name}__files"):
                # a reload keeps counting, so that every line read now is newer than anything built before
                previous = cursor.execute(f"select max(source_load_number) from {self.manifest}").fetchall()[0][0]
            load_number = int(previous or 0) + 1
            stream = reader(self.options, [stamp.source_file for stamp in to_read])
            if kind == "append" and not self._same_columns(cursor, stream.schema):
                # a new file with other columns: read everything again, so that one schema holds every line
                kind, to_read = "reload", stamps
                stream = reader(self.options, [stamp.source_file for stamp in to_read])
            cursor.register("lifecycle_reading_batch", stream)
            cursor.execute("begin transaction")
            select = f"select *, cast({load_number} as bigint) as source_load_number from lifecycle_reading_batch"
            if kind == "reload":
                cursor.execute(f"create or replace table {self.table} as {select}")
                cursor.execute(
                    f"create or replace table {self.manifest} (source_file varchar, file_size bigint, "
                    "file_modified_ns bigint, source_load_number bigint, line_count bigint, options_key varchar)"
                )
            else:
                cursor.execute(f"insert into {self.table} {select}")
            counts = dict(
                cursor.execute(
                    f"select source_file, count(*) from {self.table} where source_load_number = ? group by all",
                    [load_number],
                ).fetchall()
            )
            key = options_key(self.options)
            rows = [
                (s.source_file, s.file_size, s.file_modified_ns, load_number, counts.get(s.source_file, 0), key)
                for s in to_read
            ]
            cursor.executemany(f"insert into {self.manifest} values (?, ?, ?, ?, ?, ?)", rows)
            cursor.execute("commit")
            cursor.unregister("lifecycle_reading_batch")
        except Exception:
            try:
                cursor.execute("rollback")
            except Exception:  # noqa: BLE001 - no transaction open
                pass
            raise
        finally:
            cursor.close()
            # Arrow's allocator keeps the freed batches for reuse (about 0.8 GB after ten million orders); give
            # them back, so that the models that follow have the process's memory to themselves
            pa.default_memory_pool().release_unused()
        logger.info(
            f"Raw {self.options.contract.name} load {load_number} ({kind}): {len(to_read)} file(s), "
            f"{sum(row[4] for row in rows)} line(s) into {self.table}"
        )
        return pa.table(
            {
                "source_file": [row[0] for row in rows],
                "file_size": [row[1] for row in rows],
                "file_modified_ns": [row[2] for row in rows],
                "source_load_number": [row[3] for row in rows],
                "line_count": [row[4] for row in rows],
                "load_kind": [kind] * len(rows),
            },
            schema=LOAD_REPORT_SCHEMA,
        )

    def _same_columns(self, cursor, schema: pa.Schema) -> bool:
        existing = [row[0] for row in cursor.execute(f"describe {self.table}").fetchall()]
        return existing == [*schema.names, "source_load_number"]


class Plugin(BasePlugin):
    connection = None

    def configure_connection(self, conn):
        # the database connection dbt-duckdb opened: the incremental load writes the source table through it
        self.connection = conn

    def load(self, source_config: SourceConfig):
        try:
            options = options_from_meta(source_config.meta)
            # dbt-duckdb writes the table under source_config.table_name() unquoted; the database is the file's
            # own (its name comes from the file name and may be a keyword, e.g. offset.duckdb), so leave it out.
            source_config.database = None
            schema, table = source_config.schema, source_config.identifier
            logger.info(f"Reading raw {options.contract.name} into {schema}.{table} from {options.path}")
            refreshed = (invocation_id(), schema, table)
            full_refresh = full_refresh_requested() and refreshed not in _REFRESHED
            report = IncrementalLoad(self.connection, schema, table, options).run(full_refresh)
            if full_refresh:
                _REFRESHED.add(refreshed)
        except InputError as error:
            # One line, raised where dbt reports the model that reads the source.
            raise RuntimeError(str(error)) from None
        # What dbt-duckdb writes itself: the files this load read (none when nothing changed).
        source_config.identifier = f"{table}__last_load"
        return report

    def default_materialization(self) -> str:
        return "table"
