"""DuckDB's buffer cache held small while a dbt Python model holds customer data in pandas (DuckDB only)."""

from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator

# What DuckDB may keep cached while a fit holds the customers in pandas: at ten million customers the two together
# peak at about 3.2 GB (README "Benchmark").
CAPPED_MEMORY_LIMIT = "1GB"


@contextmanager
def buffer_cache_capped(session, limit: str = CAPPED_MEMORY_LIMIT) -> Iterator[None]:
    """Lower the session's memory_limit (DuckDB evicts cached blocks down to it) and restore the configured one."""
    configured = session.execute("select current_setting('memory_limit')").fetchall()[0][0]
    session.execute(f"set memory_limit = '{limit}'")
    try:
        yield
    finally:
        session.execute(f"set memory_limit = '{configured}'")
