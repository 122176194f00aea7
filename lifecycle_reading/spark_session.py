"""A Spark session configured exactly as dbt's `spark` target (profiles.yml), for scripts/load_orders.py, the
benchmark and the tests: they read the same warehouse folder and metastore as `dbt build --target spark`.

dbt-spark's session method runs Spark inside the dbt process and builds its session from the target's
`server_side_parameters`; this module renders the same profile (env_var included) and builds the same session.
In a process that already has one (a test that ran dbt in-process), that session is returned.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

PROJECT_DIR = Path(__file__).resolve().parents[1]


def spark_target(target: str = "spark", profiles_dir: Path = PROJECT_DIR) -> dict[str, Any]:
    """The rendered output `target` of profiles.yml (env_var resolved as dbt resolves it)."""
    from dbt.config.profile import read_profile
    from dbt.config.renderer import ProfileRenderer
    from dbt_common.context import set_invocation_context

    set_invocation_context(os.environ)
    raw = read_profile(str(profiles_dir))
    outputs = raw["customer_lifecycle"]["outputs"]
    if target not in outputs:
        raise KeyError(f"profiles.yml has no target '{target}'")
    rendered = ProfileRenderer({}).render_data(outputs[target])
    if rendered.get("type") != "spark" or rendered.get("method") != "session":
        raise ValueError(f"target '{target}' is not a Spark session target (type spark, method session)")
    return rendered


def spark_environment(environ: dict[str, str]) -> dict[str, str]:
    """`environ` with what a local Spark started from it needs: its Python workers run this interpreter (the one
    with pyarrow and the project's packages, not whatever `python3` is first on PATH) and find the reading layer's
    data source (pyspark_lifecycle_reading) on PYTHONPATH; Spark binds to 127.0.0.1 only."""
    environ = dict(environ)
    paths = [path for path in environ.get("PYTHONPATH", "").split(os.pathsep) if path]
    if str(PROJECT_DIR) not in paths:
        environ["PYTHONPATH"] = os.pathsep.join([str(PROJECT_DIR), *paths])
    environ.setdefault("PYSPARK_PYTHON", sys.executable)
    environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    return environ


def prepare_environment() -> None:
    """Set spark_environment() in this process, before it starts Spark (the JVM inherits the environment)."""
    os.environ.update(spark_environment(dict(os.environ)))


def spark_session(target: str = "spark"):
    """The Spark session of `target`, created as dbt-spark creates it (Hive support, the server-side parameters)."""
    from pyspark.sql import SparkSession

    settings = spark_target(target)
    prepare_environment()
    builder = SparkSession.builder.enableHiveSupport()
    for key, value in (settings.get("server_side_parameters") or {}).items():
        builder = builder.config(str(key), str(value))
    # dbt-spark sets this for every session it opens (dbt.adapters.spark.connections).
    builder = builder.config("spark.sql.ansi.enabled", "false")
    return builder.getOrCreate()
