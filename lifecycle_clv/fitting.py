"""Fit BG/NBD and Gamma-Gamma by maximum likelihood with pymc-marketing, and score every customer.

The same functions run inside `dbt build` on DuckDB (the Python models clv_model_parameters and
int_customers_clv_scored) and in `scripts/fit_clv.py` on PostgreSQL, so every engine fits and scores alike.

Maximum likelihood: pymc-marketing's BetaGeoModel and GammaGammaModel with flat priors on the positive half-line
(`Prior("HalfFlat")`) fitted with `fit(method="map")`: pymc's find_MAP maximises the log-likelihood (no Jacobian
term) over the log-transformed parameters with L-BFGS-B, which reproduces the published MLE of the papers. The
BG/NBD parameters are bounded above (BG_NBD_UPPER_BOUND), where its likelihood still keeps its digits.

Bad input never raises: a fit that cannot be made (too few repeat customers, identical spend, an optimiser that
fails or runs off to the edge of the parameter space) gives NULL values and a status and message that say why.
"""

from __future__ import annotations

import json
import logging
import math
import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from lifecycle_clv import formulas

PARAMETERS = {"bg_nbd": ("r", "alpha", "a", "b"), "gamma_gamma": ("p", "q", "gamma")}
# pymc-marketing calls the Gamma-Gamma scale parameter v; the papers and this project call it gamma.
PYMC_NAMES = {"gamma": "v"}
# Rows per chunk where a whole summary is walked through in pieces (sample hashes, scores).
CHUNK_ROWS = 1_000_000
# pymc's find_MAP gives up after this many evaluations of the likelihood: the fit has then not converged.
MAX_EVALUATIONS = 5000
# Parameters beyond this are at the edge of the parameter space, where the model reaches a limit (see _edge_note).
EDGE = 1e3
# The BG/NBD log-likelihood holds differences of large terms, r ln(alpha) - (r + x) ln(alpha + T) and
# ln Gamma(a + b) - ln Gamma(a + b + x), which lose every digit once the parameters pass about 1e15: out there the
# likelihood evaluates to about 0 (its largest possible value), and an unbounded optimiser can run off to that
# spurious maximum (seen at 10M synthetic customers: r = 3.4e51, a = 3.4e136). The BG/NBD fit is therefore bounded
# above by this value, where every term keeps its digits and the model's limit (no variation between customers) is
# reached to about 1e-6; maxima inside it (CDNOW's parameters are all below 16) are where they were.
BG_NBD_UPPER_BOUND = 1e6

FITTED = "fitted"  # fitted by maximum likelihood on this build's data
GIVEN = "given"  # taken from var clv_parameters
NOT_FITTED = "not_fitted"  # could not be fitted; the message says why and the predictions are NULL
SKIPPED = "skipped"  # not asked for (the calibration fit when clv_holdout_days is 0)

PARAMETER_COLUMNS = (
    "fitted_on", "model", "parameter", "value", "time_unit_days", "fit_status", "fit_message", "customers",
    "fitted_customers", "metrics_as_of",
)
SCORE_COLUMNS = (
    "customer_id", "probability_alive", "expected_purchases", "expected_purchase_value", "predicted_clv",
    "holdout_expected_purchases",
)


@dataclass(frozen=True)
class Settings:
    """One build's CLV settings: the row of int_clv_fit_settings (vars and observation windows)."""

    metrics_as_of: Any
    time_unit_days: float
    horizon_days: float
    holdout_days: int
    fit_max_customers: int
    min_repeat_customers: int
    given_parameters: dict = field(default_factory=dict)

    @classmethod
    def from_frame(cls, frame: pd.DataFrame) -> "Settings":
        if len(frame) != 1:
            raise ValueError(f"int_clv_fit_settings must have one row, has {len(frame)}")
        row = frame.iloc[0]
        given = row["given_parameters"]
        return cls(
            metrics_as_of=row["metrics_as_of"],
            time_unit_days=float(row["time_unit_days"]),
            horizon_days=float(row["horizon_days"]),
            holdout_days=int(row["holdout_days"]),
            fit_max_customers=int(row["fit_max_customers"]),
            min_repeat_customers=int(row["min_repeat_customers"]),
            given_parameters=json.loads(given) if isinstance(given, str) and given.strip() else {},
        )


@dataclass
class Fit:
    """One model fitted on one window: its parameter values (None when not fitted), status and message."""

    model: str
    fitted_on: str
    values: dict[str, float] | None
    status: str
    message: str
    customers: int = 0
    fitted_customers: int = 0


# --- samples ------------------------------------------------------------------------------------------------------


def deterministic_sample(frame: pd.DataFrame, max_rows: int) -> pd.DataFrame:
    """At most max_rows rows of frame, chosen by a hash of customer_id (the smallest hashes win): the same
    customers on every run and every engine, unrelated to their behaviour. The whole frame when it is small."""
    if len(frame) <= max_rows:
        return frame
    ids = frame["customer_id"]
    # hashed a chunk at a time (the hash of a value does not depend on its neighbours): the text of ten million
    # ids never exists as Python strings all at once
    hashes = np.concatenate([
        sample_hashes(ids.iloc[start:start + CHUNK_ROWS]) for start in range(0, len(ids), CHUNK_ROWS)
    ])
    keep = np.argpartition(hashes, max_rows - 1)[:max_rows]
    return frame.iloc[np.sort(keep)]


def sample_hashes(ids: pd.Series) -> np.ndarray:
    """The sample key of each customer_id: pandas' 64-bit hash of its text. categorize=False hashes each value
    as it is, where pandas' default first builds a hash table of the distinct values (ids are distinct): the same
    keys, four times faster (0.2 s against 0.8 s per million ids)."""
    return pd.util.hash_pandas_object(ids.astype(str), index=False, categorize=False).to_numpy()


@dataclass(frozen=True)
class WindowCounts:
    """What a fit reports and checks about every customer of its window when it is handed only the sampled ones
    (fit_sample): the window's customers, those with a repeat purchase day, and their mean repeat values."""

    customers: int
    repeat_customers: int
    spend_min: float = math.nan  # over the repeat customers' positive finite mean repeat values
    spend_max: float = math.nan
    spend_invalid: int = 0  # repeat customers whose mean repeat value is not a positive finite number


def projection(columns: tuple[str, ...], double_type: str = "double") -> str:
    """A select list of customer_id and `columns` cast to the engine's double type (`double precision` on
    PostgreSQL): the calibration counts are HUGEINT or numeric sums, which Arrow and the drivers would hand to
    pandas as Decimal objects."""
    return ", ".join(["customer_id"] + [f"cast({name} as {double_type}) as {name}" for name in columns])


# The columns fit_sample streams: the sample key and what decides a customer's windows.
SAMPLE_COLUMNS = ("frequency", "mean_repeat_value", "calibration_frequency")
SAMPLE_PROJECTION = projection(SAMPLE_COLUMNS)


class _Smallest:
    """The max_rows customers with the smallest sample keys seen so far, and the counts of every customer seen.
    The ids stay Arrow strings (taken by position, never Python objects): at ten million customers the pass is
    then about the hashing alone."""

    def __init__(self, max_rows: int) -> None:
        self.max_rows = max_rows
        # the keys and ids held: candidates, trimmed to the max_rows smallest whenever they reach twice that
        self.hashes: list[np.ndarray] = []
        self.ids: list[pa.Array] = []
        self.held = 0
        # once max_rows are held, the largest key among the smallest max_rows: a larger key is never chosen
        self.bound: np.uint64 | None = None
        self.customers = 0
        self.repeat = 0
        self.spend = [math.inf, -math.inf, 0]

    def add(self, hashes: np.ndarray, ids: pa.Array, frequency: np.ndarray, spend: np.ndarray | None) -> None:
        self.customers += len(ids)
        repeat = frequency > 0
        self.repeat += int(repeat.sum())
        if spend is not None:
            values = spend[repeat]
            valid = np.isfinite(values) & (values > 0)
            self.spend[2] += int((~valid).sum())
            if valid.any():
                self.spend[0] = min(self.spend[0], float(values[valid].min()))
                self.spend[1] = max(self.spend[1], float(values[valid].max()))
        # Only the customers that can still be chosen are held: after the first max_rows, a share of about
        # max_rows / seen of each batch.
        if self.bound is None:
            self.hashes.append(hashes)
            self.ids.append(ids)
            self.held += len(hashes)
        else:
            candidates = np.flatnonzero(hashes < self.bound)
            if len(candidates):
                self.hashes.append(hashes[candidates])
                self.ids.append(ids.take(pa.array(candidates)))
                self.held += len(candidates)
        if self.held >= (self.max_rows if self.bound is None else 2 * self.max_rows):
            self._trim()

    def _trim(self) -> None:
        hashes = np.concatenate([np.empty(0, dtype=np.uint64), *self.hashes])
        ids = pa.concat_arrays(self.ids) if self.ids else pa.array([], pa.string())
        if len(hashes) > self.max_rows:
            keep = np.argpartition(hashes, self.max_rows - 1)[:self.max_rows]
            hashes, ids = hashes[keep], ids.take(pa.array(keep))
        if len(hashes) == self.max_rows:
            self.bound = hashes.max()
        self.hashes, self.ids, self.held = [hashes], [ids], len(hashes)

    def chosen(self) -> pa.Array:
        """The ids of the max_rows customers with the smallest keys (every customer seen, when fewer)."""
        self._trim()
        return self.ids[0]

    def counts(self) -> WindowCounts:
        low, high, invalid = self.spend
        return WindowCounts(self.customers, self.repeat, low if low <= high else math.nan,
                            high if low <= high else math.nan, invalid)


def _numbers(column: pa.Array) -> np.ndarray:
    """An Arrow numeric column as float64, NULL as NaN."""
    return np.asarray(column.cast(pa.float64()).to_numpy(zero_copy_only=False), dtype=float)


def fit_sample(batches, settings: "Settings") -> tuple[list[str], dict[str, WindowCounts]]:
    """One pass over the summary (a pyarrow RecordBatchReader of SAMPLE_PROJECTION): the customer_ids a build's
    fits use, in Python's string order, and each window's counts. The fits handed only those customers (fit_all
    with these counts) draw the same samples, report the same counts and give the same digits as on every
    customer, while at most three samples of var clv_fit_max_customers customers are ever held (not ten or
    twenty-five million customers). Windows: 'observation' (every customer; its repeat customers for
    Gamma-Gamma) and 'calibration'."""
    max_rows = settings.fit_max_customers
    observation, observation_repeat, calibration = _Smallest(max_rows), _Smallest(max_rows), _Smallest(max_rows)
    for batch in batches:
        ids = batch.column("customer_id").cast(pa.string())
        hashes = sample_hashes(pd.Series(ids.to_numpy(zero_copy_only=False), dtype=object))
        frequency = _numbers(batch.column("frequency"))
        observation.add(hashes, ids, frequency, _numbers(batch.column("mean_repeat_value")))
        repeat = np.flatnonzero(frequency > 0)
        observation_repeat.add(hashes[repeat], ids.take(pa.array(repeat)), frequency[repeat], None)
        calibration_frequency = _numbers(batch.column("calibration_frequency"))
        calibrated = np.flatnonzero(~np.isnan(calibration_frequency))
        calibration.add(hashes[calibrated], ids.take(pa.array(calibrated)), calibration_frequency[calibrated], None)
    chosen = pc.unique(pa.concat_arrays([observation.chosen(), observation_repeat.chosen(), calibration.chosen()]))
    # UTF-8 byte order is code point order: the order of Python's sorted()
    ordered = chosen.take(pc.sort_indices(chosen))
    return ordered.to_pylist(), {"observation": observation.counts(), "calibration": calibration.counts()}


def _ordered(frame: pd.DataFrame) -> pd.DataFrame:
    """Rows in customer_id order (Python's string order, the same whatever order an engine returned them in), so
    that every engine hands the optimiser the same arrays and gets the same digits back."""
    keys = frame["customer_id"].astype(str)
    return frame.assign(customer_id=keys).sort_values("customer_id", kind="stable").reset_index(drop=True)


# --- fits ---------------------------------------------------------------------------------------------------------


def _map_values(model, names: tuple[str, ...]) -> dict[str, float]:
    posterior = model.idata.posterior
    return {name: float(posterior[PYMC_NAMES.get(name, name)].values.reshape(-1)[0]) for name in names}


class _StoppedWatch(logging.Handler):
    """Notices pymc's find_MAP giving up: when the optimiser reaches maxeval evaluations, find_MAP catches a
    StopIteration, logs it at INFO level and returns the last point as if it had converged."""

    def __init__(self) -> None:
        super().__init__(level=logging.INFO)
        self.stopped = False

    def emit(self, record: logging.LogRecord) -> None:
        if isinstance(record.msg, StopIteration):
            self.stopped = True


def _maximise(model, data: pd.DataFrame, max_evaluations: int, upper_bounds: list[float] | None = None) -> bool:
    """fit(method="map") quietly; True when the optimiser stopped before converging. upper_bounds, when given, holds
    one upper bound per parameter of the model (L-BFGS-B's bounds on the log-transformed values of the flat
    priors)."""
    bounds = {} if upper_bounds is None else {"bounds": [(None, math.log(bound)) for bound in upper_bounds]}
    logger = logging.getLogger("pymc")
    watch, level, propagate = _StoppedWatch(), logger.level, logger.propagate
    logger.addHandler(watch)
    logger.setLevel(logging.INFO)
    logger.propagate = False  # pymc's own console handler is on this logger; nothing reaches the root logger
    handlers = [handler for handler in logger.handlers if handler is not watch]
    for handler in handlers:
        logger.removeHandler(handler)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model.fit(data=data, method="map", progressbar=False, maxeval=max_evaluations, **bounds)
    finally:
        logger.removeHandler(watch)
        for handler in handlers:
            logger.addHandler(handler)
        logger.setLevel(level)
        logger.propagate = propagate
    return watch.stopped


def _problem(values: dict[str, float], stopped: bool, max_evaluations: int) -> str | None:
    """Why a fit's result cannot be used (it did not converge), or None."""
    if stopped:
        return f"the fit did not converge (the optimiser stopped after {max_evaluations:,} evaluations)"
    bad = {name: value for name, value in values.items() if not (math.isfinite(value) and value > 0)}
    if bad:
        shown = ", ".join(f"{name} = {value:.4g}" for name, value in bad.items())
        return f"the fit did not converge ({shown})"
    return None


def _edge_note(model: str, values: dict[str, float]) -> str:
    """A maximum at the edge of the parameter space is the limit of the model where a quantity does not vary
    between customers; the values are where the optimiser stopped on a flat ridge, and the predictions are
    those of the limit (to about 1 / the large value). Says so, or ""."""
    notes = []
    if model == "bg_nbd":
        if min(values["a"], values["b"]) > EDGE:
            notes.append(f"a and b run to the edge of the parameter space: the dropout probability hardly varies "
                         f"between customers (a / (a + b) = {values['a'] / (values['a'] + values['b']):.4g})")
        if min(values["r"], values["alpha"]) > EDGE:
            notes.append(f"r and alpha run to the edge of the parameter space: the purchase rate hardly varies "
                         f"between customers (r / alpha = {values['r'] / values['alpha']:.4g} per time unit)")
    else:
        if min(values["q"], values["gamma"]) > EDGE:
            mean = values["p"] * values["gamma"] / (values["q"] - 1)
            notes.append(f"q and gamma run to the edge of the parameter space: mean spend hardly varies between "
                         f"customers beyond chance, so every expected purchase value is close to the population "
                         f"mean p * gamma / (q - 1) = {mean:.4g}")
        if values["p"] > EDGE:
            notes.append("p runs to the edge of the parameter space: a customer's purchase values hardly vary")
    return "".join(f"; {note}" for note in notes)


def _counts(frequency: pd.Series, spend: pd.Series | None = None) -> WindowCounts:
    """The WindowCounts of a whole window (every customer handed to a fit, no fit_sample): its customers, the
    repeat customers (frequency > 0) and, with spend, their mean repeat values."""
    repeat = (frequency > 0).to_numpy()
    if spend is None:
        return WindowCounts(len(frequency), int(repeat.sum()))
    values = spend.to_numpy(dtype=float)[repeat]
    valid = np.isfinite(values) & (values > 0)
    low, high = (float(values[valid].min()), float(values[valid].max())) if valid.any() else (math.nan, math.nan)
    return WindowCounts(len(frequency), int(repeat.sum()), low, high, int((~valid).sum()))


def window_counts(summary: pd.DataFrame, window: str) -> WindowCounts:
    """The counts of a window of a whole summary (int_customers_clv_summarized's columns), without copying it."""
    if window == "observation":
        return _counts(summary["frequency"], summary["mean_repeat_value"])
    calibration = summary["calibration_frequency"]
    return _counts(calibration[calibration.notna()])


def _settled_bg_nbd(counts: WindowCounts, settings: Settings, fitted_on: str) -> Fit | None:
    """BG/NBD's outcome when the window's counts settle it without the optimiser (no customers, too few repeat
    customers); None when it must be fitted."""
    if counts.customers == 0:
        reason = ("no customer made a first purchase before the calibration end (var clv_holdout_days = "
                  f"{settings.holdout_days:,} leaves no history to fit on)" if fitted_on == "calibration"
                  else "no customers to fit on")
        return Fit("bg_nbd", fitted_on, None, NOT_FITTED, reason)
    if counts.repeat_customers < settings.min_repeat_customers:
        return Fit("bg_nbd", fitted_on, None, NOT_FITTED,
                   _too_few_repeat(counts.repeat_customers, counts.customers, settings), counts.customers)
    return None


def _settled_gamma_gamma(counts: WindowCounts, settings: Settings, fitted_on: str) -> Fit | None:
    """Gamma-Gamma's outcome when the window's counts settle it without the optimiser (too few repeat customers,
    mean repeat values that are not positive numbers or do not vary); None when it must be fitted."""
    customers = counts.repeat_customers
    if customers < max(settings.min_repeat_customers, 2):
        return Fit("gamma_gamma", fitted_on, None, NOT_FITTED,
                   _too_few_repeat(customers, counts.customers, settings), customers)
    if counts.spend_invalid:
        return Fit("gamma_gamma", fitted_on, None, NOT_FITTED,
                   "the mean repeat values must be positive numbers", customers)
    low, high = counts.spend_min, counts.spend_max
    if high - low <= 1e-9 * high:
        return Fit(
            "gamma_gamma", fitted_on, None, NOT_FITTED,
            f"every repeat customer has the same mean repeat value ({low:.4g}): spend does not vary, so the "
            "Gamma-Gamma model has no maximum", customers,
        )
    return None


def fit_bg_nbd(data: pd.DataFrame, settings: Settings, fitted_on: str,
               max_evaluations: int = MAX_EVALUATIONS, counts: WindowCounts | None = None) -> Fit:
    """BG/NBD on columns customer_id, frequency, recency, age (time units of the settings). With counts, data
    holds at least the window's sampled customers (fit_sample) and counts describe all of them."""
    window = counts or _counts(data["frequency"])
    settled = _settled_bg_nbd(window, settings, fitted_on)
    if settled is not None:
        return settled
    customers = window.customers
    sample = _ordered(deterministic_sample(data, settings.fit_max_customers))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            from pymc_extras.prior import Prior
            from pymc_marketing.clv import BetaGeoModel

            model = BetaGeoModel(model_config={name: Prior("HalfFlat") for name in PARAMETERS["bg_nbd"]})
        stopped = _maximise(model, pd.DataFrame({
            "customer_id": np.arange(len(sample)),
            "frequency": sample["frequency"].to_numpy(dtype=float),
            "recency": sample["recency"].to_numpy(dtype=float),
            "T": sample["age"].to_numpy(dtype=float),
        }), max_evaluations, upper_bounds=[BG_NBD_UPPER_BOUND] * len(PARAMETERS["bg_nbd"]))
        values = _map_values(model, PARAMETERS["bg_nbd"])
    except Exception as error:  # any failure of the optimiser is reported, never raised into the build
        return Fit("bg_nbd", fitted_on, None, NOT_FITTED, _failure(error), customers, len(sample))
    problem = _problem(values, stopped, max_evaluations)
    if problem:
        return Fit("bg_nbd", fitted_on, None, NOT_FITTED, problem, customers, len(sample))
    message = _fitted_message(customers, len(sample)) + _edge_note("bg_nbd", values)
    return Fit("bg_nbd", fitted_on, values, FITTED, message, customers, len(sample))


def fit_gamma_gamma(data: pd.DataFrame, settings: Settings, fitted_on: str,
                    max_evaluations: int = MAX_EVALUATIONS, counts: WindowCounts | None = None) -> Fit:
    """Gamma-Gamma on the customers with frequency > 0 (columns customer_id, frequency, mean_repeat_value). With
    counts, data holds at least the window's sampled repeat customers (fit_sample) and counts describe all."""
    window = counts or _counts(data["frequency"], data["mean_repeat_value"])
    settled = _settled_gamma_gamma(window, settings, fitted_on)
    if settled is not None:
        return settled
    customers = window.repeat_customers
    repeat = data[data["frequency"] > 0]
    sample = _ordered(deterministic_sample(repeat, settings.fit_max_customers))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            from pymc_extras.prior import Prior
            from pymc_marketing.clv import GammaGammaModel

            model = GammaGammaModel(model_config={"p": Prior("HalfFlat"), "q": Prior("HalfFlat"),
                                                  "v": Prior("HalfFlat")})
        stopped = _maximise(model, pd.DataFrame({
            "customer_id": np.arange(len(sample)),
            "monetary_value": sample["mean_repeat_value"].to_numpy(dtype=float),
            "frequency": sample["frequency"].to_numpy(dtype=float),
        }), max_evaluations)
        values = _map_values(model, PARAMETERS["gamma_gamma"])
    except Exception as error:
        return Fit("gamma_gamma", fitted_on, None, NOT_FITTED, _failure(error), customers, len(sample))
    problem = _problem(values, stopped, max_evaluations)
    if problem is None and values["q"] <= 1:
        problem = f"the fit gives q = {values['q']:.4g} <= 1: the expected spend has no finite mean"
    if problem:
        return Fit("gamma_gamma", fitted_on, None, NOT_FITTED, problem, customers, len(sample))
    message = _fitted_message(customers, len(sample)) + _edge_note("gamma_gamma", values)
    return Fit("gamma_gamma", fitted_on, values, FITTED, message, customers, len(sample))


def _failure(error: Exception) -> str:
    first_line = (str(error).strip().splitlines() or [type(error).__name__])[0]
    return f"the fit failed: {type(error).__name__}: {first_line[:300]}"


def _too_few_repeat(repeat: int, customers: int, settings: Settings) -> str:
    return (f"only {repeat:,} of {customers:,} customers have a repeat purchase day (var clv_min_repeat_customers "
            f"= {settings.min_repeat_customers:,})")


def _fitted_message(customers: int, fitted: int) -> str:
    if fitted < customers:
        return (f"maximum likelihood on a deterministic sample of {fitted:,} of {customers:,} customers (var "
                "clv_fit_max_customers)")
    return f"maximum likelihood on all {customers:,} customers"


def _given(model: str, fitted_on: str, settings: Settings, customers: int) -> Fit:
    values = {name: float(settings.given_parameters[model][name]) for name in PARAMETERS[model]}
    return Fit(model, fitted_on, values, GIVEN, "given by var clv_parameters (not fitted)", customers, 0)


# The summary columns each window's fits read (observation_frame, calibration_frame).
WINDOW_COLUMNS = {
    "observation": ("customer_id", "frequency", "recency", "age", "mean_repeat_value"),
    "calibration": ("customer_id", "calibration_frequency", "calibration_recency", "calibration_age"),
}


def observation_frame(summary: pd.DataFrame) -> pd.DataFrame:
    return summary[list(WINDOW_COLUMNS["observation"])]


def calibration_frame(summary: pd.DataFrame) -> pd.DataFrame:
    calibrated = summary[summary["calibration_frequency"].notna()]
    return pd.DataFrame({
        "customer_id": calibrated["customer_id"],
        "frequency": calibrated["calibration_frequency"],
        "recency": calibrated["calibration_recency"],
        "age": calibrated["calibration_age"],
    })


WINDOWS = ("observation", "calibration")
# The fits of a build, in the order of clv_model_parameters' rows: (model, window).
FIT_ORDER = (("bg_nbd", "observation"), ("gamma_gamma", "observation"), ("bg_nbd", "calibration"))
WINDOW_FRAMES = {"observation": observation_frame, "calibration": calibration_frame}


def _settled(model: str, fitted_on: str, settings: Settings, counts: WindowCounts) -> Fit | None:
    """A fit's outcome when it needs no optimiser: skipped (no holdout), given (var clv_parameters), or not fitted
    for want of customers, repeat customers or varying spend; None when the model must be fitted."""
    if fitted_on == "calibration" and settings.holdout_days == 0:
        return Fit(model, fitted_on, None, SKIPPED, "no holdout (var clv_holdout_days = 0)")
    if model in settings.given_parameters:
        customers = counts.customers if model == "bg_nbd" else counts.repeat_customers
        return _given(model, fitted_on, settings, customers)
    return (_settled_bg_nbd if model == "bg_nbd" else _settled_gamma_gamma)(counts, settings, fitted_on)


def _checked(windows: tuple[str, ...]) -> tuple[str, ...]:
    unknown = set(windows) - set(WINDOWS)
    if unknown:
        raise ValueError(f"unknown CLV window(s) {sorted(unknown)}: expected some of {list(WINDOWS)}")
    return windows


def fit_all(summary: pd.DataFrame, settings: Settings, counts: dict[str, WindowCounts] | None = None,
            windows: tuple[str, ...] = WINDOWS) -> list[Fit]:
    """The three fits of a build: BG/NBD and Gamma-Gamma on the observation window (the predictions), and BG/NBD
    on the calibration window (the holdout validation). Models given in var clv_parameters are not fitted.
    summary: every customer, or (with counts, from fit_sample) the customers fit_sample chose. windows: the
    windows to fit (lifecycle_clv.isolated fits each window in its own process), in this order."""
    _checked(windows)
    if not counts:  # each window counted once, though the observation window has two models
        counts = {fitted_on: window_counts(summary, fitted_on) for fitted_on in windows}
    fits = []
    for model, fitted_on in FIT_ORDER:
        if fitted_on not in windows:
            continue
        window = counts[fitted_on]
        settled = _settled(model, fitted_on, settings, window)
        if settled is not None:
            fits.append(settled)
            continue
        data = WINDOW_FRAMES[fitted_on](summary)  # one window's frame at a time: copies never pile up
        fits.append((fit_bg_nbd if model == "bg_nbd" else fit_gamma_gamma)(data, settings, fitted_on,
                                                                           counts=window))
        del data
    return fits


def settled_fits(summary: pd.DataFrame, settings: Settings, counts: dict[str, WindowCounts] | None,
                 window: str) -> list[Fit] | None:
    """A window's fits (those fit_all gives) when none of them needs the optimiser, from the counts alone; None
    when the window has a model to fit. A build whose windows are all settled (a small shop: fewer repeat
    customers than var clv_min_repeat_customers) starts no child process and never imports pymc."""
    _checked((window,))
    counted = counts[window] if counts else window_counts(summary, window)
    fits = [_settled(model, fitted_on, settings, counted) for model, fitted_on in FIT_ORDER if fitted_on == window]
    return None if any(fit is None for fit in fits) else fits


def parameters_frame(fits: list[Fit], settings: Settings) -> pd.DataFrame:
    """clv_model_parameters: one row per window, model and parameter (value NULL when not fitted)."""
    rows = []
    for fit in fits:
        for name in PARAMETERS[fit.model]:
            rows.append({
                "fitted_on": fit.fitted_on,
                "model": fit.model,
                "parameter": name,
                "value": None if fit.values is None else fit.values[name],
                "time_unit_days": settings.time_unit_days,
                "fit_status": fit.status,
                "fit_message": fit.message,
                "customers": fit.customers,
                "fitted_customers": fit.fitted_customers,
                "metrics_as_of": settings.metrics_as_of,
            })
    frame = pd.DataFrame(rows, columns=list(PARAMETER_COLUMNS))
    return frame.astype({"value": "float64", "time_unit_days": "float64", "customers": "int64",
                         "fitted_customers": "int64"})


def fit_parameters(summary: pd.DataFrame, settings: Settings,
                   counts: dict[str, WindowCounts] | None = None) -> pd.DataFrame:
    """The clv_model_parameters table of a build, from int_customers_clv_summarized (every customer, or with
    counts the customers fit_sample chose) and its settings."""
    return parameters_frame(fit_all(summary, settings, counts), settings)


# --- scores -------------------------------------------------------------------------------------------------------


def published_values(parameters: pd.DataFrame, fitted_on: str, model: str) -> dict[str, float] | None:
    """A model's parameter values from a clv_model_parameters table; None when any of them is NULL."""
    rows = parameters[(parameters["fitted_on"] == fitted_on) & (parameters["model"] == model)]
    values = {row["parameter"]: row["value"] for _, row in rows.iterrows()}
    if set(values) != set(PARAMETERS[model]) or any(value is None or pd.isna(value) for value in values.values()):
        return None
    return {name: float(value) for name, value in values.items()}


def score_customers(summary: pd.DataFrame, parameters: pd.DataFrame, settings: Settings) -> pd.DataFrame:
    """int_customers_clv_scored: every customer scored with the closed forms from the published parameters
    (NULL where a model is not fitted)."""
    n = len(summary)
    x = summary["frequency"].to_numpy(dtype=float)
    t_x = summary["recency"].to_numpy(dtype=float)
    age = summary["age"].to_numpy(dtype=float)
    m = summary["mean_repeat_value"].to_numpy(dtype=float)
    horizon = settings.horizon_days / settings.time_unit_days
    missing = np.full(n, np.nan)

    bg = published_values(parameters, "observation", "bg_nbd")
    gg = published_values(parameters, "observation", "gamma_gamma")
    alive = formulas.probability_alive(x, t_x, age, **bg) if bg else missing
    purchases = formulas.expected_purchases(horizon, x, t_x, age, **bg) if bg else missing
    value = formulas.expected_purchase_value(x, m, **gg) if gg else missing

    holdout = missing.copy()
    calibration_bg = published_values(parameters, "calibration", "bg_nbd")
    calibrated = summary["calibration_frequency"].notna().to_numpy()
    if calibration_bg and calibrated.any():
        holdout[calibrated] = formulas.expected_purchases(
            settings.holdout_days / settings.time_unit_days,
            summary["calibration_frequency"].to_numpy(dtype=float)[calibrated],
            summary["calibration_recency"].to_numpy(dtype=float)[calibrated],
            summary["calibration_age"].to_numpy(dtype=float)[calibrated],
            **calibration_bg,
        )
    return pd.DataFrame({
        "customer_id": summary["customer_id"].to_numpy(),
        "probability_alive": alive,
        "expected_purchases": purchases,
        "expected_purchase_value": value,
        "predicted_clv": purchases * value,
        "holdout_expected_purchases": holdout,
    }, columns=list(SCORE_COLUMNS))


# --- Arrow ----------------------------------------------------------------------------------------------------------


# The columns of int_customers_clv_summarized the fits and the scores read.
SUMMARY_COLUMNS = (
    "frequency", "recency", "age", "mean_repeat_value", "calibration_frequency", "calibration_recency",
    "calibration_age",
)
SUMMARY_PROJECTION = projection(SUMMARY_COLUMNS)


def compact_frame(table) -> pd.DataFrame:
    """A pyarrow Table as a DataFrame whose text columns stay Arrow strings (pd.ArrowDtype) instead of one Python
    object per value; numbers convert as pandas' own (NULL -> NaN)."""
    import pyarrow as pa

    def text_as_arrow(arrow_type):
        return pd.ArrowDtype(arrow_type) if pa.types.is_string(arrow_type) or pa.types.is_large_string(arrow_type) \
            else None

    return table.to_pandas(types_mapper=text_as_arrow)


def score_batches(batches, parameters: pd.DataFrame, settings: Settings):
    """score_customers over a pyarrow RecordBatchReader of the summary, batch by batch, as a RecordBatchReader of
    the scores (what a dbt-duckdb Python model may return): memory stays that of one batch."""
    import pyarrow as pa

    schema = pa.schema([("customer_id", pa.string())] + [(name, pa.float64()) for name in SCORE_COLUMNS[1:]])

    def scored():
        for batch in batches:
            frame = score_customers(compact_frame(pa.Table.from_batches([batch])), parameters, settings)
            yield pa.RecordBatch.from_pandas(frame, schema=schema, preserve_index=False)

    return pa.RecordBatchReader.from_batches(schema, scored())
