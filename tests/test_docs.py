"""Every model, column, seed, macro and metric is documented; `dbt docs generate` succeeds.

Reads the manifest of the session's demo build and compares the documented columns with the columns each model
really has in the DuckDB file, so an undocumented new column fails the test.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from conftest import DEMO_VARS, PROJECT_DIR, query, run_dbt


@pytest.fixture(scope="module")
def manifest(demo_db: Path, tmp_path_factory: pytest.TempPathFactory) -> dict:
    # on a copy: `dbt docs generate` opens its database for writing, which other workers reading demo_db would block
    copy = tmp_path_factory.mktemp("docs") / "lifecycle.duckdb"
    shutil.copyfile(demo_db, copy)
    run_dbt(["docs", "generate"], copy, DEMO_VARS)
    target = copy.parent / "target"
    assert (target / "catalog.json").exists(), "dbt docs generate wrote no catalog"
    return json.loads((target / "manifest.json").read_text())


def project_nodes(manifest: dict, resource_type: str) -> list[dict]:
    return [
        node
        for node in manifest["nodes"].values()
        if node["resource_type"] == resource_type and node["package_name"] == "customer_lifecycle"
    ]


def test_every_model_and_seed_has_a_description(manifest):
    undocumented = [
        node["name"]
        for kind in ("model", "seed")
        for node in project_nodes(manifest, kind)
        if not node["description"].strip()
    ]
    assert undocumented == []


def test_every_model_description_starts_with_its_grain(manifest):
    models = project_nodes(manifest, "model")
    assert models
    wrong = [node["name"] for node in models if not node["description"].strip().startswith("One row per")]
    assert wrong == []


def test_every_column_in_the_database_is_documented(manifest, demo_db):
    missing = []
    for node in project_nodes(manifest, "model") + project_nodes(manifest, "seed"):
        documented = {name.lower(): column["description"].strip() for name, column in node["columns"].items()}
        actual = [
            row["column_name"].lower()
            for row in query(
                demo_db,
                "select column_name from information_schema.columns where table_name = ?",
                [node["alias"] or node["name"]],
            )
        ]
        assert actual, f"{node['name']} is not in the database"
        missing += [f"{node['name']}.{column}" for column in actual if not documented.get(column)]
    assert missing == []


def test_every_macro_is_documented_with_its_arguments(manifest):
    missing = []
    for macro in manifest["macros"].values():
        if macro["package_name"] != "customer_lifecycle" or macro["name"].startswith(("default__", "duckdb__",
                                                                                     "postgres__", "spark__")):
            continue
        if not macro["description"].strip():
            missing.append(macro["name"])
        missing += [
            f"{macro['name']}({argument['name']})"
            for argument in macro["arguments"]
            if not argument["description"].strip()
        ]
    assert missing == []


def test_every_metric_and_semantic_model_is_documented(manifest):
    metrics = [metric for metric in manifest["metrics"].values() if metric["package_name"] == "customer_lifecycle"]
    assert len(metrics) >= 20
    assert [metric["name"] for metric in metrics if not (metric["description"] or "").strip()] == []
    assert [metric["name"] for metric in metrics if not (metric["label"] or "").strip()] == []
    semantic_models = manifest["semantic_models"].values()
    assert [model["name"] for model in semantic_models if not (model["description"] or "").strip()] == []


def test_exposures_read_the_marts(manifest):
    exposures = {exposure["name"]: exposure for exposure in manifest["exposures"].values()}
    assert {"lifecycle_report", "retention_dashboard"} <= set(exposures)
    for exposure in exposures.values():
        assert any(node.endswith(".fct_lifecycle_metrics") for node in exposure["depends_on"]["nodes"])


def test_macros_yml_lists_only_existing_macros():
    """A renamed macro must not leave a stale entry behind (dbt only warns)."""
    documented = "".join(path.read_text() for path in sorted((PROJECT_DIR / "macros").rglob("*.yml")))
    sources = "".join(path.read_text() for path in (PROJECT_DIR / "macros").rglob("*.sql"))
    names = [line.split(":", 1)[1].strip() for line in documented.splitlines() if line.startswith("  - name:")]
    stale = [name for name in names if f"macro {name}(" not in sources and f"test {name.removeprefix('test_')}(" not in sources]
    assert stale == []
