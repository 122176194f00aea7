"""lifecycle_clv.duckdb_memory: the memory limits the CLV model sets on its DuckDB session (no dbt).

DuckDB reports memory_limit as text truncated to a tenth of its unit ('2GB' reads back as '1.8 GiB', and a limit
set to '1.8 GiB' as '1.7 GiB'), and buffer_cache_capped can only restore the limit from that text: the restored
limit is the configured one to within a few per cent, for the rest of the model. dbt-duckdb sets the profile's
exact value again on the next model's connection."""

import duckdb
import pytest

from lifecycle_clv.duckdb_memory import buffer_cache_capped

UNITS = {"bytes": 1, "KiB": 2**10, "MiB": 2**20, "GiB": 2**30, "TiB": 2**40}


def limit_bytes(session) -> float:
    number, unit = session.execute("select current_setting('memory_limit')").fetchall()[0][0].split()
    return float(number) * UNITS[unit]


def test_the_cap_is_lowered_for_the_wait_and_the_configured_limit_restored():
    session = duckdb.connect(config={"memory_limit": "2GB"})
    with buffer_cache_capped(session) as lower:
        assert limit_bytes(session) == pytest.approx(1e9, rel=0.05)
        lower()
        assert limit_bytes(session) == pytest.approx(64e6, rel=0.05)
    assert limit_bytes(session) == pytest.approx(2e9, rel=0.1)


def test_the_configured_limit_is_restored_when_the_model_fails():
    session = duckdb.connect(config={"memory_limit": "3GB"})
    with pytest.raises(RuntimeError, match="a fit failed"):
        with buffer_cache_capped(session) as lower:
            lower("128MB")
            assert limit_bytes(session) == pytest.approx(128e6, rel=0.05)
            raise RuntimeError("a fit failed")
    assert limit_bytes(session) == pytest.approx(3e9, rel=0.1)
