"""The sunspot benchmark shared by chapters 2 and 3: the split, the scaling, a linear AR baseline.

The classic sunspot benchmark (Weigend, Huberman and Rumelhart 1990) predicts the yearly
sunspot number one year ahead. Models are trained on the target years 1712-1920 and tested
on 1921-1955 and 1956-1979. This module holds what chapters 2 and 3 share:

- :data:`PERIODS` and :func:`sunspot_split`: lagged inputs and targets by target year;
- :class:`Standardizer`: the scaling fitted on the training targets only;
- :func:`fit_ar` / :func:`predict_ar`: a linear autoregressive model by least squares;
- :func:`train_time_delay`: one seed of chapter 2's time-delay MLP (chapter 3 compares with it);
- :data:`PUBLISHED` and :func:`sunspot_rows`: the chapter's table over seeds beside the
  published figures (used by ``benchmarks/lecture_tables.py``).

The Elman network's experiments are :mod:`rnncourse.chapters.ch03`; tables over seeds are
:mod:`rnncourse.tables`.

NMSE is ``sum (y - y_hat)^2 / (N * variance)`` with one divisor for all three periods: the
variance of the yearly numbers 1700-1979 (:func:`series_variance`, about 1496 on the shipped
data), the record that Weigend et al. had in 1990. Predicting the training mean therefore does
*not* score 1 on every period (it scores about 0.79, 1.16 and 2.82 on the three): 1 means "as
large as the variance of the whole record".
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping, Sequence

import numpy as np
import torch

from . import data, metrics
from .models import TimeDelayMLP
from .train import fit

__all__ = ["LAGS", "PERIODS", "RECORD_YEARS", "PUBLISHED", "Standardizer", "series_variance",
           "sunspot_split", "fit_ar", "predict_ar", "check_periods", "train_time_delay",
           "sunspot_rows", "iterated_forecast", "VALIDATION_PERIODS", "CANDIDATES", "validation_scores"]

LAGS = (1, 2, 3, 6, 12)
"""The lags of the 5-4-1 time-delay network: x(t-1), x(t-2), x(t-3), x(t-6), x(t-12)."""

PERIODS = {"train": (1712, 1920), "test 1921-1955": (1921, 1955), "test 1956-1979": (1956, 1979)}
"""Target years (inclusive) of the training set and of the two test sets."""

RECORD_YEARS = (1700, 1979)
"""The years whose variance is the NMSE divisor: the record the 1990 papers had."""

PUBLISHED = {
    "12-8-1 MLP, weight elimination (Weigend et al. 1990)":
        {"weights": 113, "train": 0.082, "test 1921-1955": 0.086, "test 1956-1979": 0.35},
    "threshold AR model (Tong and Lim 1980)":
        {"weights": None, "train": 0.097, "test 1921-1955": 0.097, "test 1956-1979": 0.28},
}
"""NMSE as published by Weigend, Huberman and Rumelhart (1990), who quote the TAR figures too.

They divide each period's mean squared error by the variance of the whole record they had
(1700-1979), one number for all periods, as :func:`series_variance` does.
"""


def check_periods(periods: Mapping[str, tuple[int, int]]) -> None:
    if not isinstance(periods, Mapping) or not periods:
        raise ValueError("periods must be a non-empty mapping name -> (first_year, last_year)")
    for name, span in periods.items():
        if not (isinstance(span, (tuple, list)) and len(span) == 2 and span[0] <= span[1]):
            raise ValueError(f"period {name!r} must be (first_year, last_year) with "
                             f"first <= last, got {span!r}")


def series_variance(values=None) -> float:
    """The NMSE's divisor: the variance of ``values``, by default of the sunspots 1700-1979.

    1700-1979 (:data:`RECORD_YEARS`) is the record of the 1990 benchmark papers; the shipped
    series runs to 2008, and its later years must not enter a divisor meant to match theirs.
    """
    if values is None:
        years, values = data.sunspots()
        values = values[(years >= RECORD_YEARS[0]) & (years <= RECORD_YEARS[1])]
    v = np.asarray(values, dtype=np.float64)
    if v.ndim != 1 or v.size < 2:
        raise ValueError(f"series_variance expects a 1-D series of at least 2 values, got shape {v.shape}")
    return float(np.var(v))


def sunspot_split(lags: Sequence[int] = LAGS, periods: Mapping[str, tuple[int, int]] = PERIODS,
                  years=None, values=None) -> dict:
    """Lagged inputs and targets of each period, chosen by the year of the *target*.

    Returns ``{name: (X, y, target_years)}`` with ``X`` of shape ``(n, len(lags))``. By
    default the series is ``rc.data.sunspots()``; pass ``years`` and ``values`` to use
    another. Raises ``ValueError`` if a period has no target (for example, lags longer than
    12 leave no training target in 1712).
    """
    check_periods(periods)
    if (years is None) != (values is None):
        raise ValueError("pass both years and values, or neither")
    if years is None:
        years, values = data.sunspots()
    years = np.asarray(years)
    values = np.asarray(values, dtype=np.float64)
    if years.shape != values.shape or years.ndim != 1:
        raise ValueError(f"years and values must be 1-D and of the same length, got "
                         f"{years.shape} and {values.shape}")
    if np.any(np.diff(years) != 1):
        raise ValueError("years must be consecutive (one value per year, no gaps)")
    X, y, t = data.lagged(values, lags, return_index=True)  # (n, len(lags)), (n,), (n,)
    target_years = years[t]
    out = {}
    for name, (first, last) in periods.items():
        keep = (target_years >= first) & (target_years <= last)
        if not keep.any():
            raise ValueError(
                f"period {name!r} ({first}-{last}) has no target: the series covers "
                f"{years[0]}-{years[-1]} and the largest lag is {max(lags)}"
            )
        out[name] = (X[keep], y[keep], target_years[keep])
    return out


@dataclass(frozen=True)
class Standardizer:
    """``(v - mean) / std`` with mean and std fitted on the training targets only.

    tanh units work best with inputs of order one; raw sunspot numbers reach 190 and would
    saturate them. Fitting on the training part alone keeps the test periods unseen.
    """

    mean: float
    std: float

    @classmethod
    def fit(cls, values) -> "Standardizer":
        v = np.asarray(values, dtype=np.float64)
        if v.size < 2:
            raise ValueError("Standardizer.fit needs at least 2 values")
        std = float(np.std(v))
        if not std > 0:
            raise ValueError("Standardizer.fit got values with zero spread")
        return cls(float(np.mean(v)), std)

    def transform(self, values) -> np.ndarray:
        return (np.asarray(values, dtype=np.float64) - self.mean) / self.std

    def inverse(self, values) -> np.ndarray:
        return np.asarray(values, dtype=np.float64) * self.std + self.mean


def fit_ar(X, y) -> tuple[np.ndarray, float]:
    """Least-squares linear autoregression ``y ~ X @ w + b``: returns ``(w, b)``.

    ``X`` holds lagged values ``(n, p)`` (from :func:`sunspot_split` or ``rc.data.lagged``),
    ``y`` the targets ``(n,)``. The intercept ``b`` is needed: the series has a mean of
    about 50, not 0.
    """
    X = np.asarray(X, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    if X.ndim != 2 or y.ndim != 1 or X.shape[0] != y.shape[0]:
        raise ValueError(f"fit_ar expects X (n, p) and y (n,), got {X.shape} and {y.shape}")
    if X.shape[0] <= X.shape[1]:
        raise ValueError(f"fit_ar needs more examples than coefficients, got n={X.shape[0]} "
                         f"for p={X.shape[1]} lags plus an intercept")
    if not (np.all(np.isfinite(X)) and np.all(np.isfinite(y))):
        raise ValueError("fit_ar got NaN or infinite values")
    A = np.hstack([X, np.ones((X.shape[0], 1))])  # (n, p + 1): the last column is the intercept
    coef, *_ = np.linalg.lstsq(A, y, rcond=None)
    return coef[:-1], float(coef[-1])


def predict_ar(X, w, b: float) -> np.ndarray:
    """Predictions ``X @ w + b`` of a linear AR model fitted by :func:`fit_ar`."""
    X = np.asarray(X, dtype=np.float64)
    w = np.asarray(w, dtype=np.float64)
    if X.ndim != 2 or w.shape != (X.shape[1],):
        raise ValueError(f"predict_ar expects X (n, p) and w (p,), got {X.shape} and {w.shape}")
    return X @ w + b


def train_time_delay(split: Mapping, seed: int, *, hidden: int = 4, epochs: int = 600,
                     lr: float = 0.01, variance: float | None = None,
                     weight_decay: float = 0.0):
    """Train one time-delay MLP on ``split["train"]``; return ``(model, nmse, predictions)``.

    Chapter 2's network: ``rc.models.TimeDelayMLP(n_lags, hidden)`` trained with
    ``rc.train.fit`` (Adam, full batch, mean squared error) on standardised data
    (:class:`Standardizer` fitted on the training targets). ``weight_decay > 0`` uses AdamW
    with that decoupled weight decay instead. ``nmse`` and ``predictions`` are dicts over the
    periods of ``split``; predictions are in sunspot units.
    """
    if weight_decay < 0:
        raise ValueError(f"weight_decay must be >= 0, got {weight_decay}")
    if "train" not in split:
        raise ValueError("split must have a 'train' period (see sunspot_split)")
    variance = series_variance() if variance is None else float(variance)
    X, y, _ = split["train"]
    scale = Standardizer.fit(y)
    as_t = lambda a: torch.tensor(scale.transform(a), dtype=torch.float32)
    torch.manual_seed(seed)
    model = TimeDelayMLP(X.shape[1], hidden)
    opt = (torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=weight_decay)
           if weight_decay > 0 else None)
    fit(model, (as_t(X), as_t(y)), epochs=epochs, lr=lr, optimizer=opt, progress=False)
    model.eval()
    nmse, predictions = {}, {}
    with torch.no_grad():
        for name, (Xp, yp, _) in split.items():
            predictions[name] = scale.inverse(model(as_t(Xp)).numpy())  # (n,)
            nmse[name] = metrics.nmse(yp, predictions[name], variance)
    return model, nmse, predictions


def iterated_forecast(predict, lags: Sequence[int], start_years, horizon: int, years=None,
                      values=None) -> np.ndarray:
    """Forecast ``horizon`` years ahead from each start year, feeding predictions back (chapter 2).

    For a start year ``s`` the model sees the true values before ``s`` only; it predicts ``s``,
    then uses that prediction as the lag-1 input for ``s + 1``, and so on: the errors of early
    steps become inputs of later ones. ``predict`` maps lagged inputs ``(n, len(lags))`` in
    sunspot units to predictions ``(n,)``; all start years are forecast together. Returns
    ``(len(start_years), horizon)``: row ``i`` holds the forecasts of years
    ``start_years[i] .. start_years[i] + horizon - 1``.
    """
    if (years is None) != (values is None):
        raise ValueError("pass both years and values, or neither")
    if years is None:
        years, values = data.sunspots()
    years, values = np.asarray(years), np.asarray(values, dtype=np.float64)
    starts = np.asarray(start_years)
    if starts.ndim != 1 or starts.size == 0:
        raise ValueError(f"expected a non-empty 1-D array of start years, got {start_years!r}")
    if int(horizon) != horizon or horizon < 1:
        raise ValueError(f"expected a positive whole number of years as horizon, got {horizon!r}")
    lags = [int(k) for k in lags]
    first = starts - years[0]                                   # index of each start year
    if first.min() < max(lags) or first.max() >= len(values):
        raise ValueError(f"start years must leave {max(lags)} years of history inside "
                         f"{years[0]}-{years[-1]}, got {starts.min()}-{starts.max()}")
    width = max(lags)
    window = np.stack([values[i - width:i] for i in first])    # (starts, width): true history
    out = np.empty((len(starts), int(horizon)))
    for k in range(int(horizon)):
        X = window[:, [width - lag for lag in lags]]           # (starts, len(lags))
        out[:, k] = np.asarray(predict(X), dtype=np.float64).reshape(-1)
        window = np.hstack([window[:, 1:], out[:, k:k + 1]])   # the forecast becomes history
    return out


VALIDATION_PERIODS = {"train": (1712, 1900), "validation": (1901, 1920)}
"""Chapter 2's split *inside* the training years: fit on 1712-1900, choose on 1901-1920.

A recipe (size, weight decay, lags) is chosen on this validation block; only the chosen one is
then retrained on all of 1712-1920 and scored on the test periods, which nothing was chosen on.
"""

CANDIDATES = {
    "5-4-1": {"lags": LAGS, "hidden": 4, "weight_decay": 0.0},
    "5-8-1": {"lags": LAGS, "hidden": 8, "weight_decay": 0.0},
    "5-8-1, weight decay 0.1": {"lags": LAGS, "hidden": 8, "weight_decay": 0.1},
    "5-8-1, weight decay 0.3": {"lags": LAGS, "hidden": 8, "weight_decay": 0.3},
    "5-16-1, weight decay 0.1": {"lags": LAGS, "hidden": 16, "weight_decay": 0.1},
    "12-8-1, weight decay 0.1": {"lags": tuple(range(1, 13)), "hidden": 8, "weight_decay": 0.1},
}
"""The variants chapter 2 compares on the validation block (Adam or AdamW, lr 0.01)."""


def validation_scores(candidates: Mapping[str, Mapping] = None, seeds: Sequence[int] = range(3),
                      *, epochs: int = 600, lr: float = 0.01,
                      periods: Mapping[str, tuple[int, int]] = VALIDATION_PERIODS) -> dict:
    """NMSE on the validation block of every candidate recipe, one array over ``seeds`` each.

    Each candidate (``lags``, ``hidden``, ``weight_decay``) is trained with
    :func:`train_time_delay` on ``periods["train"]`` and scored on ``periods["validation"]``;
    no test year is touched. Returns ``{name: array of validation NMSE, one per seed}``.
    """
    candidates = CANDIDATES if candidates is None else candidates
    if not candidates:
        raise ValueError("validation_scores needs at least one candidate")
    if set(periods) != {"train", "validation"}:
        raise ValueError(f"periods must have exactly 'train' and 'validation', got {sorted(periods)}")
    seeds = list(seeds)
    if not seeds:
        raise ValueError("validation_scores needs at least one seed")
    variance = series_variance()
    out = {}
    for name, kw in candidates.items():
        kw = dict(kw)
        split = sunspot_split(kw.pop("lags", LAGS), periods)
        out[name] = np.array([train_time_delay(split, s, epochs=epochs, lr=lr, variance=variance,
                                               **kw)[1]["validation"] for s in seeds])
    return out


SUNSPOT_MODELS = {
    "5-4-1 time-delay MLP": {"hidden": 4, "weight_decay": 0.0},
    "5-8-1 time-delay MLP, weight decay": {"hidden": 8, "weight_decay": 0.1},
}
"""Chapter 2's two networks (lags :data:`LAGS`, Adam or AdamW at lr 0.01, full batch)."""


def sunspot_rows(seeds: Sequence[int] = range(5), *, period: str = "test 1921-1955",
                 epochs: int = 600) -> list[dict]:
    """Chapter 2's sunspot table for one period, one dict per model, beside the published figures.

    Each row has ``model``, ``weights`` (trainable parameters; ``None`` where unknown),
    ``mean`` and ``std`` (sample std, ``ddof=1``) of the NMSE over ``seeds`` (``n`` of them),
    and ``published`` (``None`` for our models). The NMSE divides by :func:`series_variance`.
    Rows: the linear AR(12) baseline (deterministic, ``n = 1``), the networks of
    :data:`SUNSPOT_MODELS` trained with :func:`train_time_delay`, then :data:`PUBLISHED`.
    """
    seeds = list(seeds)
    if len(seeds) < 1:
        raise ValueError("sunspot_rows needs at least one seed (three or more for a spread)")
    if period not in PERIODS:
        raise ValueError(f"period must be one of {list(PERIODS)}, got {period!r}")
    variance = series_variance()
    split12 = sunspot_split(lags=range(1, 13))
    w, b = fit_ar(*split12["train"][:2])
    X12, y12, _ = split12[period]
    rows = [{"model": "linear AR(12), least squares", "weights": 13,
             "mean": metrics.nmse(y12, predict_ar(X12, w, b), variance), "std": 0.0, "n": 1,
             "published": None}]
    split = sunspot_split(LAGS)
    for name, kw in SUNSPOT_MODELS.items():
        scores = []
        for seed in seeds:
            model, nmse, _ = train_time_delay(split, seed, epochs=epochs, variance=variance, **kw)
            scores.append(nmse[period])
        v = np.asarray(scores)
        rows.append({"model": name, "weights": sum(p.numel() for p in model.parameters()),
                     "mean": float(v.mean()), "std": float(v.std(ddof=1)) if v.size > 1 else 0.0,
                     "n": v.size, "published": None})
    for name, figures in PUBLISHED.items():
        rows.append({"model": name, "weights": figures["weights"], "mean": None, "std": None,
                     "n": 0, "published": figures[period]})
    return rows
