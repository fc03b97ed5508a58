"""Error measures used to report results (chapters 2, 3, 6, 7)."""

from __future__ import annotations

import numpy as np
import torch


def _as_numpy(a, name: str) -> np.ndarray:
    if isinstance(a, torch.Tensor):
        a = a.detach().cpu().double().numpy()
    arr = np.asarray(a, dtype=np.float64)
    if arr.size == 0:
        raise ValueError(f"{name} is empty")
    return arr


def nmse(y_true, y_pred, variance: float | None = None) -> float:
    """Normalised mean squared error: ``sum (y - y_hat)^2 / (N * variance)``.

    Chapter 2 follows Weigend et al. (1990) and divides by the variance of the *whole* series,
    passed as ``variance``; if it is omitted the variance of ``y_true`` is used. An NMSE of 1
    is what always predicting the mean achieves.
    """
    y = _as_numpy(y_true, "y_true")
    p = _as_numpy(y_pred, "y_pred")
    if y.shape != p.shape:
        raise ValueError(f"y_true and y_pred must have the same shape, got {y.shape} and {p.shape}")
    var = float(np.var(y)) if variance is None else float(variance)
    if not np.isfinite(var) or var <= 0:
        raise ValueError(f"variance must be a positive number, got {var}")
    return float(np.sum((y - p) ** 2) / (y.size * var))


def normalised_error(y_true, y_pred) -> float:
    """Test MSE divided by the variance of the target (the pulse converter, chapters 6-7)."""
    return nmse(y_true, y_pred, variance=None)
