"""Time the CLV fit and scoring at scale, and measure what fitting on a sample costs in accuracy.

    python scripts/benchmark_clv_fit.py --customers 10000000 [--full] [--max-customers 1000000]

Simulates N customers from BG/NBD and Gamma-Gamma with known parameters (by default the CDNOW values of METRICS.md
§11, in weeks; ages spread over 78 weeks), then runs what a build runs on them — lifecycle_clv.fit_all (the three
fits: observation BG/NBD and Gamma-Gamma, calibration BG/NBD on the same sample) with var clv_fit_max_customers
and score_customers on every customer — and prints the times, the fitted values next to the true ones, and the
predicted CLV of every customer compared with the one the true parameters give. --full also fits on every
customer, to show what the sample changes.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

PROJECT_DIR = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT_DIR))

from lifecycle_clv import Settings, fit_all, parameters_frame, score_customers  # noqa: E402
from lifecycle_clv.formulas import expected_purchase_value, expected_purchases  # noqa: E402

TRUE = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426, "p": 6.25, "q": 3.74, "gamma": 15.44}


def simulate(n: int, seed: int = 1) -> pd.DataFrame:
    """n customers of BG/NBD and Gamma-Gamma with the TRUE parameters, observed for T ~ U(0, 78) weeks."""
    rng = np.random.default_rng(seed)
    rate = rng.gamma(TRUE["r"], 1 / TRUE["alpha"], n)
    dropout = rng.beta(TRUE["a"], TRUE["b"], n)
    age = np.floor(rng.uniform(0, 78 * 7, n)) / 7
    x = np.zeros(n, dtype=np.int64)
    recency = np.zeros(n)
    clock = np.zeros(n)
    active = np.ones(n, dtype=bool)
    while active.any():
        index = np.flatnonzero(active)
        clock[index] += rng.exponential(1 / rate[index])
        bought = clock[index] <= age[index]
        buyers = index[bought]
        x[buyers] += 1
        recency[buyers] = clock[buyers]
        active[index[~bought]] = False
        active[buyers] = rng.random(len(buyers)) >= dropout[buyers]
    spend_rate = rng.gamma(TRUE["q"], 1 / TRUE["gamma"], n)
    with np.errstate(divide="ignore", invalid="ignore"):
        mean_value = np.where(x > 0, rng.gamma(TRUE["p"] * np.maximum(x, 1), 1 / (spend_rate * np.maximum(x, 1))),
                              np.nan)
    return pd.DataFrame({
        "customer_id": np.char.add("c", np.arange(n).astype(str)),
        "frequency": x,
        "recency": recency,
        "age": age,
        "mean_repeat_value": mean_value,
        "calibration_frequency": x,
        "calibration_recency": recency,
        "calibration_age": age,
    })


def report(label: str, summary: pd.DataFrame, settings: Settings, truth_clv: np.ndarray) -> dict:
    started = time.perf_counter()
    fits = fit_all(summary, settings)
    fitted = time.perf_counter()
    parameters = parameters_frame(fits, settings)
    scores = score_customers(summary, parameters, settings)
    scored = time.perf_counter()
    values = {name: value for fit in fits if fit.fitted_on == "observation" and fit.values
              for name, value in fit.values.items()}
    error = np.abs(scores["predicted_clv"].to_numpy() - truth_clv)
    print(f"{label}: fit {fitted - started:.1f} s (three fits), scoring {scored - fitted:.1f} s; "
          + ", ".join(f"{name} {values.get(name, float('nan')):.4f} ({100 * (values.get(name, np.nan) / TRUE[name] - 1):+.2f}%)"
                      for name in TRUE)
          + f"; predicted_clv vs true parameters: mean abs {error.mean():.4f}, "
            f"relative to the mean CLV {error.mean() / truth_clv.mean():.2%}, max {error.max():.3f}")
    return values


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--max-customers", type=int, default=1_000_000, help="var clv_fit_max_customers")
    parser.add_argument("--full", action="store_true", help="also fit on every customer")
    args = parser.parse_args(argv)

    started = time.perf_counter()
    summary = simulate(args.customers)
    print(f"simulated {args.customers:,} customers in {time.perf_counter() - started:.1f} s "
          f"({(summary['frequency'] > 0).mean():.1%} with a repeat purchase)")
    horizon = 52.0
    truth_clv = expected_purchases(horizon, summary["frequency"], summary["recency"], summary["age"],
                                   **{name: TRUE[name] for name in ("r", "alpha", "a", "b")}) * \
        expected_purchase_value(summary["frequency"], summary["mean_repeat_value"],
                                **{name: TRUE[name] for name in ("p", "q", "gamma")})
    settings = dict(metrics_as_of=None, time_unit_days=7, horizon_days=horizon * 7, holdout_days=7,
                    min_repeat_customers=20)
    report(f"sample of {min(args.max_customers, args.customers):,}", summary,
           Settings(fit_max_customers=args.max_customers, **settings), truth_clv)
    if args.full and args.customers > args.max_customers:
        report(f"all {args.customers:,}", summary, Settings(fit_max_customers=args.customers, **settings),
               truth_clv)
    return 0


if __name__ == "__main__":
    sys.exit(main())
