"""The closed forms of METRICS.md §11, vectorised (numpy / scipy): how one customer is scored from the published
parameters. Times are in units of var `clv_time_unit_days` (u): x purchase days after the first, t_x the recency,
T the age, t the horizon.

BG/NBD (Fader, Hardie & Lee 2005, "Counting your customers the easy way", eq. 11 and 10):

    P(alive | x, t_x, T) = 1 / (1 + [x > 0] * a / (b + x - 1) * ((alpha + T) / (alpha + t_x)) ** (r + x))

    E[Y(t) | x, t_x, T] = (a + b + x - 1) / (a - 1)
                          * (1 - ((alpha + T) / (alpha + T + t)) ** (r + x) * 2F1(r + x, b + x; a + b + x - 1; z))
                          * P(alive | x, t_x, T),            z = t / (alpha + T + t)

The bracket with the Gaussian hypergeometric function 2F1 is evaluated through its Euler integral: given that
the customer is alive, the purchase rate is Gamma(r + x, alpha + T) and the dropout probability p is
Beta(a, b + x) a posteriori, and a customer with (lambda, p) makes (1 - exp(-lambda p t)) / p purchases in the
next t units on average, so

    (a + b + x - 1) / (a - 1) * (1 - ... 2F1(...)) = E over p ~ Beta(a, b + x) of (1 - (1 + p w) ** -(r + x)) / p,
                                                      w = t / (alpha + T),

the same number. The expectation over p is computed by Gauss-Jacobi quadrature (exact for the Beta weight, its
nodes from the Golub-Welsch eigenvalue problem, 32 + 6 sqrt(w (r + x)) of them): accurate to about 1e-10 wherever
the data can be (checked against mpmath's hyp2f1 and against mpmath quadrature in tests/test_clv.py), also where
scipy's hyp2f1 returns NaN — a fit whose a and b run to the thousands (dropout nearly the same for every customer,
as on the demo data) — and at a = 1, where the closed form is 0 / 0. It depends on (x, T) only, so it is computed
once per distinct pair.

Gamma-Gamma (Fader, Hardie & Lee 2005, "RFM and CLV", eq. 5): the expected value of a purchase day of a customer
with x > 0 repeat purchase days of mean value m is p * (gamma + x * m) / (p * x + q - 1); with x = 0 it is the
population mean p * gamma / (q - 1).
"""

from __future__ import annotations

import numpy as np
from scipy.linalg import eigh_tridiagonal
from scipy.special import expit

MIN_NODES = 32
MAX_NODES = 4000
# Pairs (x, w) evaluated at once: bounds the memory of the pairs x nodes matrix.
CHUNK = 20000


def probability_alive(x, t_x, T, r: float, alpha: float, a: float, b: float) -> np.ndarray:
    """BG/NBD P(alive | x, t_x, T); 1 for customers without a repeat purchase (x = 0)."""
    x, t_x, T = (np.asarray(value, dtype=float) for value in (x, t_x, T))
    repeat = x > 0
    with np.errstate(divide="ignore", invalid="ignore"):
        # log of a / (b + x - 1) * ((alpha + T) / (alpha + t_x)) ** (r + x), only where x > 0
        log_odds_dead = (
            np.log(a)
            - np.log(np.where(repeat, b + x - 1, 1.0))
            + (r + x) * (np.log(alpha + T) - np.log(alpha + t_x))
        )
    return np.where(repeat, expit(-log_odds_dead), 1.0)


def beta_gauss_rule(n: int, a: float, b: float) -> tuple[np.ndarray, np.ndarray]:
    """The n-point Gauss rule of the Beta(a, b) distribution: nodes in (0, 1) and weights summing to 1, so that
    sum(weights * f(nodes)) = E[f(p)] for p ~ Beta(a, b), exactly for polynomials of degree < 2n. Gauss-Jacobi
    (weight (1 - y) ** (b - 1) * (1 + y) ** (a - 1) on [-1, 1]) by Golub-Welsch: the eigenvalues of the Jacobi
    matrix of the monic recurrence are the nodes, the squared first components of its eigenvectors the weights
    (normalised, so no Beta function is evaluated: nothing overflows when a and b are large)."""
    alpha, beta = b - 1.0, a - 1.0
    k = np.arange(n, dtype=float)
    total = 2 * k + alpha + beta
    with np.errstate(divide="ignore", invalid="ignore"):
        diagonal = (beta**2 - alpha**2) / (total * (total + 2))
    if abs(alpha + beta) < 1e-12:
        diagonal[0] = (beta - alpha) / (alpha + beta + 2)
    k = k[1:]
    total = total[1:]
    off_diagonal = np.sqrt(
        4 * k * (k + alpha) * (k + beta) * (k + alpha + beta) / (total**2 * (total + 1) * (total - 1))
    )
    nodes, vectors = eigh_tridiagonal(diagonal, off_diagonal)
    weights = vectors[0] ** 2
    return np.clip((1 + nodes) / 2, 1e-300, 1.0), weights / weights.sum()


def _purchases_if_alive(w: np.ndarray, x: float, r: float, a: float, b: float) -> np.ndarray:
    """E over p ~ Beta(a, b + x) of (1 - (1 + p w) ** -(r + x)) / p, for one x and an array of w."""
    shape = r + x
    nodes = int(min(MAX_NODES, MIN_NODES + 6 * np.sqrt(float(np.max(w, initial=0.0)) * shape)))
    p, weights = beta_gauss_rule(nodes, a, b + x)
    result = np.empty(len(w))
    for start in range(0, len(w), CHUNK):
        block = w[start:start + CHUNK]
        result[start:start + CHUNK] = (-np.expm1(-shape * np.log1p(np.outer(block, p))) / p) @ weights
    return result


def expected_purchases(t, x, t_x, T, r: float, alpha: float, a: float, b: float) -> np.ndarray:
    """BG/NBD expected purchases in the next t time units (a number) of customers with (x, t_x, T)."""
    x, t_x, T = (np.asarray(value, dtype=float) for value in (x, t_x, T))
    if x.size == 0:
        return np.empty(0)
    # one evaluation per distinct (x, T) pair, grouped by x (the quadrature rule depends on b + x): customers
    # share few pairs, and integer keys make finding them cheap
    ages, age_index = np.unique(T.ravel(), return_inverse=True)
    frequencies, frequency_index = np.unique(x.ravel(), return_inverse=True)
    keys, inverse = np.unique(frequency_index.astype(np.int64) * len(ages) + age_index, return_inverse=True)
    pair_frequency, pair_age = frequencies[keys // len(ages)], ages[keys % len(ages)]
    if_alive = np.empty(len(keys))
    starts = np.flatnonzero(np.r_[True, pair_frequency[1:] != pair_frequency[:-1]])
    for start, end in zip(starts, np.r_[starts[1:], len(keys)]):
        w = float(t) / (alpha + pair_age[start:end])
        if_alive[start:end] = _purchases_if_alive(w, pair_frequency[start], r, a, b)
    per_customer = if_alive[inverse.ravel()].reshape(x.shape)
    return per_customer * probability_alive(x, t_x, T, r, alpha, a, b)


def expected_purchase_value(x, m, p: float, q: float, gamma: float) -> np.ndarray:
    """Gamma-Gamma conditional expected value of a purchase day; the population mean p * gamma / (q - 1) when
    x = 0 (m is then ignored, and may be NaN)."""
    x = np.asarray(x, dtype=float)
    m = np.asarray(m, dtype=float)
    population_mean = p * gamma / (q - 1)
    with np.errstate(invalid="ignore"):
        conditional = p * (gamma + x * np.where(x > 0, m, 0.0)) / (p * x + q - 1)
    return np.where(x > 0, conditional, population_mean)
