"""The CLV fits in child processes, so that pymc's memory leaves with them, one window per core.

Importing pymc-marketing (pymc, pytensor, arviz) and fitting a million customers leaves about 320 MB resident in
the process that did it, for the rest of the build: inside `dbt build` on DuckDB that is the dbt process, whose
peak comes later (fct_churn_alerts). `fit_parameters_isolated` hands the sampled customers to fresh interpreters
(`python -m lifecycle_clv.isolated <input> <output> <window>...`, the same lifecycle_clv.fit_all) through pickles
in a private temporary folder and reads their fits back; a child's memory is gone when it exits.

The fits are single-threaded (pytensor's compiled likelihood), and the build waits on them with its other core
idle: when both windows have a fit to make (a holdout, clv_holdout_days > 0, and models not given in var
clv_parameters), the observation window (BG/NBD then Gamma-Gamma) and the calibration window (BG/NBD) are fitted
by two children at once, each handed only its window's columns. The parameters are those of an in-process fit, to
the digit (tests/test_clv.py).
"""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
import tempfile
from pathlib import Path

import pandas as pd

from lifecycle_clv.fitting import WINDOW_COLUMNS, WINDOWS, Settings, WindowCounts, fit_all, parameters_frame

PACKAGE_PARENT = str(Path(__file__).resolve().parent.parent)


def window_groups(settings: Settings) -> list[tuple[str, ...]]:
    """The windows each child fits: one child per window when both windows have a model to fit, else one child
    for both (a skipped or given fit costs nothing, and a second interpreter would cost its start-up)."""
    fitted = [
        window for window in WINDOWS
        if not (window == "calibration" and settings.holdout_days == 0)
        and any(model not in settings.given_parameters
                for model in (("bg_nbd", "gamma_gamma") if window == "observation" else ("bg_nbd",)))
    ]
    return [(window,) for window in WINDOWS] if len(fitted) == len(WINDOWS) else [WINDOWS]


def fit_parameters_isolated(summary: pd.DataFrame, settings: Settings,
                            counts: dict[str, WindowCounts] | None = None, release=None) -> pd.DataFrame:
    """fit_parameters(summary, settings, counts), computed by child Python processes (window_groups). `release`,
    when given, is called once the inputs are written (the caller drops its own copy of the summary there and
    hands the memory back), before the children start. A child that fails raises RuntimeError with the last line
    it wrote."""
    groups = window_groups(settings)
    with tempfile.TemporaryDirectory(prefix="lifecycle_clv_fit_") as folder:
        inputs = []
        for number, windows in enumerate(groups):
            given, taken = Path(folder) / f"input_{number}.pickle", Path(folder) / f"fits_{number}.pickle"
            columns = list(dict.fromkeys(column for window in windows for column in WINDOW_COLUMNS[window]))
            handed = summary if len(groups) == 1 else summary[[c for c in columns if c in summary.columns]]
            with given.open("wb") as file:
                pickle.dump((handed, settings, counts), file, protocol=pickle.HIGHEST_PROTOCOL)
            del handed
            inputs.append((given, taken, windows))
        del summary
        if release is not None:
            release()
        environment = dict(os.environ)
        environment["PYTHONPATH"] = os.pathsep.join(filter(None, [PACKAGE_PARENT, environment.get("PYTHONPATH")]))
        children = [
            subprocess.Popen([sys.executable, "-m", "lifecycle_clv.isolated", str(given), str(taken), *windows],
                             env=environment, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            for given, taken, windows in inputs
        ]
        outputs = [child.communicate() for child in children]
        for child, (stdout, stderr) in zip(children, outputs):
            if child.returncode != 0:
                lines = [line for line in (stderr or stdout).splitlines() if line.strip()]
                last = lines[-1].strip() if lines else "no output"
                raise RuntimeError(f"the CLV fit's child process stopped with exit code {child.returncode}: {last}")
        fits = []
        for _, taken, _ in inputs:
            with taken.open("rb") as file:
                fits.extend(pickle.load(file))
    return parameters_frame(fits, settings)


def main(arguments: list[str]) -> int:
    """Child side: read (summary, settings, counts), fit the windows named, write the list of fits."""
    given, taken, *windows = arguments
    with open(given, "rb") as file:
        summary, settings, counts = pickle.load(file)
    fits = fit_all(summary, settings, counts, windows=tuple(windows) or WINDOWS)
    with open(taken, "wb") as file:
        pickle.dump(fits, file, protocol=pickle.HIGHEST_PROTOCOL)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
