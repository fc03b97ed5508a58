"""Chapter 3 (Elman networks): Elman's online loop, and the Elman network on the sunspots.

- :func:`train_online`: the six-step per-time-step loop, in NumPy;
- :func:`elman_sequences`, :func:`train_elman`: the sunspots as one sequence, and one seed of
  the network trained online, with the context detached, or by BPTT.
"""

from __future__ import annotations

import math
import time
from typing import Mapping

import numpy as np
import torch
from tqdm.auto import tqdm

from .. import data, metrics
from .._validate import positive_int, positive_number
from ..models import ElmanNetwork
from ..timeseries import PERIODS, Standardizer, check_periods, series_variance
from ..train import History, TrainingDiverged, fit, show_progress
from ..utils import to_numpy

__all__ = ["train_online", "elman_sequences", "train_elman"]


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

    This is chapter 3's exhibit, not a second training loop: every other model of the course
    trains with :func:`rnncourse.train.fit`. Every epoch starts again from a zero context. Because the gradient never crosses a time
    step, step 4 is the backward pass of a one-hidden-layer MLP, written out below. The
    loop runs in NumPy (float64) on copies of the weights: a step touches a few dozen
    numbers, where tensor calls would mostly cost overhead. The weights are copied back
    into ``model`` at the end (and also if training diverges).

    Returns a :class:`History` whose ``loss`` is the mean squared error over each epoch's
    steps (the errors made *before* each update, as in online learning).
    """
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
    positive_int(epochs, "epochs")
    positive_number(lr, "lr")

    params = (model.cell.weight_x, model.cell.weight_h, model.cell.bias,
              model.readout.weight, model.readout.bias)
    W_xh, W_hh, b_h, W_hy, b_y = (to_numpy(p).copy() for p in params)
    xs = to_numpy(x)                                                 # (time, input)
    ys = to_numpy(y)                                                 # (time, output)
    n_out = ys.shape[1]
    history = History()
    start = time.perf_counter()
    try:
        with np.errstate(over="ignore", invalid="ignore"):  # divergence is reported below
            for _ in tqdm(range(epochs), disable=not show_progress(progress), desc="online",
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
                        history.seconds = time.perf_counter() - start
                        raise TrainingDiverged(
                            f"online training diverged in epoch {len(history.loss) + 1}, step {t}; "
                            "lower the learning rate", history)
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
                variance: float | None = None, device=None):
    """Train one Elman network on the sunspots; return ``(model, nmse, predictions)``.

    - ``mode="online"``: Elman's loop, :func:`train_online` (plain gradient
      step after every year, context held constant).
    - ``mode="detached"``: ``rc.train.fit`` (Adam, full sequence as one batch), the context
      still treated as a constant input (``detach_context=True``): Elman's gradient, but the
      same optimiser as BPTT.
    - ``mode="bptt"``: ``rc.train.fit`` with full backpropagation through time.

    The network reads x(t-1) only (standardised with the training targets' mean and std)
    and must keep the rest of the past in its context. Testing runs the whole sequence from
    a zero context and scores the target years of each period. The model lives on ``device``
    (default: the CPU, the fastest place for 4 units; Elman's loop itself always runs in NumPy).
    """
    if mode not in ("online", "detached", "bptt"):
        raise ValueError(f"mode must be 'online', 'detached' or 'bptt', got {mode!r}")
    check_periods(periods)
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
    if device is not None:
        model.to(device)
    if mode == "online":
        train_online(model, x[:n], y[:n], epochs=epochs, lr=lr, progress=False)
    else:
        wrapper = _SequenceOutput(model, detach_context=(mode == "detached"))
        fit(wrapper, (x[None, :n], y[None, :n]), epochs=epochs, lr=lr, progress=False)
    with torch.no_grad():
        y_hat, _ = model(x[None].to(model.readout.weight.device))             # (1, time, 1)
    pred_all = scale.inverse(y_hat[0, :, 0].cpu().numpy())                     # (time,)
    truth = seq["y"][:, 0].numpy().astype(np.float64)
    nmse, predictions = {}, {}
    for name, (first, last) in periods.items():
        keep = (seq["target_years"] >= first) & (seq["target_years"] <= last)
        if not keep.any():
            raise ValueError(f"period {name!r} has no target in the sequence")
        predictions[name] = pred_all[keep]
        nmse[name] = metrics.nmse(truth[keep], pred_all[keep], variance)
    return model, nmse, predictions
