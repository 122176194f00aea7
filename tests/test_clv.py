"""Predictive customer value (METRICS.md §11): BG/NBD and Gamma-Gamma fitted with pymc-marketing, the closed-form
scores, the holdout validation, and bad input.

Expected values come from the papers (Fader, Hardie & Lee 2005, on the CDNOW sample: tests/fixtures/clv/), from
hand computation, or from an independent implementation of the closed forms written here with mpmath's hyp2f1 —
never from the code under test.
"""

from __future__ import annotations

import math
from collections import defaultdict
from datetime import date, timedelta
from pathlib import Path

import mpmath
import numpy as np
import pandas as pd
import pytest
from scipy.optimize import minimize
from scipy.special import gammaln

from conftest import DbtBuildError, query, read_only, run_dbt, write_orders_csv
from lifecycle_clv import Settings, deterministic_sample, fit_all, fit_bg_nbd, fit_gamma_gamma, score_customers
from lifecycle_clv import WindowCounts, fit_parameters, fit_sample, parameters_frame
from lifecycle_clv.fitting import BG_NBD_UPPER_BOUND, sample_hashes
from lifecycle_clv import isolated
from lifecycle_clv.isolated import fit_parameters_isolated, settled_windows, windows_to_fit
from lifecycle_clv.formulas import expected_purchase_value, expected_purchases, probability_alive

FIXTURES = Path(__file__).parent / "fixtures" / "clv"
# METRICS.md §11: the papers' fits on the published summary, and the fits built from the sample's orders.
PAPER_FIT = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426, "p": 6.25, "q": 3.74, "gamma": 15.44}
ORDERS_FIT = {"r": 0.244, "alpha": 4.422, "a": 0.793, "b": 2.423, "p": 6.25, "q": 3.74, "gamma": 15.44}
BG_NAMES = ("r", "alpha", "a", "b")
GG_NAMES = ("p", "q", "gamma")


def settings(**overrides) -> Settings:
    values = {"metrics_as_of": None, "time_unit_days": 7, "horizon_days": 365, "holdout_days": 0,
              "fit_max_customers": 1_000_000, "min_repeat_customers": 20}
    return Settings(**{**values, **overrides})


def paper_summary() -> pd.DataFrame:
    """The published CDNOW summary (weeks) in the columns of int_customers_clv_summarized."""
    frame = pd.read_csv(FIXTURES / "cdnow_customers_summary_with_transactions.csv")
    return pd.DataFrame({
        "customer_id": frame["ID"].astype(str),
        "frequency": frame["x"],
        "recency": frame["t_x"],
        "age": frame["T"],
        "mean_repeat_value": frame["zbar"].where(frame["x"] > 0),
        "calibration_frequency": np.nan,
        "calibration_recency": np.nan,
        "calibration_age": np.nan,
    })


def cdnow_lines() -> list[tuple[str, date, float]]:
    """CDNOW_sample.txt: (sample customer id, date, value) per order."""
    lines = []
    for line in (FIXTURES / "CDNOW_sample.txt").read_text().splitlines():
        _, customer, day, _, value = line.split()
        lines.append((customer, date(int(day[:4]), int(day[4:6]), int(day[6:])), float(value)))
    return lines


def cdnow_orders() -> list[dict]:
    """The sample's orders in the raw contract: order_id, customer_id, ordered_at, amount."""
    return [
        {"order_id": str(number), "customer_id": customer, "ordered_at": day.isoformat(), "amount": f"{value:.2f}"}
        for number, (customer, day, value) in enumerate(cdnow_lines(), start=1)
    ]


def assert_close(actual: dict, expected: dict, names, rel: float) -> None:
    for name in names:
        assert actual[name] == pytest.approx(expected[name], rel=rel), (name, actual[name], expected[name])


# --- the independent implementation: the closed forms with mpmath ---------------------------------------------------


def mp_probability_alive(x, t_x, T, r, alpha, a, b):
    if x == 0:
        return mpmath.mpf(1)
    return 1 / (1 + mpmath.mpf(a) / (b + x - 1) * ((mpmath.mpf(alpha) + T) / (mpmath.mpf(alpha) + t_x)) ** (r + x))


def mp_expected_purchases(t, x, t_x, T, r, alpha, a, b):
    """FHL 2005 eq. 10, as printed: 2F1(r + x, b + x; a + b + x - 1; t / (alpha + T + t))."""
    with mpmath.workdps(30):
        r, alpha, a, b, t, T, t_x = (mpmath.mpf(value) for value in (r, alpha, a, b, t, T, t_x))
        hypergeometric = mpmath.hyp2f1(r + x, b + x, a + b + x - 1, t / (alpha + T + t))
        bracket = 1 - ((alpha + T) / (alpha + T + t)) ** (r + x) * hypergeometric
        return float((a + b + x - 1) / (a - 1) * bracket * mp_probability_alive(x, t_x, T, r, alpha, a, b))


# --- the fits -------------------------------------------------------------------------------------------------------


def test_fit_on_the_published_summary_gives_the_papers_values():
    fits = {fit.model: fit for fit in fit_all(paper_summary(), settings()) if fit.fitted_on == "observation"}
    assert fits["bg_nbd"].status == "fitted" and fits["gamma_gamma"].status == "fitted"
    assert (fits["bg_nbd"].customers, fits["gamma_gamma"].customers) == (2357, 946)
    assert_close(fits["bg_nbd"].values, PAPER_FIT, BG_NAMES, rel=0.005)
    assert_close(fits["gamma_gamma"].values, PAPER_FIT, GG_NAMES, rel=0.005)


def test_the_fit_on_a_deterministic_sample_is_reproducible_and_says_so():
    summary = paper_summary()
    sample = deterministic_sample(summary, 1000)
    shuffled = deterministic_sample(summary.sample(frac=1, random_state=7), 1000)
    assert len(sample) == 1000 and set(sample["customer_id"]) == set(shuffled["customer_id"])
    first = fit_bg_nbd(summary, settings(fit_max_customers=1000), "observation")
    again = fit_bg_nbd(summary.sample(frac=1, random_state=3), settings(fit_max_customers=1000), "observation")
    assert first.status == "fitted" and (first.customers, first.fitted_customers) == (2357, 1000)
    assert "sample of 1,000 of 2,357 customers" in first.message
    assert first.values == again.values  # the same customers in the same order: the same digits
    assert first.values != fit_bg_nbd(summary, settings(), "observation").values


def test_the_sample_key_is_pandas_default_hash_of_the_id_text():
    # The sample (and so every sampled fit's digits) is defined by pandas' default hash of the id's text; the key
    # is computed without pandas' categorising step, which must not change a single key: distinct and repeated
    # ids, digits, non-ASCII text.
    ids = pd.Series(["1", "2", "1", "C-0001", "客户-7", "", "Ünïcode", "2"] * 3, dtype=object)
    expected = pd.util.hash_pandas_object(ids.astype(str), index=False).to_numpy()
    assert (sample_hashes(ids) == expected).all()
    assert sample_hashes(ids)[0] == sample_hashes(pd.Series(["1"]))[0] != sample_hashes(pd.Series(["2"]))[0]


def test_the_fit_in_a_child_process_equals_the_fit_in_this_one():
    # The build fits in a child process (lifecycle_clv.isolated) so that pymc's memory leaves with it; the same
    # digits as fitting here, and the caller's release hook runs before the child starts.
    released = []
    summary = paper_summary()
    isolated = fit_parameters_isolated(summary.copy(), settings(), release=lambda: released.append(True))
    here = fit_parameters(summary, settings())
    assert released == [True]
    # 4 BG/NBD and 3 Gamma-Gamma parameters fitted on the observation window; the calibration fit is skipped
    assert (isolated["fit_status"] == "fitted").sum() == 7 and set(isolated["fit_status"]) == {"fitted", "skipped"}
    pd.testing.assert_frame_equal(isolated.reset_index(drop=True), here.reset_index(drop=True))


def to_fit(summary: pd.DataFrame, window_settings: Settings) -> tuple[str, ...]:
    """The windows fit_parameters_isolated gives a child (its own two steps)."""
    return windows_to_fit(settled_windows(summary, window_settings))


def test_both_windows_fit_in_two_children_at_once_with_the_digits_of_one_process():
    # With a holdout both windows have a fit to make, and each gets its own child (one core each); the frame is
    # that of fitting both windows here, row for row. The calibration window is the observation one copied, so
    # its fit must give the observation fit's digits too.
    summary = paper_summary().assign(
        calibration_frequency=lambda frame: frame["frequency"],
        calibration_recency=lambda frame: frame["recency"],
        calibration_age=lambda frame: frame["age"],
    )
    with_holdout = settings(holdout_days=28)
    assert to_fit(summary, with_holdout) == ("observation", "calibration")
    isolated = fit_parameters_isolated(summary.copy(), with_holdout)
    here = fit_parameters(summary, with_holdout)
    assert (isolated["fit_status"] == "fitted").sum() == 11
    assert list(zip(isolated["fitted_on"], isolated["model"])) == (
        [("observation", "bg_nbd")] * 4 + [("observation", "gamma_gamma")] * 3 + [("calibration", "bg_nbd")] * 4
    )
    pd.testing.assert_frame_equal(isolated.reset_index(drop=True), here.reset_index(drop=True))
    values = isolated.set_index(["fitted_on", "model", "parameter"])["value"]
    assert_close({name: values["calibration", "bg_nbd", name] for name in BG_NAMES}, PAPER_FIT, BG_NAMES, rel=0.005)


def test_only_a_window_with_a_model_to_fit_gets_a_child():
    summary = paper_summary()
    assert to_fit(summary, settings()) == ("observation",)  # no holdout: calibration is skipped
    given_bg = settings(holdout_days=28, given_parameters={"bg_nbd": {"r": 1, "alpha": 1, "a": 1, "b": 1}})
    assert to_fit(summary, given_bg) == ("observation",)  # calibration's only model is given
    given_gg = settings(holdout_days=28, given_parameters={"gamma_gamma": {"p": 1, "q": 2, "gamma": 1}})
    # BG/NBD is still fitted on both windows; the calibration window has no customer here, which settles it
    assert to_fit(summary, given_gg) == ("observation",)
    calibrated = summary.assign(calibration_frequency=summary["frequency"], calibration_recency=summary["recency"],
                                calibration_age=summary["age"])
    assert to_fit(calibrated, given_gg) == ("observation", "calibration")
    # 2,357 customers, 946 with a repeat purchase day: a minimum of 947 repeat customers settles every window
    assert to_fit(calibrated, settings(holdout_days=28, min_repeat_customers=947)) == ()
    assert to_fit(calibrated, settings(holdout_days=28, min_repeat_customers=946)) == (
        "observation", "calibration")
    with pytest.raises(ValueError, match=r"unknown CLV window\(s\) \['holdout'\]"):
        fit_all(paper_summary(), settings(), windows=("holdout",))


def test_a_build_with_nothing_to_fit_starts_no_child(monkeypatch):
    # Too few repeat customers (a small shop, the tests' hand-made histories): every fit is settled from the
    # counts, as fit_all settles it, without a child process (no interpreter start, no pymc import).
    def no_child(*args, **kwargs):
        raise AssertionError("a child process was started")

    monkeypatch.setattr(isolated.subprocess, "Popen", no_child)
    summary = paper_summary().head(50)  # 18 repeat customers
    small = settings(holdout_days=28)
    released = []
    frame = fit_parameters_isolated(summary.copy(), small, release=lambda: released.append(True))
    assert released == [True]
    assert list(frame["fit_status"]) == ["not_fitted"] * 11
    assert frame["fit_message"].iloc[0] == (
        f"only {int((summary['frequency'] > 0).sum())} of 50 customers have a repeat purchase day "
        "(var clv_min_repeat_customers = 20)")
    pd.testing.assert_frame_equal(frame.reset_index(drop=True), fit_parameters(summary, small).reset_index(drop=True))


def test_a_child_fit_that_fails_stops_with_its_last_line():
    # A summary without the fit's recency and age columns makes the child raise; the parent says so in one line.
    summary = paper_summary()[["customer_id", "frequency", "mean_repeat_value", "calibration_frequency"]]
    with pytest.raises(RuntimeError, match=r"CLV fit's child process stopped with exit code 1: KeyError: .*'recency'"):
        fit_parameters_isolated(summary, settings())


def summary_batches(summary: pd.DataFrame, rows: int):
    """The summary's SAMPLE_PROJECTION columns as Arrow record batches of `rows` rows (what a build streams)."""
    import pyarrow as pa

    columns = ["customer_id", "frequency", "mean_repeat_value", "calibration_frequency"]
    return pa.Table.from_pandas(summary[columns], preserve_index=False).to_batches(max_chunksize=rows)


def test_fits_on_the_streamed_sample_equal_the_fits_on_every_customer():
    """A build reads only the customers fit_sample chooses (README "Benchmark"): the fits must be those of the
    whole summary, sample, counts and digits alike, whatever order the customers stream in."""
    summary = paper_summary()
    calibrated = summary.index % 3 != 0
    calibration = ["calibration_frequency", "calibration_recency", "calibration_age"]
    summary.loc[calibrated, calibration] = summary.loc[calibrated, ["frequency", "recency", "age"]].to_numpy()
    sampled_settings = settings(fit_max_customers=700, holdout_days=30)
    chosen, counts = fit_sample(summary_batches(summary.sample(frac=1, random_state=11), 500), sampled_settings)
    repeat = summary[summary["frequency"] > 0]
    assert counts["observation"] == WindowCounts(2357, 946, repeat["mean_repeat_value"].min(),
                                                 repeat["mean_repeat_value"].max(), 0)
    assert (counts["calibration"].customers, counts["calibration"].repeat_customers) == (
        int(calibrated.sum()), int((summary.loc[calibrated, "frequency"] > 0).sum()))
    # three samples of 700: the union holds each of them and nothing else
    samples = [deterministic_sample(frame, 700)["customer_id"] for frame in (
        summary, repeat, summary[calibrated])]
    assert set(chosen) == set().union(*(set(sample) for sample in samples))
    whole = parameters_frame(fit_all(summary, sampled_settings), sampled_settings)
    streamed = parameters_frame(
        fit_all(summary[summary["customer_id"].isin(chosen)], sampled_settings, counts), sampled_settings)
    assert set(whole["fit_status"]) == {"fitted"} and (whole["fitted_customers"] == 700).all()
    pd.testing.assert_frame_equal(whole, streamed)


def test_streamed_counts_carry_the_spend_checks_of_every_customer():
    """A repeat customer outside the sample with a mean repeat value that is not positive still stops the
    Gamma-Gamma fit, as it does on the whole summary."""
    summary = paper_summary()
    repeat_ids = summary.loc[summary["frequency"] > 0, "customer_id"]
    chosen_settings = settings(fit_max_customers=100)
    outside = next(cid for cid in repeat_ids
                   if cid not in set(deterministic_sample(summary[summary["frequency"] > 0], 100)["customer_id"]))
    summary.loc[summary["customer_id"] == outside, "mean_repeat_value"] = 0.0
    chosen, counts = fit_sample(summary_batches(summary, 1000), chosen_settings)
    assert outside not in chosen and counts["observation"].spend_invalid == 1
    streamed = fit_gamma_gamma(summary[summary["customer_id"].isin(chosen)], chosen_settings, "observation",
                               counts=counts["observation"])
    whole = fit_gamma_gamma(summary, chosen_settings, "observation")
    assert (streamed.status, streamed.message, streamed.customers) == (
        "not_fitted", "the mean repeat values must be positive numbers", 946)
    assert (whole.status, whole.message, whole.customers) == (streamed.status, streamed.message, streamed.customers)


# --- the closed forms, by hand and against mpmath -------------------------------------------------------------------


def test_probability_alive_by_hand():
    # r = 1, alpha = 2, a = 3, b = 4. x = 0: 1 (the model says a customer can only drop out after a purchase).
    # x = 2, t_x = 3, T = 6: a / (b + x - 1) = 3 / 5, ((alpha + T) / (alpha + t_x)) ** (r + x) = (8 / 5) ** 3
    # = 4.096, so P = 1 / (1 + 0.6 * 4.096) = 1 / 3.4576. x = 1, t_x = T = 5 (bought at the very end): 1 / (1 + 3 / 4).
    actual = probability_alive([0, 2, 1], [0, 3, 5], [10, 6, 5], r=1, alpha=2, a=3, b=4)
    assert actual == pytest.approx([1, 1 / 3.4576, 1 / 1.75], rel=1e-12)


def test_expected_purchases_by_hand():
    # With a + b - 1 = r, 2F1(r + x, b + x; a + b + x - 1; z) = 2F1(r + x, b + x; r + x; z) = (1 - z) ** -(b + x),
    # so E = (a + b + x - 1) / (a - 1) * (1 - (1 - z) ** (r + x - b - x)) * P = (2 + x) * z * P for r = 2, a = 2,
    # b = 1. alpha = 20, t = 30: x = 0, T = 10: z = 30 / 60 -> 1. x = 3, t_x = 3, T = 5: z = 30 / 55,
    # P = 1 / (1 + 2 / 3 * (25 / 23) ** 5) = 19309029 / 38840279 -> 5 * 30 / 55 * P.
    actual = expected_purchases(30, [0, 3], [0, 3], [10, 5], r=2, alpha=20, a=2, b=1)
    assert actual == pytest.approx([1.0, 5 * 30 / 55 * 19309029 / 38840279], rel=1e-10)


@pytest.mark.parametrize("parameters", [
    pytest.param((0.243, 4.414, 0.793, 2.426), id="cdnow"),
    pytest.param((1.5, 12.0, 2.5, 7.0), id="a-above-1"),
    pytest.param((0.8, 3.0, 1.0, 2.0), id="a-equals-1"),
    pytest.param((1.988, 20.53, 43844.37, 301781.7), id="dropout-hardly-varies"),
])
def test_expected_purchases_match_mpmath(parameters):
    r, alpha, a, b = parameters
    customers = [(0, 0, 0), (0, 0, 38.86), (1, 1.71, 38.86), (2, 30.43, 38.86), (7, 20, 30), (40, 70, 78)]
    x, t_x, T = (np.array(column, dtype=float) for column in zip(*customers))
    for t in (52.14, 39.0, 1.0):
        actual = expected_purchases(t, x, t_x, T, r, alpha, a, b)
        if a == 1.0:  # 0 / 0 in the printed form: its limit, from both sides
            expected = [(mp_expected_purchases(t, *c, r, alpha, 1 - 1e-9, b) + mp_expected_purchases(
                t, *c, r, alpha, 1 + 1e-9, b)) / 2 for c in customers]
        else:
            expected = [mp_expected_purchases(t, *c, r, alpha, a, b) for c in customers]
        assert actual == pytest.approx(expected, rel=1e-8), t
        assert probability_alive(x, t_x, T, r, alpha, a, b) == pytest.approx(
            [float(mp_probability_alive(*c, r, alpha, a, b)) for c in customers], rel=1e-12)


def test_gamma_gamma_expectation_by_hand():
    # p = 6.25, q = 3.74, gamma = 15.44 (the paper). x = 0: the population mean p * gamma / (q - 1) = 96.5 / 2.74.
    # x = 2, m = 22.35: p * (gamma + x * m) / (p * x + q - 1) = 6.25 * 60.14 / 15.24 = 375.875 / 15.24.
    # x = 10, m = 40: 6.25 * 415.44 / 65.24 = 2596.5 / 65.24 (mostly the customer's own mean, shrunk to the mean).
    actual = expected_purchase_value([0, 2, 10], [np.nan, 22.35, 40], p=6.25, q=3.74, gamma=15.44)
    assert actual == pytest.approx([96.5 / 2.74, 375.875 / 15.24, 2596.5 / 65.24], rel=1e-12)


# --- bad input: a status and a reason, never an exception -----------------------------------------------------------


def one_day_customers(count: int) -> pd.DataFrame:
    return pd.DataFrame({"customer_id": [f"c{i}" for i in range(count)], "frequency": 0, "recency": 0.0,
                         "age": np.linspace(1, 30, count), "mean_repeat_value": np.nan})


def test_too_few_repeat_customers_is_not_fitted():
    summary = one_day_customers(100)
    summary.loc[:4, ["frequency", "recency", "mean_repeat_value"]] = [1, 0.5, 10.0]
    bg = fit_bg_nbd(summary, settings(), "observation")
    gg = fit_gamma_gamma(summary, settings(), "observation")
    for fit in (bg, gg):
        assert fit.status == "not_fitted" and fit.values is None
        assert "only 5" in fit.message and "clv_min_repeat_customers = 20" in fit.message


def test_spend_that_does_not_vary_is_not_fitted():
    summary = paper_summary()
    summary["mean_repeat_value"] = summary["mean_repeat_value"].where(summary["frequency"] == 0, 25.0)
    fit = fit_gamma_gamma(summary, settings(), "observation")
    assert fit.status == "not_fitted" and "same mean repeat value" in fit.message


def test_a_fit_that_does_not_converge_is_not_fitted():
    fit = fit_bg_nbd(paper_summary(), settings(), "observation", max_evaluations=5)
    assert fit.status == "not_fitted" and fit.values is None
    assert fit.message == "the fit did not converge (the optimiser stopped after 5 evaluations)"


def homogeneous_customers(seed: int, count: int = 3000, rate: float = 0.1, dropout: float = 0.12) -> pd.DataFrame:
    """Customers who all buy at one rate (per time unit) and drop out after each purchase with one probability:
    the BG/NBD's limit with no variation between customers, where r, alpha (and often a, b) have no finite
    maximum."""
    rng = np.random.default_rng(seed)
    ages = rng.integers(10, 100, count).astype(float)
    frequency, recency = [], []
    for age in ages:
        clock, purchases, last = 0.0, 0, 0.0
        while (clock := clock + rng.exponential(1 / rate)) <= age:
            purchases, last = purchases + 1, clock
            if rng.random() < dropout:
                break
        frequency.append(purchases)
        recency.append(last)
    return pd.DataFrame({"customer_id": [f"c{i}" for i in range(count)], "frequency": frequency,
                         "recency": recency, "age": ages})


def bg_nbd_log_likelihood(summary: pd.DataFrame, r: float, alpha: float, a: float, b: float) -> float:
    """The BG/NBD log-likelihood (Fader, Hardie & Lee 2005, eq. 6), written independently of pymc-marketing with
    ln Gamma(z + x) - ln Gamma(z) as a sum of logs, so that it keeps its digits for large parameters."""
    x, t_x, age = (summary[column].to_numpy(dtype=float) for column in ("frequency", "recency", "age"))

    def rising(z: float) -> np.ndarray:  # ln Gamma(z + x) - ln Gamma(z) for whole x
        return sum(np.where(k < x, np.log(z + k), 0.0) for k in range(int(x.max())))

    common = rising(r) + r * math.log(alpha) + gammaln(b + x) - gammaln(b) - rising(a + b)
    alive = -(r + x) * np.log(alpha + age)
    dropped = np.where(x > 0, math.log(a) - np.log(np.maximum(b + x - 1, 1e-300)) - (r + x) * np.log(alpha + t_x),
                       -np.inf)
    return float(np.sum(common + np.logaddexp(alive, dropped)))


@pytest.mark.parametrize("seed", [1, 3])
def test_a_fit_without_variation_between_customers_stays_where_the_likelihood_keeps_its_digits(seed):
    """Unbounded, these fits ran r to 5.6e8 (seed 1) and to a point pymc could not evaluate (seed 3); at 10M
    synthetic customers to r = 3.4e51, where the likelihood loses every digit. Bounded, each fit reaches the
    maximum of an independent optimiser of an independent likelihood (to the ridge's flatness), and the rate and
    dropout the customers were drawn with."""
    summary = homogeneous_customers(seed)
    fit = fit_bg_nbd(summary, settings(), "observation")
    assert fit.status == "fitted", fit.message
    assert max(fit.values.values()) <= BG_NBD_UPPER_BOUND * (1 + 1e-9)
    assert "r and alpha run to the edge of the parameter space" in fit.message
    top = math.log(BG_NBD_UPPER_BOUND)

    def cost(logs):
        return -bg_nbd_log_likelihood(summary, *np.exp(np.clip(logs, -10, top)))

    start = minimize(cost, np.zeros(4), method="L-BFGS-B", bounds=[(-10, top)] * 4).x
    reference = minimize(cost, start, method="Nelder-Mead", options={"maxiter": 4000, "xatol": 1e-10, "fatol": 1e-10})
    fitted = bg_nbd_log_likelihood(summary, *(fit.values[name] for name in BG_NAMES))
    # The maximum lies on a flat ridge (any large r with r / alpha fixed, any large a + b with a / (a + b) fixed):
    # both optimisers stop somewhere along it, within one unit of log-likelihood of each other, a difference no
    # likelihood-ratio test would notice (the largest seen: 0.48 for seed 1, over 3,000 customers).
    assert fitted >= -reference.fun - 1.0
    assert fit.values["r"] / fit.values["alpha"] == pytest.approx(0.1, rel=0.05)
    assert fit.values["a"] / (fit.values["a"] + fit.values["b"]) == pytest.approx(0.12, abs=0.02)


def test_impossible_summaries_are_not_fitted():
    summary = paper_summary()
    summary.loc[:200, "recency"] = summary.loc[:200, "age"] + 5  # bought after the end of the observation
    fit = fit_bg_nbd(summary, settings(), "observation")
    assert fit.status == "not_fitted" and fit.message.startswith("the fit ")


def test_scores_are_null_without_a_fit():
    summary = one_day_customers(30).assign(calibration_frequency=0, calibration_recency=0.0, calibration_age=1.0)
    fits = fit_all(summary, settings(holdout_days=30))
    parameters = parameters_frame(fits, settings(holdout_days=30))
    assert set(parameters["fit_status"]) == {"not_fitted"} and parameters["value"].isna().all()
    scores = score_customers(summary, parameters, settings(holdout_days=30))
    assert len(scores) == 30
    assert scores.drop(columns="customer_id").isna().all().all()


# --- end to end: dbt build on the CDNOW orders ----------------------------------------------------------------------


def parameters_of(db_path, fitted_on: str) -> dict[tuple[str, str], dict]:
    rows = query(db_path, "select * from clv_model_parameters where fitted_on = ?", [fitted_on])
    return {(row["model"], row["parameter"]): row for row in rows}


@pytest.fixture(scope="module")
def cdnow_db(build_from_rows):
    """The CDNOW orders built to metrics_as_of 1997-10-01 (the papers' 39-week calibration period), weeks."""
    return build_from_rows(cdnow_orders(), metrics_as_of="1997-10-01", with_tests=False, clv_time_unit_days=7,
                           clv_holdout_days=0)


def test_fit_built_from_the_cdnow_orders(cdnow_db):
    # 8 of the 2,357 customers have only a zero-value order, which the validity rules reject: 2,349 remain.
    observed = parameters_of(cdnow_db, "observation")
    values = {parameter: row["value"] for (_, parameter), row in observed.items()}
    assert {row["fit_status"] for row in observed.values()} == {"fitted"}
    assert observed[("bg_nbd", "r")]["customers"] == 2349
    assert observed[("bg_nbd", "r")]["time_unit_days"] == 7
    assert_close(values, ORDERS_FIT, BG_NAMES + GG_NAMES, rel=0.005)
    assert {row["fit_status"] for row in parameters_of(cdnow_db, "calibration").values()} == {"skipped"}


def test_cdnow_summary_from_orders_is_the_published_one(cdnow_db):
    # The published summary counts in weeks with two decimals; the build counts days / 7. The customers without a
    # zero-value order have the same x, t_x and T; their mean repeat purchase value is the published zbar.
    published = paper_summary().set_index("customer_id")
    built = {int(row["customer_id"]): row for row in query(cdnow_db, "select * from int_customers_clv_summarized")}
    assert len(built) == 2349
    for customer_id, row in built.items():
        expected = published.loc[str(customer_id)]
        assert row["frequency"] == expected["frequency"], customer_id
        assert row["recency"] == pytest.approx(expected["recency"], abs=0.006), customer_id
        assert row["age"] == pytest.approx(expected["age"], abs=0.006), customer_id
        if row["frequency"] > 0:
            assert row["mean_repeat_value"] == pytest.approx(expected["mean_repeat_value"], abs=0.006), customer_id


def test_cdnow_predictions_are_the_closed_forms(cdnow_db):
    # Every customer of dim_customers, against mpmath's closed forms with the parameters the build published.
    values = {parameter: row["value"] for (_, parameter), row in parameters_of(cdnow_db, "observation").items()}
    bg = {name: values[name] for name in BG_NAMES}
    p, q, gamma = (values[name] for name in GG_NAMES)
    rows = query(cdnow_db, """
        select c.customer_id, s.frequency, s.recency, s.age, s.mean_repeat_value, c.probability_alive,
               c.expected_purchases, c.expected_purchase_value, c.predicted_clv
        from dim_customers as c inner join int_customers_clv_summarized as s using (customer_id)""")
    assert len(rows) == 2349
    horizon = 365 / 7
    cache = {}
    for row in rows:
        x, t_x, T = row["frequency"], row["recency"], row["age"]
        if (x, t_x, T) not in cache:
            cache[x, t_x, T] = (float(mp_probability_alive(x, t_x, T, **bg)),
                                mp_expected_purchases(horizon, x, t_x, T, **bg))
        alive, purchases = cache[x, t_x, T]
        value = p * (gamma + x * row["mean_repeat_value"]) / (p * x + q - 1) if x > 0 else p * gamma / (q - 1)
        assert row["probability_alive"] == pytest.approx(alive, rel=1e-9)
        assert row["expected_purchases"] == pytest.approx(purchases, rel=1e-8)
        assert row["expected_purchase_value"] == pytest.approx(value, rel=1e-12)
        assert row["predicted_clv"] == pytest.approx(purchases * value, rel=1e-8)
    # Customer 1 (x = 2, t_x = 30.43, T = 38.86 weeks), by hand with the paper's parameters: a / (b + x - 1) =
    # 0.793 / 3.426 = 0.23147; ((alpha + T) / (alpha + t_x)) ** (r + x) = (43.274 / 34.844) ** 2.243 = 1.6258;
    # P(alive) = 1 / (1 + 0.23147 * 1.6258) = 0.7266 after an 8.4-week silence.
    assert next(row for row in rows if row["customer_id"] == "0001")["probability_alive"] == pytest.approx(
        0.7266, abs=0.0005)


@pytest.fixture(scope="module")
def cdnow_holdout_db(build_from_rows):
    """All 78 weeks of CDNOW orders (to 1998-06-30), the last 273 days (39 weeks) held out: the papers' split."""
    return build_from_rows(cdnow_orders(), metrics_as_of="1998-07-01", with_tests=False, clv_time_unit_days=7,
                           clv_holdout_days=273)


def test_holdout_validation_on_cdnow(cdnow_holdout_db):
    # The calibration window ends 273 days before 1998-06-30: on 1997-09-30, the papers' calibration period, so
    # the calibration fit is the fit built from the orders to 1997-10-01.
    calibration = {parameter: row["value"] for (_, parameter), row in
                   parameters_of(cdnow_holdout_db, "calibration").items()}
    assert_close(calibration, ORDERS_FIT, BG_NAMES, rel=0.005)

    # Actual holdout purchase days by calibration frequency, counted here from the raw file.
    days = defaultdict(set)
    for customer, day, value in cdnow_lines():
        if value > 0:
            days[customer].add(day)
    end = date(1997, 9, 30)
    buckets = defaultdict(lambda: {"customers": 0, "actual": 0, "predicted": 0.0})
    for customer_days in days.values():
        calibration_days = sorted(day for day in customer_days if day <= end)
        if not calibration_days:
            continue
        x = len(calibration_days) - 1
        t_x = (calibration_days[-1] - calibration_days[0]).days / 7
        T = (end - calibration_days[0]).days / 7
        bucket = buckets[min(x, 7)]
        bucket["customers"] += 1
        bucket["actual"] += sum(1 for day in customer_days if day > end)
        bucket["predicted"] += mp_expected_purchases(
            39, x, t_x, T, **{name: ORDERS_FIT[name] for name in BG_NAMES})

    rows = query(cdnow_holdout_db, "select * from fct_clv_holdout_validation order by calibration_frequency")
    assert [row["calibration_frequency_label"] for row in rows] == ["0", "1", "2", "3", "4", "5", "6", "7+"]
    assert all(row["calibration_end_date"] == end and row["holdout_days"] == 273 for row in rows)
    for row in rows:
        expected = buckets[row["calibration_frequency"]]
        assert (row["customers"], row["actual_holdout_purchases"]) == (expected["customers"], expected["actual"])
        # predicted with the published (rounded) parameters: within 1 %
        assert row["predicted_holdout_purchases"] == pytest.approx(expected["predicted"], rel=0.01)
        assert row["predicted_purchases_per_customer"] == pytest.approx(
            row["predicted_holdout_purchases"] / row["customers"], rel=1e-12)
    assert sum(row["customers"] for row in rows) == 2349
    assert sum(row["actual_holdout_purchases"] for row in rows) == 1882  # repeat purchase days in the holdout


# --- end to end: degenerate input -----------------------------------------------------------------------------------


def test_every_customer_with_one_order_warns_and_predicts_null(tmp_path):
    orders = [
        {"order_id": str(i), "customer_id": f"c{i:02d}", "ordered_at": (date(2024, 1, 1) + timedelta(days=3 * i))
         .isoformat(), "amount": f"{10 + i}.00"}
        for i in range(40)
    ]
    orders_path = write_orders_csv(orders, tmp_path / "orders.csv")
    lines = []
    result = run_dbt(["build"], tmp_path / "lifecycle.duckdb",
                     {"orders_path": str(orders_path), "metrics_as_of": "2024-06-01"},
                     callbacks=[lambda event: lines.append(event.info.msg)])
    # the build succeeds, with one warning that says why
    statuses = {node.node.name: str(node.status) for node in result.result.results}
    assert statuses["warn_clv_model_not_fitted"] == "warn"
    warnings = [line for line in lines if "CLV model not fitted" in str(line)]
    assert len(warnings) == 1
    assert ("bg_nbd (observation), gamma_gamma (observation): only 0 of 40 customers have a repeat purchase day"
            in warnings[0])
    assert "bg_nbd (calibration): no customer made a first purchase before the calibration end" in warnings[0]

    parameters = query(tmp_path / "lifecycle.duckdb", "select * from clv_model_parameters")
    assert {row["fit_status"] for row in parameters if row["fitted_on"] == "observation"} == {"not_fitted"}
    assert all(row["value"] is None for row in parameters)
    customers = query(tmp_path / "lifecycle.duckdb", "select * from dim_customers")
    assert len(customers) == 40
    for column in ("probability_alive", "expected_purchases", "expected_purchase_value", "predicted_clv"):
        assert {row[column] for row in customers} == {None}, column
    validation = query(tmp_path / "lifecycle.duckdb", "select * from fct_clv_holdout_validation")
    assert {row["predicted_holdout_purchases"] for row in validation} == {None}


@pytest.mark.parametrize(("dbt_vars", "message"), [
    ({"clv_time_unit_days": 0}, "clv_time_unit_days must be a whole number of at least 1, got '0'"),
    ({"clv_parameters": {"bg_nbd": {"r": 0.2, "alpha": 4}}}, "clv_parameters.bg_nbd must give exactly r, alpha, a, b"),
    ({"clv_parameters": {"gamma_gamma": {"p": 6, "q": 0.5, "gamma": 15}}},
     "clv_parameters.gamma_gamma.q must be greater than 1"),
])
def test_bad_clv_vars_stop_with_one_clear_line(tmp_path, dbt_vars, message):
    with pytest.raises(DbtBuildError) as failure:
        run_dbt(["compile", "--select", "int_clv_fit_settings"], tmp_path / "errors.duckdb", dbt_vars)
    assert message in str(failure.value)


def test_a_sampled_build_fits_as_python_does_on_every_customer(build_from_rows):
    """With clv_fit_max_customers below the customers, the build streams the summary and reads only the sampled
    customers (models/clv/python/clv_model_parameters.py): its fits, counts and messages must be those of
    lifecycle_clv.fit_all handed the whole built summary, in all three windows."""
    db_path = build_from_rows(cdnow_orders(), metrics_as_of="1998-07-01", with_tests=False, clv_time_unit_days=7,
                              clv_holdout_days=273, clv_fit_max_customers=1000)
    with read_only(db_path) as connection:
        summary = connection.execute("select * from int_customers_clv_summarized").df()
        build_settings = Settings.from_frame(connection.execute("select * from int_clv_fit_settings").df())
    expected = parameters_frame(fit_all(summary, build_settings), build_settings)
    columns = ["fitted_on", "model", "parameter", "value", "fit_status", "fit_message", "customers",
               "fitted_customers"]
    built = pd.DataFrame(query(db_path, "select * from clv_model_parameters"))[columns]
    keys = ["fitted_on", "model", "parameter"]
    built = built.sort_values(keys).reset_index(drop=True)
    expected = expected[columns].sort_values(keys).reset_index(drop=True)
    assert set(built["fit_status"]) == {"fitted"}
    assert (built["fitted_customers"] == built["customers"].clip(upper=1000)).all()
    assert (built.loc[built["model"] == "bg_nbd", "customers"] > 1000).all()  # both BG/NBD windows are sampled
    pd.testing.assert_frame_equal(built, expected, check_dtype=False)
