"""Error measures used to report results (chapters 2 to 9): NMSE, normalised error, accuracy,
and the per-step cross-entropy of a sequence model."""

from __future__ import annotations

import numpy as np
import torch

from .utils import to_numpy


def _as_numpy(a, name: str) -> np.ndarray:
    try:
        arr = to_numpy(a)
    except TypeError as e:
        raise TypeError(f"{name}: {e}") from None
    if arr.size == 0:
        raise ValueError(f"{name} is empty")
    return arr


def nmse(y_true, y_pred, variance: float | None = None) -> float:
    """Normalised mean squared error: ``sum (y - y_hat)^2 / (N * variance)``.

    Chapter 2 follows Weigend et al. (1990) and divides every period by one number, the
    variance of the record 1700-1979, passed as ``variance``; then predicting a constant does
    not in general score 1. If ``variance`` is omitted the variance of ``y_true`` is used, and
    only then is 1 what always predicting the mean of ``y_true`` scores.
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


@torch.no_grad()
def accuracy(model: torch.nn.Module, x: torch.Tensor, y: torch.Tensor) -> float:
    """Fraction of sequences whose arg-max class is the label ``y`` (``(batch,)`` ints)."""
    if not isinstance(x, torch.Tensor) or not isinstance(y, torch.Tensor):
        raise TypeError("accuracy expects x and y as torch tensors")
    if not isinstance(model, torch.nn.Module):
        raise TypeError(f"accuracy expects a torch.nn.Module as the model, got {type(model).__name__}")
    if x.shape[0] != y.shape[0] or x.shape[0] == 0:
        raise ValueError(f"x and y must hold the same positive number of examples, got "
                         f"{x.shape[0]} and {y.shape[0]}")
    was = model.training
    model.eval()
    dev = next(model.parameters()).device
    pred = model(x.to(dev)).argmax(-1).cpu()  # (batch,)
    model.train(was)
    return float((pred == y.cpu()).float().mean())


def sequence_cross_entropy(logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """Cross-entropy per step, averaged over every step of every sequence, in nats (chapter 9).

    ``logits`` ``(batch, time, vocab)``, ``targets`` ``(batch, time)`` int64 token ids: the
    loss of a language model (the next token at every position), ready for
    ``rc.train.fit(loss_fn=sequence_cross_entropy, ...)``. Divide by ``ln 2`` for bits.
    """
    if not isinstance(logits, torch.Tensor) or logits.dim() != 3:
        got = tuple(logits.shape) if isinstance(logits, torch.Tensor) else type(logits).__name__
        raise ValueError(f"sequence_cross_entropy expects logits of shape (batch, time, vocab), got {got}")
    if not isinstance(targets, torch.Tensor) or targets.shape != logits.shape[:2] \
            or targets.is_floating_point():
        got = f"{tuple(targets.shape)} {targets.dtype}" if isinstance(targets, torch.Tensor) else type(targets).__name__
        raise ValueError(f"sequence_cross_entropy expects int64 targets of shape "
                         f"{tuple(logits.shape[:2])} (batch, time), got {got}")
    V = logits.shape[-1]
    return torch.nn.functional.cross_entropy(logits.reshape(-1, V), targets.reshape(-1))
