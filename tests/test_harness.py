"""The test harness's own helpers (tests/conftest.py), checked without dbt."""

from __future__ import annotations

import pytest

from conftest import build_once


def test_a_shared_build_runs_once(tmp_path):
    calls = []
    build_once(tmp_path, lambda: calls.append("gw0"), "gw0")
    build_once(tmp_path, lambda: calls.append("gw1"), "gw1")
    assert calls == ["gw0"]
    assert (tmp_path / "built").read_text() == "built by gw0\n"


def test_a_failed_shared_build_fails_the_next_caller_without_building_again(tmp_path):
    calls = []

    def failing_build():
        calls.append("gw0")
        raise RuntimeError("dbt build: 1 error")

    with pytest.raises(RuntimeError, match="dbt build: 1 error"):
        build_once(tmp_path, failing_build, "gw0")
    with pytest.raises(pytest.fail.Exception, match="failed in another worker: gw0: RuntimeError: dbt build: 1 error"):
        build_once(tmp_path, lambda: calls.append("gw1"), "gw1")
    assert calls == ["gw0"]
    assert not (tmp_path / "built").exists()
