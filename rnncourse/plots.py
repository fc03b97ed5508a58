"""Plotting helpers shared by the chapters: one look for every figure."""

from __future__ import annotations

from typing import Sequence

import matplotlib.pyplot as plt
import numpy as np

from .utils import to_numpy


def _np(a):
    return to_numpy(a, dtype=None)


def plot_series(t, series: dict, ax=None, title: str = "", xlabel: str = "t", ylabel: str = "",
                spans: Sequence[tuple[float, float, str]] = ()):
    """Line plot of several named series over the same axis ``t``.

    ``series`` maps a legend label to values (same length as ``t``, NaN where absent).
    ``spans`` shades ranges of ``t``: ``(start, end, label)``, e.g. the test periods.
    Returns the axes.
    """
    if not series:
        raise ValueError("plot_series needs at least one series")
    if ax is None:
        _, ax = plt.subplots(figsize=(9, 3.2))
    t = _np(t)
    for label, values in series.items():
        values = _np(values)
        if values.shape[0] != t.shape[0]:
            raise ValueError(f"series {label!r} has {values.shape[0]} values but t has {t.shape[0]}")
        ax.plot(t, values, label=label, lw=1.4)
    colours = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for k, (a, b, label) in enumerate(spans):
        ax.axvspan(a, b, color=colours[(k + 3) % len(colours)], alpha=0.12, label=label)
    ax.set(title=title, xlabel=xlabel, ylabel=ylabel)
    ax.legend(loc="upper left", fontsize="small", ncol=min(4, len(series) + len(spans)))
    ax.grid(alpha=0.3)
    return ax


def plot_history(histories: dict, ax=None, key: str = "loss", title: str = "Training curves",
                 logy: bool = True):
    """Plot ``history.<key>`` per epoch for several named :class:`rnncourse.train.History`."""
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 3.2))
    for label, h in histories.items():
        values = getattr(h, key) if hasattr(h, key) else h
        ax.plot(np.arange(1, len(values) + 1), values, label=label)
    ax.set(title=title, xlabel="epoch", ylabel=key.replace("_", " "))
    if logy:
        ax.set_yscale("log")
    ax.legend(fontsize="small")
    ax.grid(alpha=0.3)
    return ax


def plot_sequences(x, y, predictions: dict | None = None, n: int = 3, title: str = "",
                   xlabel: str = "time step"):
    """Input, target and predictions for the first ``n`` sequences, one panel each.

    ``x`` and ``y`` have shape ``(batch, time, 1)`` (or ``(batch, time)``); ``predictions``
    maps a label to an array of the same shape as ``y``. Returns the figure.
    """
    x, y = _np(x), _np(y)
    x = x.reshape(x.shape[0], x.shape[1], -1)[..., 0]
    y = y.reshape(y.shape[0], y.shape[1], -1)[..., 0]
    n = min(n, x.shape[0])
    fig, axes = plt.subplots(n, 1, figsize=(9, 1.9 * n), sharex=True, squeeze=False)
    for i in range(n):
        ax = axes[i, 0]
        ax.plot(x[i], label="input", color="0.55", lw=1.2)
        ax.plot(y[i], label="target", color="k", lw=1.6)
        for label, p in (predictions or {}).items():
            p = _np(p)
            ax.plot(p.reshape(p.shape[0], p.shape[1], -1)[i, :, 0], label=label, lw=1.3, ls="--")
        ax.grid(alpha=0.3)
        ax.set_ylabel(f"seq {i}")
    axes[0, 0].legend(loc="upper right", fontsize="small", ncol=2 + len(predictions or {}))
    axes[-1, 0].set_xlabel(xlabel)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig
