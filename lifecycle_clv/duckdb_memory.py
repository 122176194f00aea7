"""Memory of a dbt Python model on DuckDB: DuckDB's buffer cache held small while the model holds customer data in
pandas, and the memory pandas freed handed back to the system when it is done (DuckDB only)."""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
from contextlib import contextmanager
from typing import Callable, Iterator

# What DuckDB may keep cached while a fit holds the customers in pandas.
CAPPED_MEMORY_LIMIT = "1GB"
# What it may keep while the fits run in child processes and the model reads nothing: the blocks the sample
# pass cached (up to CAPPED_MEMORY_LIMIT) would otherwise stay resident beside the children.
IDLE_MEMORY_LIMIT = "64MB"


@contextmanager
def buffer_cache_capped(session, limit: str = CAPPED_MEMORY_LIMIT) -> Iterator[Callable[..., None]]:
    """Lower the session's memory_limit (DuckDB evicts cached blocks down to it) and restore the configured one;
    on the way out, give the memory the model's Python objects freed back to the system (release_freed_memory).
    DuckDB reports the limit only as text truncated to a tenth of its unit, so the restored limit is the
    configured one to within a few per cent (2GB comes back as 1.8 GiB) until the model ends: dbt-duckdb sets the
    profile's settings again on each model's connection.

    Yields `lower(to=IDLE_MEMORY_LIMIT)`, which lowers the limit further until the block ends: for when the model
    is done reading and waits (the CLV fit's children)."""
    configured = session.execute("select current_setting('memory_limit')").fetchall()[0][0]
    session.execute(f"set memory_limit = '{limit}'")

    def lower(to: str = IDLE_MEMORY_LIMIT) -> None:
        session.execute(f"set memory_limit = '{to}'")

    try:
        yield lower
    finally:
        session.execute(f"set memory_limit = '{configured}'")
        release_freed_memory()


def release_freed_memory() -> None:
    """Collect Python's garbage and ask glibc to return the free pages of its heaps (malloc_trim): freed pandas
    and numpy buffers otherwise stay in the process's resident memory for the rest of the build. A no-op where the
    C library has no malloc_trim."""
    gc.collect()
    library = ctypes.util.find_library("c")
    if library is None:
        return
    trim = getattr(ctypes.CDLL(library), "malloc_trim", None)
    if trim is not None:
        trim(0)
