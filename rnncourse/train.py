"""One training loop for the whole course (first used in chapter 2).

``fit`` trains any model that maps an input batch to a prediction, with a loss such as
``torch.nn.functional.mse_loss``. It moves model and data to one device, shows a tqdm progress
bar when someone is watching, clips gradients if asked, and returns a :class:`History`.

``train_online`` is the per-time-step loop of Elman's network (chapter 3).
"""

from __future__ import annotations

import math
import os
import sys
import time
from dataclasses import dataclass, field
from typing import Callable

import torch
from torch import nn

__all__ = ["History", "TrainingDiverged", "fit", "evaluate", "clip_gradients", "train_online"]


@dataclass
class History:
    """What happened during training: one entry per epoch."""

    loss: list[float] = field(default_factory=list)        # mean training loss
    val_loss: list[float] = field(default_factory=list)    # validation loss, if val_data given
    grad_norm: list[float] = field(default_factory=list)   # mean gradient norm before clipping
    seconds: float = 0.0                                     # wall time of the whole fit

    def __repr__(self) -> str:
        last = f"loss {self.loss[-1]:.4g}" if self.loss else "no epochs"
        val = f", val_loss {self.val_loss[-1]:.4g}" if self.val_loss else ""
        return f"History({len(self.loss)} epochs, {last}{val}, {self.seconds:.1f} s)"


class TrainingDiverged(FloatingPointError):
    """The loss stopped being finite. ``history`` holds the epochs completed before that."""

    def __init__(self, message: str, history: History):
        super().__init__(message)
        self.history = history


def _show_progress(progress: bool | None) -> bool:
    """Progress bars by default only where a person watches: a terminal or Colab, not CI."""
    if progress is not None:
        return bool(progress)
    if os.environ.get("CI"):
        return False
    return sys.stderr.isatty() or "google.colab" in sys.modules


def clip_gradients(parameters, max_norm: float | None = None, max_value: float | None = None) -> float:
    """Clip gradients in place and return their total 2-norm *before* clipping.

    ``max_norm`` rescales the whole gradient vector if its norm exceeds ``max_norm`` (the
    direction is kept); ``max_value`` clamps every component to ``[-max_value, max_value]``
    (the direction can change). Chapter 5 compares the two.
    """
    params = [p for p in parameters if p.grad is not None]
    if not params:
        return 0.0
    for name, v in (("max_norm", max_norm), ("max_value", max_value)):
        if v is not None and not v > 0:
            raise ValueError(f"{name} must be positive, got {v}")
    norm = torch.linalg.vector_norm(torch.stack([torch.linalg.vector_norm(p.grad) for p in params]))
    if max_value is not None:
        for p in params:
            p.grad.clamp_(-max_value, max_value)
    if max_norm is not None:
        scale = max_norm / (norm + 1e-12)
        if scale < 1:
            for p in params:
                p.grad.mul_(scale)
    return float(norm)


def _check_data(data, name: str):
    if not isinstance(data, (tuple, list)) or len(data) != 2:
        raise TypeError(f"{name} must be a pair (inputs, targets) of tensors")
    x, y = data
    if not isinstance(x, torch.Tensor) or not isinstance(y, torch.Tensor):
        raise TypeError(f"{name} must hold torch tensors, got {type(x).__name__}, {type(y).__name__}")
    if x.shape[0] == 0:
        raise ValueError(f"{name} is empty: it has 0 examples")
    if x.shape[0] != y.shape[0]:
        raise ValueError(
            f"{name}: inputs and targets must have the same number of examples, "
            f"got {x.shape[0]} and {y.shape[0]}"
        )
    return x, y


@torch.no_grad()
def evaluate(model: nn.Module, loss_fn: Callable, data, batch_size: int | None = None) -> float:
    """Mean loss of ``model`` on ``data = (x, y)``, without gradients, in eval mode."""
    x, y = _check_data(data, "data")
    dev = next(model.parameters()).device
    was_training = model.training
    model.eval()
    n = x.shape[0]
    bs = n if batch_size is None else batch_size
    total = 0.0
    for i in range(0, n, bs):
        xb, yb = x[i:i + bs].to(dev), y[i:i + bs].to(dev)
        total += float(loss_fn(model(xb), yb)) * xb.shape[0]
    model.train(was_training)
    return total / n


def fit(model: nn.Module, train_data, *, loss_fn: Callable = nn.functional.mse_loss,
        epochs: int = 100, lr: float = 1e-2, optimizer: torch.optim.Optimizer | None = None,
        batch_size: int | None = None, clip_norm: float | None = None,
        clip_value: float | None = None, val_data=None, device: torch.device | None = None,
        seed: int | None = None, progress: bool | None = None) -> History:
    """Train ``model`` on ``train_data = (x, y)`` and return the :class:`History`.

    - ``loss_fn(model(x), y)`` is minimised, by default with Adam at learning rate ``lr``
      (pass ``optimizer`` to use another).
    - ``batch_size=None`` trains on the full batch; otherwise mini-batches are drawn in an
      order shuffled by a generator seeded with ``seed``.
    - ``clip_norm`` / ``clip_value`` clip the gradients (see :func:`clip_gradients`).
    - ``device``: where to train; by default where the model's parameters already are. The
      data is moved batch by batch, so it can stay on the CPU.
    - ``progress``: show a tqdm bar; by default only in a terminal or in Colab, never in CI.

    If the loss stops being finite, :class:`TrainingDiverged` (a ``FloatingPointError``) is
    raised; its ``history`` holds the epochs completed before.
    """
    if isinstance(epochs, bool) or not isinstance(epochs, int) or epochs < 1:
        raise ValueError(f"epochs must be a positive int, got {epochs!r}")
    if batch_size is not None and (not isinstance(batch_size, int) or batch_size < 1):
        raise ValueError(f"batch_size must be a positive int or None, got {batch_size!r}")
    x, y = _check_data(train_data, "train_data")
    if val_data is not None:
        _check_data(val_data, "val_data")
    if device is not None:
        model.to(device)
    dev = next(model.parameters()).device
    if optimizer is None:
        optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    gen = torch.Generator().manual_seed(0 if seed is None else int(seed))
    n = x.shape[0]
    bs = n if batch_size is None else min(batch_size, n)
    history = History()
    start = time.perf_counter()

    from tqdm.auto import tqdm

    bar = tqdm(range(epochs), disable=not _show_progress(progress), desc="training", leave=False)
    for _ in bar:
        model.train()
        order = torch.randperm(n, generator=gen) if bs < n else torch.arange(n)
        total, norms = 0.0, []
        for i in range(0, n, bs):
            idx = order[i:i + bs]
            xb, yb = x[idx].to(dev), y[idx].to(dev)
            optimizer.zero_grad(set_to_none=True)
            loss = loss_fn(model(xb), yb)
            if not torch.isfinite(loss):
                history.seconds = time.perf_counter() - start
                raise TrainingDiverged(
                    f"the loss became {float(loss.detach())} in epoch {len(history.loss) + 1}; "
                    "try a smaller learning rate or gradient clipping", history)
            loss.backward()
            norms.append(clip_gradients(model.parameters(), clip_norm, clip_value))
            optimizer.step()
            total += float(loss.detach()) * xb.shape[0]
        history.loss.append(total / n)
        history.grad_norm.append(sum(norms) / len(norms))
        if val_data is not None:
            history.val_loss.append(evaluate(model, loss_fn, val_data))
        bar.set_postfix(loss=f"{history.loss[-1]:.4g}")
    history.seconds = time.perf_counter() - start
    return history


def train_online(model, x: torch.Tensor, y: torch.Tensor, *, epochs: int = 1, lr: float = 0.05,
                 progress: bool | None = None) -> History:
    """Elman's online loop (chapter 3): update the weights after every time step.

    ``model`` is an :class:`rnncourse.models.ElmanNetwork` with a tanh cell; ``x`` has shape
    ``(time, input_size)`` and ``y`` shape ``(time, output_size)``: one long sequence.
    For every step t:

    1. present x(t);
    2. compute h(t) = tanh(W_xh x(t) + W_hh c(t) + b_h) from x(t) and the context
       c(t) = h(t-1), a copy of the previous hidden state used as an extra, constant input;
    3. compute the output y_hat(t) = W_hy h(t) + b_y;
    4. backpropagate the squared error ``mean((y_hat(t) - y(t))**2)`` through this one step
       only: the context is a constant, so the gradient stops at c(t);
    5. take a plain gradient step of size ``lr`` on every weight;
    6. copy h(t) into the context and go on with t + 1.

    Every epoch starts again from a zero context. Because the gradient never crosses a time
    step, step 4 is the backward pass of a one-hidden-layer MLP, written out below. The
    loop runs in NumPy (float64) on copies of the weights: a step touches a few dozen
    numbers, where tensor calls would mostly cost overhead. The weights are copied back
    into ``model`` at the end (and also if training diverges).

    Returns a :class:`History` whose ``loss`` is the mean squared error over each epoch's
    steps (the errors made *before* each update, as in online learning).
    """
    from .models import ElmanNetwork

    if not isinstance(model, ElmanNetwork):
        raise TypeError(f"train_online trains an rnncourse.models.ElmanNetwork, got {type(model).__name__}")
    if getattr(model.cell, "nonlinearity", "tanh") != "tanh":
        raise ValueError("train_online assumes a tanh cell, got nonlinearity="
                         f"{model.cell.nonlinearity!r}")
    if not isinstance(x, torch.Tensor) or not isinstance(y, torch.Tensor):
        raise TypeError("train_online expects x and y as torch tensors")
    if x.dim() != 2 or y.dim() != 2:
        raise ValueError(f"train_online expects x (time, input) and y (time, output), "
                         f"got {tuple(x.shape)} and {tuple(y.shape)}")
    if x.shape[0] == 0:
        raise ValueError("train_online got an empty sequence")
    if x.shape[0] != y.shape[0]:
        raise ValueError(f"x and y must have the same length, got {x.shape[0]} and {y.shape[0]}")
    if x.shape[1] != model.cell.input_size or y.shape[1] != model.readout.out_features:
        raise ValueError(f"the model maps {model.cell.input_size} inputs to "
                         f"{model.readout.out_features} outputs, but x has {x.shape[1]} "
                         f"features and y has {y.shape[1]}")
    if isinstance(epochs, bool) or not isinstance(epochs, int) or epochs < 1:
        raise ValueError(f"epochs must be a positive int, got {epochs!r}")
    if not lr > 0:
        raise ValueError(f"lr must be positive, got {lr!r}")
    import numpy as np

    params = (model.cell.weight_x, model.cell.weight_h, model.cell.bias,
              model.readout.weight, model.readout.bias)
    W_xh, W_hh, b_h, W_hy, b_y = (p.detach().cpu().double().numpy().copy() for p in params)
    xs = x.detach().cpu().double().numpy()                           # (time, input)
    ys = y.detach().cpu().double().numpy()                           # (time, output)
    n_out = ys.shape[1]
    history = History()
    start = time.perf_counter()
    from tqdm.auto import tqdm

    try:
        with np.errstate(over="ignore", invalid="ignore"):  # divergence is reported below
            for _ in tqdm(range(epochs), disable=not _show_progress(progress), desc="online",
                          leave=False):
                context = np.zeros(W_hh.shape[0])                         # (hidden,)  c(1) = 0
                total = 0.0
                for t in range(xs.shape[0]):
                    x_t = xs[t]                                           # 1. present x(t)
                    h = np.tanh(W_xh @ x_t + W_hh @ context + b_h)        # 2. (hidden,)
                    y_hat = W_hy @ h + b_y                                # 3. (output,)
                    err = y_hat - ys[t]                                   # (output,)
                    total += float(err @ err) / n_out
                    if not math.isfinite(total):
                        raise FloatingPointError(
                            f"online training diverged in epoch {len(history.loss) + 1}, step {t}; "
                            "lower the learning rate"
                        )
                    d_y = 2.0 * err / n_out                               # 4. dL/dy_hat
                    d_a = (W_hy.T @ d_y) * (1.0 - h * h)                  #    dL/da, (hidden,)
                    W_hy -= lr * np.outer(d_y, h)                         # 5. gradient steps
                    b_y -= lr * d_y
                    W_xh -= lr * np.outer(d_a, x_t)
                    W_hh -= lr * np.outer(d_a, context)                   #    context: a constant
                    b_h -= lr * d_a
                    context = h                                           # 6. copy h(t) into c(t+1)
                history.loss.append(total / xs.shape[0])
    finally:
        with torch.no_grad():
            for p, value in zip(params, (W_xh, W_hh, b_h, W_hy, b_y)):
                p.copy_(torch.from_numpy(value))
    history.seconds = time.perf_counter() - start
    return history
