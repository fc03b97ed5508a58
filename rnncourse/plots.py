"""Plotting helpers shared by the chapters: one look for every figure.

:func:`book_style` is called once at the top of every chapter: in a notebook it makes every
matplotlib figure display as a PNG at twice the resolution (sharp on high-density screens, shown
at its usual size) that carries a text description of itself (:func:`describe_figure`: its
titles and axis labels), which the book uses as the image's alt text.
"""

from __future__ import annotations

import io
import re
from typing import Sequence

import matplotlib.pyplot as plt
import numpy as np

from .utils import to_numpy


BOOK_RC = {"font.size": 11, "axes.titlesize": "medium", "legend.fontsize": "small",
           "figure.dpi": 100}
DESCRIPTION_KEY = "Description"   # the PNG text chunk that holds a figure's description


def _plain(text: str) -> str:
    """Mathtext without its markup: ``"$\\|x\\|$ (log)"`` -> ``"|x| (log)"``."""
    text = re.sub(r"\\(mathrm|mathbf|operatorname|text)\{([^}]*)\}", r"\2", text)
    text = text.replace("\\|", "|").replace("\\", "").replace("$", "")
    return re.sub(r"\s+", " ", text).strip()


def describe_figure(fig) -> str:
    """A one-paragraph description of a figure from its own texts, for alt text.

    "Figure: <suptitle>. <panel title>: <y label> against <x label>. ..." for every axes that
    shows something (colour bars and empty axes are skipped).
    """
    parts = []
    sup = getattr(fig, "_suptitle", None)
    if sup is not None and sup.get_text().strip():
        parts.append(_plain(sup.get_text()))
    panels = []
    for ax in fig.axes:
        if not ax.get_visible() or getattr(ax, "_colorbar", None) is not None or ax.get_label() == "<colorbar>":
            continue
        title = _plain(ax.get_title() or ax.get_title(loc="left") or "")
        x, y = _plain(ax.get_xlabel()), _plain(ax.get_ylabel())
        axes_text = f"{y} against {x}" if x and y else (y or x)
        text = ": ".join(t for t in (title, axes_text) if t)
        if text:
            panels.append(text)
    if len(panels) > 1:
        parts += [f"Panel {k}: {t}" for k, t in enumerate(panels, 1)]
    else:
        parts += panels
    body = ". ".join(parts) if parts else "a figure without titles or axis labels"
    return f"Figure: {body}."


def figure_png(fig) -> tuple[bytes, dict]:
    """``(png, metadata)`` for a notebook: the figure at twice its dpi, shown at its usual size.

    The PNG's text chunk ``Description`` holds :func:`describe_figure`; the metadata gives
    the display width and height in CSS pixels (Jupyter, Colab and myst-nb honour them).
    """
    from PIL import Image

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=2 * fig.dpi, bbox_inches="tight", facecolor="white",
                metadata={DESCRIPTION_KEY: describe_figure(fig)})
    data = buf.getvalue()
    width, height = Image.open(io.BytesIO(data)).size
    return data, {"width": width // 2, "height": height // 2}


def book_style() -> None:
    """The book's figure style: slightly larger fonts; in IPython, sharp PNGs with a description.

    Outside IPython (a script, the tests) only the font sizes change.
    """
    plt.rcParams.update(BOOK_RC)
    try:
        from IPython import get_ipython
    except ImportError:
        return
    ip = get_ipython()
    if ip is None:
        return
    from matplotlib.figure import Figure

    # matplotlib loads its backend lazily, and the inline backend registers its own PNG printer
    # when it loads: load it now, so that ours, registered after it, is the one that stays
    plt.switch_backend(plt.get_backend())
    ip.display_formatter.formatters["image/png"].for_type(Figure, figure_png)


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
                   xlabel: str = "time step", legend_above: bool = False):
    """Input, target and predictions for the first ``n`` sequences, one panel each.

    ``x`` and ``y`` have shape ``(batch, time, 1)`` (or ``(batch, time)``); ``predictions``
    maps a label to an array of the same shape as ``y``. ``legend_above=True`` puts the legend
    above the first panel instead of inside it, where it can hide data. Returns the figure.
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
    ncol = 2 + len(predictions or {})
    if legend_above:
        axes[0, 0].legend(loc="lower right", bbox_to_anchor=(1.0, 1.0), fontsize="small",
                          ncol=ncol, frameon=False)
    else:
        axes[0, 0].legend(loc="upper right", fontsize="small", ncol=ncol)
    axes[-1, 0].set_xlabel(xlabel)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig
