"""The CLV fit in a child process, so that pymc's memory leaves with it.

Importing pymc-marketing (pymc, pytensor, arviz) and fitting a million customers leaves about 320 MB resident in
the process that did it, for the rest of the build: inside `dbt build` on DuckDB that is the dbt process, whose
peak comes later (fct_churn_alerts). `fit_parameters_isolated` hands the sampled customers to a fresh interpreter
(`python -m lifecycle_clv.isolated <input> <output>`, the same lifecycle_clv.fit_parameters) through a pickle in a
private temporary folder and reads the parameters back; the child's memory is gone when it exits. The parameters
are those of an in-process fit, to the digit (tests/test_clv.py).
"""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
import tempfile
from pathlib import Path

import pandas as pd

from lifecycle_clv.fitting import Settings, WindowCounts, fit_parameters

PACKAGE_PARENT = str(Path(__file__).resolve().parent.parent)


def fit_parameters_isolated(summary: pd.DataFrame, settings: Settings,
                            counts: dict[str, WindowCounts] | None = None, release=None) -> pd.DataFrame:
    """fit_parameters(summary, settings, counts), computed by a child Python process. `release`, when given, is
    called once the input is written (the caller drops its own copy of the summary there and hands the memory back),
    before the child starts. A child that fails raises RuntimeError with the last line it wrote."""
    with tempfile.TemporaryDirectory(prefix="lifecycle_clv_fit_") as folder:
        given, taken = Path(folder) / "input.pickle", Path(folder) / "parameters.pickle"
        with given.open("wb") as file:
            pickle.dump((summary, settings, counts), file, protocol=pickle.HIGHEST_PROTOCOL)
        del summary
        if release is not None:
            release()
        environment = dict(os.environ)
        environment["PYTHONPATH"] = os.pathsep.join(filter(None, [PACKAGE_PARENT, environment.get("PYTHONPATH")]))
        done = subprocess.run([sys.executable, "-m", "lifecycle_clv.isolated", str(given), str(taken)],
                              env=environment, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            lines = [line for line in (done.stderr or done.stdout).splitlines() if line.strip()]
            last = lines[-1].strip() if lines else "no output"
            raise RuntimeError(f"the CLV fit's child process stopped with exit code {done.returncode}: {last}")
        with taken.open("rb") as file:
            return pickle.load(file)


def main(arguments: list[str]) -> int:
    """Child side: read (summary, settings, counts), fit, write the parameters frame."""
    given, taken = arguments
    with open(given, "rb") as file:
        summary, settings, counts = pickle.load(file)
    parameters = fit_parameters(summary, settings, counts)
    with open(taken, "wb") as file:
        pickle.dump(parameters, file, protocol=pickle.HIGHEST_PROTOCOL)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
