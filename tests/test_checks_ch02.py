"""The chapter 2 checks pass on the solutions and name the typical mistakes."""

import numpy as np
import pytest

import rnncourse as rc
from rnncourse.checks import ch02


def nmse_ok(y, y_hat, variance):
    y, y_hat = np.asarray(y), np.asarray(y_hat)
    return np.sum((y - y_hat) ** 2) / (len(y) * variance)


def stub(*args):
    raise NotImplementedError()


def test_nmse_passes_on_solution_and_library():
    assert ch02.nmse(nmse_ok)
    assert ch02.nmse(lambda *a: rc.metrics.nmse(*a))      # the library's answer is right ...
    r = ch02.nmse(rc.metrics.nmse)                          # ... but passing it in is refused
    assert not r and "package's own rc.metrics.nmse" in r.message


@pytest.mark.parametrize("wrong, words", [
    (lambda y, p, v: np.mean((y - p) ** 2), "divided by N only"),
    (lambda y, p, v: np.mean((y - p) ** 2) / np.var(y), "test set's own variance"),
    (lambda y, p, v: np.sum((y - p) ** 2) / v, "not by N"),
    (lambda y, p, v: np.sqrt(np.mean((y - p) ** 2) / v), "square root"),
    (lambda y, p, v: np.mean((y - p) ** 2) / np.sqrt(v), "standard deviation"),
    (lambda y, p, v: np.mean(np.abs(y - p)) / v, "absolute"),
    (lambda y, p, v: np.mean((y - p) ** 2) / np.var(p), "variance of the predictions y_hat"),
    (lambda y, p, v: np.sum((y - p) ** 2) / ((len(y) - 1) * v), "divided by N - 1"),
    (lambda y, p, v: np.sqrt(np.mean((y - p) ** 2)) / v, "root mean squared error"),
])
def test_nmse_names_mistakes(wrong, words):
    result = ch02.nmse(wrong)
    assert not result and words in result.message, result.message


def test_nmse_stub_and_crash():
    r = ch02.nmse(stub)
    assert not r and "not implemented" in r.message
    r = ch02.nmse(lambda y, p, v: None)
    assert not r and "None" in r.message
    r = ch02.nmse(lambda y, p, v: 1 / 0)
    assert not r and "ZeroDivisionError" in r.message
    assert "NOT YET" in str(r)


def fit_ar_ok(series, p):
    X, y = rc.data.lagged(series, range(1, p + 1))
    A = np.hstack([X, np.ones((len(y), 1))])
    coef = np.linalg.lstsq(A, y, rcond=None)[0]
    return coef[:-1], coef[-1]


def fit_ar_no_intercept(series, p):
    X, y = rc.data.lagged(series, range(1, p + 1))
    return np.linalg.lstsq(X, y, rcond=None)[0], 0.0


def fit_ar_late(series, p):
    X, y = rc.data.lagged(series, range(2, p + 2))
    return rc.timeseries.fit_ar(X, y)


def fit_ar_now(series, p):
    series = np.asarray(series)
    X = np.stack([series[p - k:len(series) - k] for k in range(p)], axis=1)
    return rc.timeseries.fit_ar(X, series[p:])


def fit_ar_reversed(series, p):
    w, b = fit_ar_ok(series, p)
    return w[::-1], b


def fit_ar_ones_first(series, p):
    X, y = rc.data.lagged(series, range(1, p + 1))
    A = np.hstack([np.ones((len(y), 1)), X])             # the intercept's column first ...
    coef = np.linalg.lstsq(A, y, rcond=None)[0]
    return coef[:-1], coef[-1]                           # ... but read from the end


def fit_ar_first_row_dropped(series, p):
    x = np.asarray(series, dtype=float)
    X = np.stack([x[p + 1 - k:len(x) - k] for k in range(1, p + 1)], axis=1)  # from t = p + 2
    A = np.hstack([X, np.ones((len(X), 1))])
    coef = np.linalg.lstsq(A, x[p + 1:], rcond=None)[0]
    return coef[:-1], coef[-1]


def fit_ar_centred(series, p, b_kind="implied"):
    x = np.asarray(series, dtype=float)
    mean = x.mean()
    X, y = rc.data.lagged(x - mean, range(1, p + 1))
    w = np.linalg.lstsq(X, y, rcond=None)[0]
    return w, {"implied": mean * (1 - w.sum()), "mean": mean, "zero": 0.0}[b_kind]


def test_fit_ar_passes_on_solution():
    r = ch02.fit_ar(fit_ar_ok)
    assert r, r.message


@pytest.mark.parametrize("wrong, words", [
    (fit_ar_no_intercept, "intercept"),
    (fit_ar_late, "x(t-2)"),
    (fit_ar_now, "target is among the inputs"),
    (fit_ar_reversed, "reverse order"),
    (fit_ar_ones_first, "column of ones comes first, but you unpacked the intercept"),
    (fit_ar_first_row_dropped, "left out the first usable row"),
    (fit_ar_centred, "subtracted the series' mean"),
    (lambda s, p: fit_ar_centred(s, p, "mean"), "subtracted the series' mean"),
    (lambda s, p: fit_ar_centred(s, p, "zero"), "subtracted the series' mean"),
    (lambda s, p: (np.zeros(p + 1), 0.0), "separately"),
    (lambda s, p: 3, "pair"),
])
def test_fit_ar_names_mistakes(wrong, words):
    r = ch02.fit_ar(wrong)
    assert not r and words in r.message, r.message


def test_fit_ar_stub():
    r = ch02.fit_ar(stub)
    assert not r and "not implemented" in r.message


# the reference answers, by check, that tests/test_checks_garbage.py spoils and replaces
SOLUTIONS = {"nmse": (nmse_ok,), "fit_ar": (fit_ar_ok,)}
