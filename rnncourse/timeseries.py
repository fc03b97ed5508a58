"""Time-series experiments of chapters 2 and 3: the sunspot split, linear AR models, NMSE tables.

The classic sunspot benchmark (Weigend, Huberman and Rumelhart 1990) predicts the yearly
sunspot number one year ahead. Models are trained on the target years 1712-1920 and tested
on 1921-1955 and 1956-1979. This module holds what chapters 2 and 3 share:

- :data:`PERIODS` and :func:`sunspot_split`: lagged inputs and targets by target year;
- :class:`Standardizer`: the scaling fitted on the training targets only;
- :func:`fit_ar` / :func:`predict_ar`: a linear autoregressive model by least squares;
- :func:`train_time_delay`: one seed of the time-delay MLP, trained with ``rc.train.fit``;
- :func:`elman_sequences`, :func:`train_elman`: the Elman network on the same split;
- :func:`run_seeds`, :func:`nmse_table`: several seeds, and one table of mean and spread.

NMSE is ``sum (y - y_hat)^2 / (N * variance)`` with the variance of the *whole* series
(:func:`series_variance`), so that the three periods are measured on one scale.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from typing import Callable, Mapping, Sequence

import numpy as np
import torch

from . import data, metrics

__all__ = [
    "LAGS", "PERIODS", "Standardizer", "series_variance", "sunspot_split", "fit_ar",
    "predict_ar", "train_time_delay", "elman_sequences", "train_elman", "run_seeds",
    "summarise", "nmse_table", "NMSETable",
]

LAGS = (1, 2, 3, 6, 12)
"""The lags of the 5-4-1 time-delay network: x(t-1), x(t-2), x(t-3), x(t-6), x(t-12)."""

PERIODS = {"train": (1712, 1920), "test 1921-1955": (1921, 1955), "test 1956-1979": (1956, 1979)}
"""Target years (inclusive) of the training set and of the two test sets."""


def _check_periods(periods: Mapping[str, tuple[int, int]]) -> None:
    if not isinstance(periods, Mapping) or not periods:
        raise ValueError("periods must be a non-empty mapping name -> (first_year, last_year)")
    for name, span in periods.items():
        if not (isinstance(span, (tuple, list)) and len(span) == 2 and span[0] <= span[1]):
            raise ValueError(f"period {name!r} must be (first_year, last_year) with "
                             f"first <= last, got {span!r}")


def series_variance(values=None) -> float:
    """Variance of the whole series (by default the sunspots 1700-2008): the NMSE's divisor."""
    if values is None:
        _, values = data.sunspots()
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
    _check_periods(periods)
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
                     lr: float = 0.01, variance: float | None = None):
    """Train one time-delay MLP on ``split["train"]``; return ``(model, nmse, predictions)``.

    Chapter 2's network: ``rc.models.TimeDelayMLP(n_lags, hidden)`` trained with
    ``rc.train.fit`` (Adam, full batch, mean squared error) on standardised data
    (:class:`Standardizer` fitted on the training targets). ``nmse`` and ``predictions``
    are dicts over the periods of ``split``; predictions are in sunspot units.
    """
    from .models import TimeDelayMLP
    from .train import fit

    if "train" not in split:
        raise ValueError("split must have a 'train' period (see sunspot_split)")
    variance = series_variance() if variance is None else float(variance)
    X, y, _ = split["train"]
    scale = Standardizer.fit(y)
    as_t = lambda a: torch.tensor(scale.transform(a), dtype=torch.float32)
    torch.manual_seed(seed)
    model = TimeDelayMLP(X.shape[1], hidden)
    fit(model, (as_t(X), as_t(y)), epochs=epochs, lr=lr, progress=False)  # full batch
    model.eval()
    nmse, predictions = {}, {}
    with torch.no_grad():
        for name, (Xp, yp, _) in split.items():
            predictions[name] = scale.inverse(model(as_t(Xp)).numpy())  # (n,)
            nmse[name] = metrics.nmse(yp, predictions[name], variance)
    return model, nmse, predictions


def elman_sequences(first_input_year: int = 1711, last_target_year: int = 1979,
                    train_last_year: int = 1920):
    """The sunspots as one sequence for the Elman network (chapter 3).

    Input x(t-1), target x(t): inputs from ``first_input_year``, targets up to
    ``last_target_year``. With the defaults the targets are exactly chapter 2's years
    1712-1979. Returns a dict with ``x`` and ``y`` (float32 tensors ``(time, 1)``, in sunspot
    units), ``target_years`` and ``n_train`` (the number of targets up to ``train_last_year``).
    """
    years, values = data.sunspots()
    if not years[0] <= first_input_year < train_last_year < last_target_year <= years[-1]:
        raise ValueError(
            f"need {years[0]} <= first_input_year < train_last_year < last_target_year <= "
            f"{years[-1]}, got {first_input_year}, {train_last_year}, {last_target_year}"
        )
    i0, i1 = first_input_year - years[0], last_target_year - years[0]
    v = values[i0:i1 + 1]
    as_col = lambda a: torch.tensor(a, dtype=torch.float32).unsqueeze(-1)  # (time, 1)
    target_years = years[i0 + 1:i1 + 1]
    return dict(x=as_col(v[:-1]), y=as_col(v[1:]), target_years=target_years,
                n_train=int(np.sum(target_years <= train_last_year)))


class _SequenceOutput(torch.nn.Module):
    """Wraps an Elman network so that ``rc.train.fit`` sees ``x -> y_hat`` only."""

    def __init__(self, net, detach_context: bool):
        super().__init__()
        self.net, self.detach_context = net, detach_context

    def forward(self, x):
        return self.net(x, detach_context=self.detach_context)[0]  # (batch, time, out)


def train_elman(seed: int, *, mode: str = "online", hidden: int = 4, epochs: int = 40,
                lr: float = 0.02, periods: Mapping[str, tuple[int, int]] = PERIODS,
                variance: float | None = None):
    """Train one Elman network on the sunspots; return ``(model, nmse, predictions)``.

    - ``mode="online"``: Elman's loop, :func:`rnncourse.train.train_online` (plain gradient
      step after every year, context held constant).
    - ``mode="detached"``: ``rc.train.fit`` (Adam, full sequence as one batch), the context
      still treated as a constant input (``detach_context=True``): Elman's gradient, but the
      same optimiser as BPTT.
    - ``mode="bptt"``: ``rc.train.fit`` with full backpropagation through time.

    The network reads x(t-1) only (standardised with the training targets' mean and std)
    and must keep the rest of the past in its context. Testing runs the whole sequence from
    a zero context and scores the target years of each period.
    """
    from .models import ElmanNetwork
    from .train import fit, train_online

    if mode not in ("online", "detached", "bptt"):
        raise ValueError(f"mode must be 'online', 'detached' or 'bptt', got {mode!r}")
    _check_periods(periods)
    variance = series_variance() if variance is None else float(variance)
    if "train" not in periods:
        raise ValueError("periods must have a 'train' period")
    first, last = periods["train"]
    seq = elman_sequences(first_input_year=first - 1, train_last_year=last,
                          last_target_year=max(b for _, b in periods.values()))
    n = seq["n_train"]
    scale = Standardizer.fit(seq["y"][:n].numpy().ravel())
    x = torch.tensor(scale.transform(seq["x"].numpy()), dtype=torch.float32)  # (time, 1)
    y = torch.tensor(scale.transform(seq["y"].numpy()), dtype=torch.float32)  # (time, 1)
    torch.manual_seed(seed)
    model = ElmanNetwork(1, hidden)
    if mode == "online":
        train_online(model, x[:n], y[:n], epochs=epochs, lr=lr, progress=False)
    else:
        wrapper = _SequenceOutput(model, detach_context=(mode == "detached"))
        fit(wrapper, (x[None, :n], y[None, :n]), epochs=epochs, lr=lr, progress=False)
    with torch.no_grad():
        y_hat, _ = model(x[None])                                              # (1, time, 1)
    pred_all = scale.inverse(y_hat[0, :, 0].numpy())                           # (time,)
    truth = seq["y"][:, 0].numpy().astype(np.float64)
    nmse, predictions = {}, {}
    for name, (first, last) in periods.items():
        keep = (seq["target_years"] >= first) & (seq["target_years"] <= last)
        if not keep.any():
            raise ValueError(f"period {name!r} has no target in the sequence")
        predictions[name] = pred_all[keep]
        nmse[name] = metrics.nmse(truth[keep], pred_all[keep], variance)
    return model, nmse, predictions


def run_seeds(run: Callable[[int], Mapping[str, float]], seeds: Sequence[int]) -> dict:
    """Call ``run(seed)`` for every seed; return ``{period: array of NMSE, one per seed}``.

    ``run`` returns a dict of NMSE by period (or a tuple whose second item is that dict, as
    :func:`train_time_delay` and :func:`train_elman` do).
    """
    seeds = list(seeds)
    if not seeds:
        raise ValueError("run_seeds needs at least one seed")
    results: dict[str, list[float]] = {}
    for seed in seeds:
        out = run(seed)
        scores = out[1] if isinstance(out, tuple) else out
        if not isinstance(scores, Mapping):
            raise TypeError("run(seed) must return a dict of NMSE by period, or (model, dict, ...)")
        if results and set(scores) != set(results):
            raise ValueError(f"seed {seed} returned periods {sorted(scores)}, "
                             f"expected {sorted(results)}")
        for name, value in scores.items():
            results.setdefault(name, []).append(float(value))
    return {name: np.array(v) for name, v in results.items()}


def summarise(values) -> tuple[float, float]:
    """Mean and standard deviation (ddof=1; 0 for a single value) of per-seed results."""
    v = np.asarray(values, dtype=np.float64).ravel()
    if v.size == 0:
        raise ValueError("summarise got no values")
    return float(v.mean()), float(v.std(ddof=1)) if v.size > 1 else 0.0


def _cell(value) -> str:
    if value is None:
        return "n/a"
    if isinstance(value, str):
        return value
    v = np.asarray(value, dtype=np.float64).ravel()
    if v.size == 1:
        return f"{v[0]:.3f}"
    mean, std = summarise(v)
    return f"{mean:.3f} ± {std:.3f}"


@dataclass(frozen=True)
class NMSETable:
    """A table of NMSE by model and period; prints as text, renders as HTML in notebooks."""

    columns: tuple[str, ...]
    rows: tuple[tuple[str, tuple[str, ...]], ...]
    note: str = ""

    def __str__(self) -> str:
        head = ("model",) + self.columns
        body = [(name,) + cells for name, cells in self.rows]
        widths = [max(len(r[i]) for r in [head] + body) for i in range(len(head))]
        fmt = lambda r: "  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip()
        lines = [fmt(head), fmt(tuple("-" * w for w in widths))] + [fmt(r) for r in body]
        return "\n".join(lines + ([self.note] if self.note else []))

    __repr__ = __str__

    def _repr_html_(self) -> str:
        esc = html.escape
        head = "".join(f"<th>{esc(c)}</th>" for c in ("model",) + self.columns)
        body = "".join(
            "<tr><td style='text-align:left'>" + esc(name) + "</td>"
            + "".join(f"<td>{esc(c)}</td>" for c in cells) + "</tr>"
            for name, cells in self.rows
        )
        note = f"<p><small>{esc(self.note)}</small></p>" if self.note else ""
        return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>{note}"


def nmse_table(rows: Mapping[str, Mapping[str, object]], columns: Sequence[str] | None = None,
               note: str = "") -> NMSETable:
    """One table of NMSE: ``rows`` maps a model's name to ``{period: value}``.

    A value is a number (one result), an array of per-seed results (shown as mean ± std),
    a string (e.g. a published figure) or ``None`` (shown as n/a). ``columns`` defaults to
    the periods of the first row.
    """
    if not rows:
        raise ValueError("nmse_table needs at least one row")
    if columns is None:
        columns = list(next(iter(rows.values())))
    columns = tuple(columns)
    table_rows = []
    for name, values in rows.items():
        if not isinstance(values, Mapping):
            raise TypeError(f"row {name!r} must be a dict {{period: value}}, got {type(values).__name__}")
        unknown = set(values) - set(columns)
        if unknown:
            raise ValueError(f"row {name!r} has periods {sorted(unknown)} that are not columns {columns}")
        table_rows.append((str(name), tuple(_cell(values.get(c)) for c in columns)))
    return NMSETable(columns, tuple(table_rows), note)
