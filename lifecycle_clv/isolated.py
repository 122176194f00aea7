"""The CLV fits in child processes, so that pymc's memory leaves with them, one window per core.

Importing pymc-marketing (pymc, pytensor, arviz) and fitting a million customers leaves about 320 MB resident in
the process that did it, for the rest of the build: inside `dbt build` on DuckDB that is the dbt process, whose
peak comes later (fct_churn_alerts). `fit_parameters_isolated` hands the sampled customers to fresh interpreters
(`python -m lifecycle_clv.isolated <input> <output> <window>`, the same lifecycle_clv.fit_all) through pickles
in a private temporary folder and reads their fits back; a child's memory is gone when it exits.

The fits are single-threaded (pytensor's compiled likelihood), and the build waits on them with its other core
idle: each window with a model to fit (the observation window: BG/NBD then Gamma-Gamma; with a holdout,
clv_holdout_days > 0, the calibration window: BG/NBD) gets a child of its own, handed only its window's columns,
and the two run at once. A window whose fits its counts settle (skipped, given in var clv_parameters, too few
repeat customers, spend that does not vary) is settled here: a small shop's build starts no child and never
imports pymc. The parameters are those of an in-process fit, to the digit (tests/test_clv.py).
"""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
import tempfile
from pathlib import Path

import pandas as pd

from lifecycle_clv.fitting import (
    WINDOW_COLUMNS, WINDOWS, Settings, WindowCounts, fit_all, parameters_frame, settled_fits,
)

PACKAGE_PARENT = str(Path(__file__).resolve().parent.parent)


def settled_windows(summary: pd.DataFrame, settings: Settings,
                    counts: dict[str, WindowCounts] | None = None) -> dict[str, list | None]:
    """Each window's fits as its counts settle them (settled_fits), or None where it has a model to fit."""
    return {window: settled_fits(summary, settings, counts, window) for window in WINDOWS}


def windows_to_fit(settled: dict[str, list | None]) -> tuple[str, ...]:
    """The windows of settled_windows() with a model to fit, in WINDOWS order: each gets a child."""
    return tuple(window for window in WINDOWS if settled[window] is None)


def fit_parameters_isolated(summary: pd.DataFrame, settings: Settings,
                            counts: dict[str, WindowCounts] | None = None, release=None) -> pd.DataFrame:
    """fit_parameters(summary, settings, counts), each window with a model to fit (windows_to_fit) fitted by a
    child Python process of its own, the others settled here from their counts. `release`, when given, is called
    once the inputs are written (the caller drops its own copy of the summary there and hands the memory back),
    before the children start. A child that fails raises RuntimeError with the last line it wrote."""
    settled = settled_windows(summary, settings, counts)
    with tempfile.TemporaryDirectory(prefix="lifecycle_clv_fit_") as folder:
        inputs = []
        for window in windows_to_fit(settled):
            given, taken = Path(folder) / f"input_{window}.pickle", Path(folder) / f"fits_{window}.pickle"
            handed = summary[[column for column in WINDOW_COLUMNS[window] if column in summary.columns]]
            with given.open("wb") as file:
                pickle.dump((handed, settings, counts), file, protocol=pickle.HIGHEST_PROTOCOL)
            del handed
            inputs.append((given, taken, window))
        del summary
        if release is not None:
            release()
        environment = dict(os.environ)
        environment["PYTHONPATH"] = os.pathsep.join(filter(None, [PACKAGE_PARENT, environment.get("PYTHONPATH")]))
        children = [
            subprocess.Popen([sys.executable, "-m", "lifecycle_clv.isolated", str(given), str(taken), window],
                             env=environment, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            for given, taken, window in inputs
        ]
        outputs = [child.communicate() for child in children]
        for child, (stdout, stderr) in zip(children, outputs):
            if child.returncode != 0:
                lines = [line for line in (stderr or stdout).splitlines() if line.strip()]
                last = lines[-1].strip() if lines else "no output"
                raise RuntimeError(f"the CLV fit's child process stopped with exit code {child.returncode}: {last}")
        for _, taken, window in inputs:
            with taken.open("rb") as file:
                settled[window] = pickle.load(file)
    return parameters_frame([fit for window in WINDOWS for fit in settled[window]], settings)


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
