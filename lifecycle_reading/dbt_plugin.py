"""dbt-duckdb plugin: loads a raw source table from the user's files inside `dbt build`.

profiles.yml registers it for the duckdb target (`plugins: [{module: lifecycle_reading.dbt_plugin}]`); a source
table whose meta says `plugin: lifecycle_reading` is (re)loaded from its files whenever a model reads it, into the
source's schema and name, so that it is an ordinary, declared dbt source (freshness included). Its meta:

    contract: orders                 # which raw contract (lifecycle_reading.contracts)
    path: "{{ var('orders_path') }}" # file or glob; empty = the bundled demo data
    columns: "{{ var('orders_columns') | tojson }}"
    encoding: "{{ var('orders_encoding') }}"
"""

from __future__ import annotations

from dbt.adapters.duckdb.plugins import BasePlugin
from dbt.adapters.duckdb.utils import SourceConfig
from dbt.adapters.events.logging import AdapterLogger

from lifecycle_reading.files import InputError, reader
from lifecycle_reading.options import DEMO_FILES, options_from_meta

__all__ = ["DEMO_FILES", "Plugin", "options_from_meta"]

logger = AdapterLogger("DuckDB")


class Plugin(BasePlugin):
    def load(self, source_config: SourceConfig):
        try:
            options = options_from_meta(source_config.meta)
            stream = reader(options)
        except InputError as error:
            # One line, raised where dbt reports the model that reads the source.
            raise RuntimeError(str(error)) from None
        # dbt-duckdb writes the table under source_config.table_name() unquoted; the database is the file's own
        # (its name comes from the file name and may be a keyword, e.g. offset.duckdb), so leave it out.
        source_config.database = None
        logger.info(f"Reading raw {options.contract.name} into {source_config.table_name()} from {options.path}")
        return stream

    def default_materialization(self) -> str:
        return "table"
