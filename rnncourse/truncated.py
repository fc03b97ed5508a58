"""Truncated backpropagation through time in PyTorch (chapter 4).

Full BPTT on a sequence of length T makes one weight update per pass over the sequence, and
keeps all T steps in memory for the backward pass. Truncated BPTT (Williams and Peng 1990)
cuts the sequence into chunks of ``chunk_length`` steps and updates after every chunk; the
hidden state is *carried* from one chunk to the next, but *detached*, so the forward pass still
sees the whole past while the gradient stops at the chunk boundary.

:func:`train_truncated` is the training loop; it works with any model whose forward is
``model(x, state) -> (outputs, state)``, such as :class:`rnncourse.models.ElmanNetwork`.
:func:`echo_task` makes a task where the chunk length visibly matters.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Callable, Iterator

import torch
from torch import nn

from .train import History, _show_progress, clip_gradients

__all__ = ["echo_task", "chunks", "detach_state", "TruncatedHistory", "train_truncated",
           "evaluate_stateful"]


def echo_task(n: int, length: int, delay: int, *, seed: int = 0,
              dtype: torch.dtype = torch.float32) -> tuple[torch.Tensor, torch.Tensor]:
    """``n`` sequences of uniform noise in [-1, 1] and their echo ``delay`` steps later.

    Returns ``(x, y)``, both (n, length, 1), with ``y[:, t] = x[:, t - delay]`` (0 for
    ``t < delay``). Predicting 0 everywhere gives an MSE of about 1/3 (the variance of x).
    """
    for name, v in (("n", n), ("length", length)):
        if isinstance(v, bool) or not isinstance(v, int) or v < 1:
            raise ValueError(f"{name} must be a positive int, got {v!r}")
    if isinstance(delay, bool) or not isinstance(delay, int) or not 0 <= delay < length:
        raise ValueError(f"delay must be an int in [0, length), got {delay!r}")
    gen = torch.Generator().manual_seed(int(seed))
    x = torch.rand(n, length, 1, generator=gen, dtype=dtype) * 2 - 1  # (n, length, 1)
    y = torch.zeros_like(x)                                             # (n, length, 1)
    y[:, delay:] = x[:, :length - delay]
    return x, y


def chunks(x: torch.Tensor, y: torch.Tensor, chunk_length: int | None) -> Iterator[tuple]:
    """Split ``x`` and ``y`` (batch, time, ...) along time into consecutive chunks of
    ``chunk_length`` steps (the last one may be shorter); ``None`` yields the whole sequence."""
    if x.dim() < 2 or y.dim() < 2 or x.shape[:2] != y.shape[:2]:
        raise ValueError(f"x and y must share (batch, time), got {tuple(x.shape)} and {tuple(y.shape)}")
    T = x.shape[1]
    if T == 0:
        raise ValueError("cannot split an empty sequence (time dimension 0)")
    if chunk_length is None:
        chunk_length = T
    if isinstance(chunk_length, bool) or not isinstance(chunk_length, int) or chunk_length < 1:
        raise ValueError(f"chunk_length must be a positive int or None, got {chunk_length!r}")
    for start in range(0, T, chunk_length):
        yield x[:, start:start + chunk_length], y[:, start:start + chunk_length]


def detach_state(state):
    """Cut the gradient at a chunk boundary: detach a state tensor, or each tensor of an
    ``(h, c)`` pair or a list of layer states. The values are kept."""
    if state is None:
        return None
    if isinstance(state, torch.Tensor):
        return state.detach()
    if isinstance(state, (tuple, list)):
        return type(state)(detach_state(s) for s in state)
    raise TypeError(f"cannot detach a state of type {type(state).__name__}")


@dataclass
class TruncatedHistory(History):
    """:class:`rnncourse.train.History` plus what truncation changes: the number of weight
    updates, the training wall time at the end of every epoch (validation excluded), and the
    chunk length (None = full BPTT). ``seconds`` is the total training time."""

    updates: int = 0
    epoch_seconds: list[float] = field(default_factory=list)
    chunk_length: int | None = None


@torch.no_grad()
def evaluate_stateful(model: nn.Module, x: torch.Tensor, y: torch.Tensor,
                      loss_fn: Callable = nn.functional.mse_loss) -> float:
    """Loss of ``model`` run over the *whole* sequences ``x`` from a zero state (no truncation
    at test time: the state flows through every step)."""
    was_training = model.training
    model.eval()
    dev = next(model.parameters()).device
    out, _ = model(x.to(dev))
    model.train(was_training)
    return float(loss_fn(out, y.to(dev)))


def train_truncated(model: nn.Module, x: torch.Tensor, y: torch.Tensor, *,
                    chunk_length: int | None = None, epochs: int = 10, lr: float = 1e-2,
                    loss_fn: Callable = nn.functional.mse_loss, clip_norm: float | None = 1.0,
                    carry_state: bool = True, val_data=None, optimizer=None,
                    progress: bool | None = None) -> TruncatedHistory:
    """Train ``model`` on long sequences ``x``, ``y`` (batch, time, ...) with (truncated) BPTT.

    Every epoch walks through the sequences chunk by chunk (``chunk_length`` steps;
    ``None`` = the whole sequence, i.e. full BPTT). After each chunk: backward, clip the
    gradient norm to ``clip_norm`` (:func:`rnncourse.train.clip_gradients`), one Adam step.
    With ``carry_state=True`` the final state of a chunk, detached, is the initial state of the
    next; with ``False`` every chunk starts from zeros. Each epoch starts from a zero state.

    ``model(x_chunk, state)`` must return ``(outputs, state)``, e.g.
    :class:`rnncourse.models.ElmanNetwork`. ``history.loss`` is the mean training loss per
    epoch, weighted by chunk length; ``history.val_loss`` the loss of the whole ``val_data``
    sequences run without truncation (:func:`evaluate_stateful`).
    """
    if isinstance(epochs, bool) or not isinstance(epochs, int) or epochs < 1:
        raise ValueError(f"epochs must be a positive int, got {epochs!r}")
    if not isinstance(x, torch.Tensor) or not isinstance(y, torch.Tensor):
        raise TypeError("x and y must be torch tensors")
    if x.dim() != 3:
        raise ValueError(f"x must have shape (batch, time, features), got {tuple(x.shape)}")
    next(chunks(x, y, chunk_length))              # validates shapes and chunk_length early
    dev = next(model.parameters()).device
    x, y = x.to(dev), y.to(dev)
    if optimizer is None:
        optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    history = TruncatedHistory(chunk_length=chunk_length)
    T = x.shape[1]
    train_seconds = 0.0
    from tqdm.auto import tqdm

    desc = "full BPTT" if chunk_length is None else f"TBPTT k={chunk_length}"
    for _ in tqdm(range(epochs), disable=not _show_progress(progress), desc=desc, leave=False):
        model.train()
        tick = time.perf_counter()
        state = None                               # zero state at the start of each epoch
        total, norms = 0.0, []
        for xc, yc in chunks(x, y, chunk_length):  # (batch, k, in), (batch, k, out)
            optimizer.zero_grad(set_to_none=True)
            out, new_state = model(xc, state)      # (batch, k, out)
            loss = loss_fn(out, yc)
            if not torch.isfinite(loss):
                raise FloatingPointError(f"the loss became {float(loss.detach())}; lower lr or clip harder")
            loss.backward()
            norms.append(clip_gradients(model.parameters(), max_norm=clip_norm))
            optimizer.step()
            history.updates += 1
            total += float(loss.detach()) * xc.shape[1]
            state = detach_state(new_state) if carry_state else None  # keep values, cut gradient
        train_seconds += time.perf_counter() - tick  # training only, not the validation
        history.loss.append(total / T)
        history.grad_norm.append(sum(norms) / len(norms))
        history.epoch_seconds.append(train_seconds)
        if val_data is not None:
            history.val_loss.append(evaluate_stateful(model, *val_data, loss_fn=loss_fn))
    history.seconds = train_seconds
    return history
