"""Exercise checks for chapter 2 (time-delay networks on the sunspots).

- 2.1 ``nmse(y, y_hat, variance)``: the normalised mean squared error
- 2.2 ``fit_ar(series, p)``: a linear AR(p) model by least squares, returning ``(w, b)``
"""

from __future__ import annotations

import numpy as np

from .. import data, timeseries
from . import call, check, compare, fail

from . import as_array, as_number, reject, unpack  # validate answers


@check("2.1", expects="nmse(y, y_hat, variance) returning one number: "
       "sum((y - y_hat)**2) / (N * variance)",
       accepts=("numbers",))
def nmse(student_fn):
    """Exercise 2.1: ``nmse(y, y_hat, variance) = sum (y - y_hat)^2 / (N * variance)``."""
    rng = np.random.default_rng(21)
    y = 50 + 30 * rng.standard_normal(35)
    y_hat = y + 12 * rng.standard_normal(35)
    variance = 1495.6  # the variance of the record 1700-1979: not the variance of this y
    sse = float(np.sum((y - y_hat) ** 2))
    n = y.size
    got = call(student_fn, y.copy(), y_hat.copy(), variance)
    if got is None:
        reject("nmse returned None; did you forget `return`?")
    as_number(got, "nmse", finite=False)  # one number (not an array, text or a tuple)
    compare(got, sse / (n * variance), "nmse(y, y_hat, variance)", mistakes={
        "You divided by N only (that is the mean squared error); divide by N times the variance.":
            sse / n,
        "You used the variance of y (the test set's own variance) instead of the `variance` "
        "argument; the chapter divides every period by the variance of the record 1700-1979.":
            sse / (n * np.var(y)),
        "You used the sample variance of y (ddof=1) instead of the `variance` argument.":
            sse / (n * np.var(y, ddof=1)),
        "You used the variance of the predictions y_hat instead of the `variance` argument; "
        "NMSE divides by the variance of the record 1700-1979.": sse / (n * np.var(y_hat)),
        "You divided by N - 1; NMSE is the mean squared error over the N predictions, divided by "
        "the variance: sum((y - y_hat)**2) / (N * variance).": sse / ((n - 1) * variance),
        "You divided by the variance but not by N.": sse / variance,
        "You took a square root somewhere; NMSE is a ratio of squared errors.":
            np.sqrt(sse / (n * variance)),
        "You divided by the standard deviation instead of the variance.":
            sse / (n * np.sqrt(variance)),
        "You took the root mean squared error (a square root of the MSE) and divided it by the "
        "variance; NMSE divides the mean squared error itself, sum((y - y_hat)**2) / N, by the "
        "variance.": np.sqrt(sse / n) / variance,
        "You summed absolute errors instead of squared errors.":
            float(np.sum(np.abs(y - y_hat))) / (n * variance),
    })
    # the mean predictor scores 1 only when the variance is the set's own
    y2 = rng.standard_normal(20)
    got2 = call(student_fn, y2.copy(), np.full(20, y2.mean()), float(np.var(y2)))
    as_number(got2, "nmse", finite=False)
    compare(got2, 1.0, "nmse of the mean predictor with the set's own variance")
    return "your NMSE matches the reference, and predicting the mean scores 1"


def _ar_series(n: int, seed: int) -> np.ndarray:
    """A stationary AR(3) series with mean about 40, plus noise."""
    rng = np.random.default_rng(seed)
    x = np.zeros(n + 50)
    for t in range(3, n + 50):
        x[t] = 10 + 0.9 * x[t - 1] - 0.45 * x[t - 2] + 0.3 * x[t - 3] + rng.standard_normal()
    return x[50:]


def _ls(X, y, intercept=True):
    A = np.hstack([X, np.ones((X.shape[0], 1))]) if intercept else X
    coef = np.linalg.lstsq(A, y, rcond=None)[0]
    return (coef[:-1], coef[-1]) if intercept else (coef, 0.0)


@check("2.2", expects="fit_ar(series, p) returning the pair (w, b): w an array of the p lag "
       "coefficients (w[0] for x(t-1)), b one number (the intercept)",
       accepts=("numbers", "tuple of 2"))
def fit_ar(student_fn):
    """Exercise 2.2: ``fit_ar(series, p)`` returns ``(w, b)``: ``x(t) ~ sum_k w[k-1] x(t-k) + b``."""
    series = _ar_series(120, seed=22)
    p = 4
    got = call(student_fn, series.copy(), p)
    w, b = unpack(got, 2, "fit_ar", ("w", "b"))
    w = as_array(w, "w").ravel()
    if w.shape == (p + 1,):
        fail(f"w has {p + 1} values; return the {p} lag coefficients and the intercept "
             "separately, as (w, b)")
    if w.shape != (p,):
        reject(f"w has {w.size} values; expected the p = {p} lag coefficients, w[0] for x(t-1)")
    b = as_number(b, "b (the intercept)")
    lags = list(range(1, p + 1))
    X, y = data.lagged(series, lags)
    w_ref, b_ref = timeseries.fit_ar(X, y)

    def packed(wb):
        return np.concatenate([np.asarray(wb[0], dtype=np.float64).ravel(), [float(wb[1])]])

    X_late, y_late = data.lagged(series, [k + 1 for k in lags])
    # lags 0 .. p-1: the current value is one of the inputs
    X_now = np.stack([series[p - k:len(series) - k] for k in range(p)], axis=1)
    y_now = series[p:]
    mistakes = {
        "You left out the intercept: add a column of ones to the design matrix (the series has a "
        "mean of about 40, not 0).": packed(_ls(X, y, intercept=False)),
        "Your lags are off by one: you used x(t-2) ... x(t-p-1); the inputs of x(t) are "
        "x(t-1) ... x(t-p).": packed(_ls(X_late, y_late)),
        "Your lags are off by one: you used x(t) ... x(t-p+1), so the target is among the inputs; "
        "use x(t-1) ... x(t-p).": packed(_ls(X_now, y_now)),
        "Your coefficients are in reverse order: w[0] belongs to x(t-1), w[p-1] to x(t-p).":
            np.concatenate([w_ref[::-1], [b_ref]]),
        "Your column of ones comes first, but you unpacked the intercept from the last "
        "coefficient: with the ones first, b is coef[0] and w is coef[1:] (or put the ones last).":
            np.concatenate([[b_ref], w_ref]),
        f"You left out the first usable row: the targets start at x(p+1) (array index p = {p}), "
        "the first value with p earlier values, so the design matrix has T - p rows.":
            packed(_ls(X[1:], y[1:])),
    }
    # centred: the series minus its mean, fitted without a column of ones; close, but the
    # mean of each lag column is not exactly the mean of the series
    Xc, yc = data.lagged(series - series.mean(), lags)
    w_centred = np.linalg.lstsq(Xc, yc, rcond=None)[0]
    if (np.all(np.isfinite(w)) and np.allclose(w, w_centred, rtol=1e-6, atol=1e-9)
            and not np.allclose(w, w_ref, rtol=1e-4, atol=1e-6)):
        fail("w is close, but it is not the least-squares fit: you subtracted the series' mean and "
             "fitted without an intercept. The mean of each lag column differs a little from the "
             "mean of the series; fit the raw series with a column of ones, which gives w and b "
             "together.")
    compare(packed((w, b)), packed((w_ref, b_ref)), "(w, b) from fit_ar(series, p=4)",
            rtol=1e-4, atol=1e-6, mistakes=mistakes)
    return "your least-squares AR(4) fit matches the reference (coefficients and intercept)"
