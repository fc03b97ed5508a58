"""Chapter 1 (sequences): signals and filters, a window (FIR) against a recursive filter (IIR).

Two ways to let an output ``y_t`` depend on the past of an input sequence ``x_t``:

- a **window** (finite impulse response, FIR): ``y_t = sum_{k=0}^{L-1} w_k x_{t-k}``; it sees
  the last ``L`` inputs and nothing older (chapter 2 makes it nonlinear: the time-delay MLP);
- a **recursion** (infinite impulse response, IIR): ``h_t = a h_{t-1} + b x_t``; the state
  ``h_t`` carries a trace of every past input (chapter 3 makes it nonlinear: the Elman network).
  It is a one-unit linear RNN with ``W_hh = a`` and ``W_xh = b``.

Every filter works on the last axis, so ``x`` may be one signal ``(time,)`` or a batch of
signals ``(batch, time)``; the output has the shape of the input. Steps are numbered
``t = 1, ..., T`` as on the notation page (array index ``t - 1``); inputs before ``t = 1`` are
taken to be zero (the filters are causal and start at rest). Everything is NumPy, float64.
"""

from __future__ import annotations

import math
from typing import Callable

import numpy as np

from .._validate import positive_int
from ..utils import to_numpy

__all__ = [
    "as_signal",
    "impulse",
    "fir_filter",
    "moving_average",
    "window_sum",
    "recursive_filter",
    "impulse_response",
    "memory_length",
    "noisy_sine",
    "sign_task",
    "error_by_age",
]


def as_signal(x, name: str = "x") -> np.ndarray:
    """``x`` as a float64 array of shape ``(time,)`` or ``(batch, time)``, checked.

    Raises ``TypeError`` for non-numeric input and ``ValueError`` for the wrong number of
    dimensions, an empty time axis or NaN / infinite values.
    """
    try:
        a = to_numpy(x)
    except TypeError:
        raise TypeError(f"{name} must be an array of numbers, got {type(x).__name__}") from None
    if a.ndim not in (1, 2):
        raise ValueError(f"{name} must have shape (time,) or (batch, time), got shape {a.shape}")
    if a.shape[-1] == 0:
        raise ValueError(f"{name} is empty: its time axis has length 0")
    if not np.all(np.isfinite(a)):
        raise ValueError(f"{name} contains NaN or infinite values")
    return a


def _scalar(v, name: str) -> float:
    if isinstance(v, bool) or not isinstance(v, (int, float, np.integer, np.floating)):
        raise TypeError(f"{name} must be a real number, got {type(v).__name__}")
    v = float(v)
    if not math.isfinite(v):
        raise ValueError(f"{name} must be finite, got {v}")
    return v


def impulse(length: int, at: int = 0, height: float = 1.0) -> np.ndarray:
    """The unit impulse: zeros of shape ``(length,)`` with ``height`` at index ``at``."""
    length = positive_int(length, "length")
    if isinstance(at, bool) or not isinstance(at, (int, np.integer)) or not 0 <= at < length:
        raise ValueError(f"at must be an int in [0, {length}), got {at!r}")
    x = np.zeros(length)
    x[at] = _scalar(height, "height")
    return x


def fir_filter(x, weights) -> np.ndarray:
    """Causal window (FIR) filter: ``y_t = sum_{k=0}^{L-1} weights[k] * x_{t-k}``.

    ``weights[0]`` multiplies the current input, ``weights[k]`` the input ``k`` steps ago;
    ``L = len(weights)`` is the window length. Inputs before ``t = 1`` count as zero.
    ``x``: ``(time,)`` or ``(batch, time)``; returns the same shape.
    """
    x = as_signal(x)
    w = np.asarray(weights, dtype=np.float64)
    if w.ndim != 1 or w.size == 0:
        raise ValueError(f"weights must be a non-empty 1-D array, got shape {w.shape}")
    if not np.all(np.isfinite(w)):
        raise ValueError("weights contain NaN or infinite values")
    T = x.shape[-1]
    y = np.zeros_like(x)                      # (..., time)
    for k in range(min(w.size, T)):           # add the input delayed by k steps
        y[..., k:] += w[k] * x[..., : T - k]  # (..., time - k)
    return y


def moving_average(x, L: int) -> np.ndarray:
    """Mean of the last ``L`` inputs, ``y_t = (x_t + ... + x_{t-L+1}) / L`` (zeros before t=0)."""
    L = positive_int(L, "L")
    return fir_filter(x, np.full(L, 1.0 / L))


def window_sum(x, L: int) -> np.ndarray:
    """Sum of the last ``L`` inputs, ``y_t = x_t + ... + x_{t-L+1}`` (zeros before t=0)."""
    L = positive_int(L, "L")
    return fir_filter(x, np.ones(L))


def recursive_filter(x, a: float, b: float = 1.0, h0: float = 0.0) -> np.ndarray:
    """First-order recursive (IIR) filter: ``h_t = a * h_{t-1} + b * x_t``, ``h_0 = h0``.

    This is a one-unit linear RNN (``W_hh = a``, ``W_xh = b``, no bias, identity activation).
    Returns the whole state sequence ``h_1, ..., h_T``, the same shape as ``x``.
    Its impulse response is ``b * a**k``: it never becomes exactly zero when ``a != 0``.
    """
    x = as_signal(x)
    a, b, h0 = _scalar(a, "a"), _scalar(b, "b"), _scalar(h0, "h0")
    h = np.full(x.shape[:-1], h0)             # (batch,) or ()
    y = np.empty_like(x)                      # (..., time)
    for t in range(x.shape[-1]):
        h = a * h + b * x[..., t]             # (batch,) or ()
        y[..., t] = h
    return y


def impulse_response(system: Callable[[np.ndarray], np.ndarray], length: int) -> np.ndarray:
    """Feed a unit impulse of ``length`` steps through ``system`` and return its output.

    ``system`` is any function of a signal, e.g. ``lambda x: recursive_filter(x, 0.9)``.
    """
    if not callable(system):
        raise TypeError(f"system must be a function of a signal, got {type(system).__name__}")
    x = impulse(length)
    y = np.asarray(system(x), dtype=np.float64)
    if y.shape != x.shape:
        raise ValueError(f"system returned shape {y.shape} for an input of shape {x.shape}")
    return y


def memory_length(a: float, tol: float = 0.01) -> int | float:
    """Steps until the impulse response ``a**k`` of a recursion falls below ``tol`` (relative).

    Returns the smallest ``k >= 0`` with ``|a|**k < tol`` as an ``int``, which is
    ``floor(log(tol) / log|a|) + 1``; 1 for ``a = 0``, and the float ``math.inf`` for
    ``|a| >= 1`` (the trace of an input never shrinks below ``tol``).
    """
    a, tol = _scalar(a, "a"), _scalar(tol, "tol")
    if not 0 < tol < 1:
        raise ValueError(f"tol must be between 0 and 1, got {tol}")
    if abs(a) >= 1:
        return math.inf
    if a == 0:
        return 1
    k = math.floor(math.log(tol) / math.log(abs(a))) + 1
    while k > 0 and abs(a) ** (k - 1) < tol:  # guard against rounding of the logarithms
        k -= 1
    return k


def noisy_sine(length: int, period: float = 40.0, noise: float = 0.3, seed: int = 0) -> np.ndarray:
    """A sine of ``period`` steps plus Gaussian noise of standard deviation ``noise``: ``(length,)``."""
    length = positive_int(length, "length")
    period, noise = _scalar(period, "period"), _scalar(noise, "noise")
    if period <= 0 or noise < 0:
        raise ValueError(f"need period > 0 and noise >= 0, got period={period}, noise={noise}")
    rng = np.random.default_rng(seed)
    t = np.arange(length)
    return np.sin(2 * np.pi * t / period) + noise * rng.standard_normal(length)


def sign_task(ages, n_per_age: int = 200, length: int = 200, noise: float = 0.0, seed: int = 0):
    """The "which sign had the spike?" task: one spike of height +1 or -1, then read out at the end.

    For every ``age`` in ``ages`` it makes ``n_per_age`` sequences of ``length`` steps. Each has
    a single spike of random sign at time ``length - 1 - age`` (so ``age = 0`` means the spike
    is the last input) plus Gaussian noise of standard deviation ``noise`` at every step. The
    target is the sign of the spike, to be read from the model's output at the last step.

    Returns ``(x, sign, age)``: ``x`` of shape ``(n, length)``, ``sign`` and ``age`` of shape
    ``(n,)``, with ``n = len(ages) * n_per_age``.
    """
    ages = np.asarray(ages)
    length = positive_int(length, "length")
    n_per_age = positive_int(n_per_age, "n_per_age")
    noise = _scalar(noise, "noise")
    if ages.ndim != 1 or ages.size == 0 or not np.issubdtype(ages.dtype, np.integer):
        raise ValueError(f"ages must be a non-empty 1-D array of ints, got {ages!r}")
    if ages.min() < 0 or ages.max() >= length:
        raise ValueError(f"every age must be in [0, {length}), got {ages.min()}..{ages.max()}")
    if noise < 0:
        raise ValueError(f"noise must be >= 0, got {noise}")
    rng = np.random.default_rng(seed)
    age = np.repeat(ages, n_per_age)                            # (n,)
    n = age.size
    sign = rng.choice([-1.0, 1.0], size=n)                      # (n,)
    x = noise * rng.standard_normal((n, length))                # (n, length)
    x[np.arange(n), length - 1 - age] += sign
    return x, sign, age


def error_by_age(score, sign, age):
    """Error rate of ``sign(score)`` as a guess of ``sign``, for each distinct age.

    ``score`` is a model's output at the last step, ``(n,)``. A score of exactly 0 carries no
    information: it counts as a coin flip, i.e. half an error. Returns ``(ages, errors)``,
    sorted by age.
    """
    score, sign, age = (np.asarray(v, dtype=np.float64) for v in (score, sign, age))
    if not score.shape == sign.shape == age.shape or score.ndim != 1 or score.size == 0:
        raise ValueError(
            f"score, sign and age must be 1-D arrays of the same non-zero length, got shapes "
            f"{score.shape}, {sign.shape}, {age.shape}"
        )
    wrong = np.where(score == 0, 0.5, (np.sign(score) != sign).astype(np.float64))  # (n,)
    ages = np.unique(age)
    errors = np.array([wrong[age == a].mean() for a in ages])
    return ages.astype(int), errors
