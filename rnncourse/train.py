"""The one training loop of the course (first used in chapter 2).

:func:`fit` trains any model on ``(inputs, targets)`` and returns a :class:`History`. The model
is called in one of three ways, chosen by two arguments:

==================  =====================  ===================================================
``loss_fn``         ``chunk_length``        what ``fit`` calls and minimises
==================  =====================  ===================================================
a function          ``None``               ``loss_fn(model(x), y)``
``None``            ``None``               ``output, loss = model(x, y)`` (the model computes its
                                           own loss, e.g. with teacher forcing; minGPT's form)
a function          an int ``k``           ``output, state = model(x_chunk, state)``;
                                           ``loss_fn(output, y_chunk)``
==================  =====================  ===================================================

With ``chunk_length = k`` the sequences of a batch ``(batch, time, ...)`` are walked in chunks
of ``k`` steps: one update per chunk, and the final state of a chunk, detached, is the initial
state of the next (stateful truncated BPTT, chapter 4). Each batch starts from ``state=None``.

The module reads top to bottom: :func:`fit`, the loop; then the pieces it calls (the forward
pass, clipping, detaching, chunks and batches, :func:`evaluate`); then its bookkeeping
(history, clock, budgets, learning-rate schedule, and :class:`TrainingDiverged` for every way
training can blow up); last, the checks of its arguments.
"""

from __future__ import annotations

import inspect
import math
import os
import sys
import time
from dataclasses import dataclass, field
from typing import Callable, Iterator

import numpy as np
import torch
from torch import nn
from tqdm.auto import tqdm

from ._validate import available_device, positive_int, positive_number, same_dtype

__all__ = ["History", "TrainingDiverged", "fit", "evaluate", "clip_gradients", "detach_state",
           "chunks", "show_progress", "lr_factor", "LR_SCHEDULES", "bucketed_order"]

LR_SCHEDULES = ("constant", "cosine", "onecycle")
BUCKET_POOL = 8   # batches per pool when fit buckets by length


@dataclass
class History:
    """What happened during training: one entry per epoch."""

    loss: list[float] = field(default_factory=list)        # mean training loss
    val_loss: list[float] = field(default_factory=list)    # validation loss, if val_data given
    grad_norm: list[float] = field(default_factory=list)   # mean gradient norm before clipping
    epoch_seconds: list[float] = field(default_factory=list)  # training time at each epoch's end
    updates: int = 0                                         # weight updates made
    seconds: float = 0.0                                     # training wall time (no validation)
    stopped: str = ""     # why training ended early: "max_updates", "max_seconds", "interrupted"

    def __repr__(self) -> str:
        last = f"loss {self.loss[-1]:.4g}" if self.loss else "no epochs"
        val = f", val_loss {self.val_loss[-1]:.4g}" if self.val_loss else ""
        stop = f", stopped by {self.stopped}" if self.stopped else ""
        return (f"History({len(self.loss)} epochs, {self.updates} updates, {last}{val}, "
                f"{self.seconds:.1f} s{stop})")


class TrainingDiverged(FloatingPointError):
    """Training stopped being finite: the loss, the gradients, the validation loss or the
    weights became NaN or infinite. The message names which, and why where it can tell (NaN in
    the data is reported as such, not as a learning-rate problem). ``history`` holds the epochs
    completed before that (for a non-finite validation loss, that epoch too)."""

    def __init__(self, message: str, history: History):
        super().__init__(message)
        self.history = history


def fit(model: nn.Module, train_data, *, loss_fn: Callable | None = nn.functional.mse_loss,
        epochs: int = 100, lr: float = 1e-2, optimizer: torch.optim.Optimizer | None = None,
        batch_size: int | None = None, chunk_length: int | None = None,
        carry_state: bool = True, clip_norm: float | None = None,
        clip_value: float | None = None, val_data=None, device: torch.device | None = None,
        seed: int | None = None, progress: bool | None = None, max_updates: int | None = None,
        max_seconds: float | None = None,
        lr_schedule: str | Callable[[int], float] | None = None,
        lengths: torch.Tensor | None = None) -> History:
    """Train ``model`` on ``train_data = (x, y)`` and return the :class:`History`.

    - ``loss_fn`` and ``chunk_length`` choose how the model is called (module docstring);
      ``loss_fn=None``: the model computes its own loss.
    - Adam at learning rate ``lr``, or ``optimizer``. ``batch_size=None`` trains on the full
      batch, otherwise on mini-batches in an order drawn by a generator seeded with ``seed``.
    - ``chunk_length``: stateful truncated BPTT (chapter 4); ``carry_state=False`` starts every
      chunk from ``state=None`` instead. Validation runs whole sequences, the state flowing.
    - ``clip_norm`` / ``clip_value`` clip the gradients (:func:`clip_gradients`).
    - ``val_data``: evaluated after every epoch with :func:`evaluate`.
    - ``device``: where to train (default: where the model is); the data moves batch by batch.
    - ``progress``: a tqdm bar; by default only in a terminal or in Colab, never in CI.
    - ``max_updates``: stop after that many weight updates (a budget in steps, chapter 9);
      ``max_seconds``: after the first update that ends past that much training time (for
      benchmarks). Both stop inside an epoch too; the unfinished epoch is recorded (its mean
      loss so far, and a validation), and ``history.stopped`` names the budget.
    - ``lr_schedule``: multiplies the learning rate before each update by ``"cosine"`` or
      ``"onecycle"`` (:func:`lr_factor`, over the planned updates) or by ``f(u)``, a function
      of the number of updates done; ``None`` keeps it constant.
    - ``lengths``: the real length of each input, padded on the right along axis 1. Batches
      hold inputs of similar length (:func:`bucketed_order`) and are cut after their longest
      input, so the model runs over little padding (chapter 10).

    A loss, gradient, validation loss or (at the end) weight that is not finite raises
    :class:`TrainingDiverged`, before the step that would spread it. ``fit`` puts back the
    model's train/eval mode and the optimizer's learning rates however it ends. On Ctrl-C the
    ``KeyboardInterrupt`` is raised again with the training so far as its ``history``
    (``except KeyboardInterrupt as stop: stop.history``; in a notebook,
    ``sys.last_value.history``), the weights those after the last finished update.
    """
    x, y, lengths, device = _check_fit(**locals())   # first line: locals() are the arguments
    model.to(device)
    if optimizer is None:
        optimizer = torch.optim.Adam([p for p in model.parameters() if p.requires_grad], lr=lr)
    gen = torch.Generator().manual_seed(0 if seed is None else int(seed))    # the batch order
    bs = x.shape[0] if batch_size is None else min(batch_size, x.shape[0])
    stateful = chunk_length is not None
    per_epoch = math.ceil(x.shape[0] / bs) * (math.ceil(x.shape[1] / chunk_length) if stateful else 1)
    with _Run(model, optimizer, epochs, per_epoch, max_updates, max_seconds, lr_schedule,
              progress) as run:
        for _ in run.epochs():
            model.train()
            for xb, yb in _batches(x, y, bs, gen, lengths):
                xb, yb = xb.to(device), yb.to(device)
                state = None                                   # each batch starts from zeros
                for xc, yc in (chunks(xb, yb, chunk_length) if stateful else [(xb, yb)]):
                    optimizer.zero_grad(set_to_none=True)
                    run.set_lr()                               # lr_schedule's factor, if any
                    loss, state = _forward(model, loss_fn, xc, yc, state, stateful)
                    run.guard(loss, xc, yc)                    # not finite: stop, no backward
                    loss.backward()
                    run.guard_gradients(loss, xc, yc)          # not finite: stop, no step
                    norm = clip_gradients(model.parameters(), clip_norm, clip_value)
                    optimizer.step()
                    state = detach_state(state) if carry_state else None  # cut the gradient
                    run.record(loss, norm, xc.shape[0] * (xc.shape[1] if stateful else 1))
                    if run.history.stopped:                    # max_updates or max_seconds
                        break
                if run.history.stopped:
                    break
            run.end_epoch()
            if val_data is not None:
                run.validate(evaluate(model, val_data, loss_fn, chunk_length=chunk_length,
                                      stateful=stateful), val_data)
            if run.history.stopped:
                break
        run.check_weights()
    return run.history


# --------------------------------------------------------------------------- the loop's steps

def _forward(model, loss_fn, x, y, state, stateful: bool):
    """One forward pass in the calling form of the module docstring: ``(loss, new_state)``."""
    if loss_fn is None:                                  # the model computes its own loss
        out = model(x, y)
        if not isinstance(out, (tuple, list)) or len(out) != 2:
            raise TypeError("with loss_fn=None the model computes its own loss and must return "
                            "(output, loss)")
        out, loss = out
    else:
        out = model(x, state) if stateful else model(x)
        if stateful:
            if not isinstance(out, (tuple, list)) or len(out) != 2:
                raise TypeError("with chunk_length, the model must return (output, state)")
            out, state = out
        _check_output(out, y)
        loss = loss_fn(out, y)
    if not isinstance(loss, torch.Tensor) or loss.dim() != 0:
        got = tuple(loss.shape) if isinstance(loss, torch.Tensor) else type(loss).__name__
        raise TypeError(f"the loss must be a scalar tensor, got {got}")
    return loss, state


def clip_gradients(parameters, max_norm: float | None = None, max_value: float | None = None) -> float:
    """Clip gradients in place and return their total 2-norm *before* clipping.

    ``max_norm`` rescales the whole gradient vector if its norm exceeds ``max_norm`` (the
    direction is kept); ``max_value`` clamps every component to ``[-max_value, max_value]``
    (the direction can change). Chapter 5 compares the two.
    """
    if max_norm is not None:
        positive_number(max_norm, "max_norm")
    if max_value is not None:
        positive_number(max_value, "max_value")
    params = [p for p in parameters if p.grad is not None]
    if not params:
        return 0.0
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


def detach_state(state):
    """Cut the gradient at a chunk boundary: detach a state tensor, or every tensor of an
    ``(h, c)`` pair or a list of layer states. The values are kept."""
    if state is None:
        return None
    if isinstance(state, torch.Tensor):
        return state.detach()
    if isinstance(state, (tuple, list)):
        return type(state)(detach_state(s) for s in state)
    raise TypeError(f"cannot detach a state of type {type(state).__name__}: expected a tensor "
                    "or a tuple / list of them")


def chunks(x: torch.Tensor, y: torch.Tensor, chunk_length: int | None) -> Iterator[tuple]:
    """Split ``x`` and ``y`` (batch, time, ...) along time into consecutive chunks of
    ``chunk_length`` steps (the last one may be shorter); ``None`` yields the whole sequence."""
    if x.dim() < 2 or y.dim() < 2 or x.shape[:2] != y.shape[:2]:
        raise ValueError(f"for chunking, inputs and targets must share (batch, time), got "
                         f"{tuple(x.shape)} and {tuple(y.shape)}")
    T = x.shape[1]
    if T == 0:
        raise ValueError("cannot split an empty sequence (time dimension 0)")
    k = T if chunk_length is None else positive_int(chunk_length, "chunk_length")
    for start in range(0, T, k):
        yield x[:, start:start + k], y[:, start:start + k]


def _batches(x, y, bs: int, gen: torch.Generator | None, lengths: torch.Tensor | None = None):
    """The mini-batches of an epoch: in ``gen``'s order (by length, with ``lengths``), or in
    order without ``gen``; the whole data as one batch when ``bs`` covers it."""
    n = x.shape[0]
    if lengths is not None and gen is not None and bs < n:
        for idx in bucketed_order(lengths, bs, gen):
            yield x[idx, :int(lengths[idx].max())], y[idx]
        return
    order = torch.randperm(n, generator=gen) if gen is not None and bs < n else torch.arange(n)
    for i in range(0, n, bs):
        idx = order[i:i + bs]
        yield (x, y) if bs >= n else (x[idx], y[idx])


def bucketed_order(lengths: torch.Tensor, batch_size: int, gen: torch.Generator,
                   pool: int | None = None) -> list[torch.Tensor]:
    """Mini-batches of indices whose examples have similar ``lengths``, in a shuffled order.

    The examples are shuffled, split into pools of ``pool * batch_size``, each pool is sorted by
    length and cut into batches, and the batches of all pools are shuffled: every batch holds
    inputs of nearly the same length (little padding), while which examples meet in a batch,
    and the order of the batches, still change from epoch to epoch (the bucketing of
    ``torchtext``'s ``BucketIterator``). Ties keep their shuffled order.
    """
    pool = BUCKET_POOL if pool is None else positive_int(pool, "pool")
    n = lengths.shape[0]
    order = torch.randperm(n, generator=gen)
    batches = []
    size = pool * batch_size
    for start in range(0, n, size):
        part = order[start:start + size]
        part = part[torch.sort(lengths[part], stable=True).indices]
        batches += list(part.split(batch_size))
    return [batches[i] for i in torch.randperm(len(batches), generator=gen).tolist()]


@torch.no_grad()
def evaluate(model: nn.Module, data, loss_fn: Callable | None = nn.functional.mse_loss, *,
             batch_size: int | None = None, chunk_length: int | None = None,
             stateful: bool | None = None) -> float:
    """Mean loss of ``model`` on ``data = (x, y)``, without gradients, in eval mode.

    The model is called as in :func:`fit`. With ``stateful=True`` (implied by ``chunk_length``)
    the state flows through every chunk of a sequence; ``chunk_length=None`` with
    ``stateful=True`` runs each whole sequence at once (no truncation at test time).
    """
    x, y = _check_data(data, "data")
    stateful = chunk_length is not None if stateful is None else bool(stateful)
    if stateful and loss_fn is None:
        raise ValueError(_OWN_LOSS_IS_NOT_STATEFUL)
    dev = next(model.parameters()).device
    was_training = model.training
    model.eval()
    n = x.shape[0]
    bs = n if batch_size is None else positive_int(batch_size, "batch_size")
    total, weight = 0.0, 0
    try:
        for xb, yb in _batches(x, y, bs, None):
            xb, yb = xb.to(dev), yb.to(dev)
            state = None
            for xc, yc in (chunks(xb, yb, chunk_length) if stateful else [(xb, yb)]):
                loss, state = _forward(model, loss_fn, xc, yc, state, stateful)
                w = xc.shape[0] * (xc.shape[1] if stateful else 1)
                total += float(loss) * w
                weight += w
    finally:
        model.train(was_training)
    return total / weight


# --------------------------------------------------------------------------- the bookkeeping

class _Run:
    """The bookkeeping of one call of :func:`fit`, kept out of the loop: the history and its
    clock, the budgets, the learning-rate schedule, the checks that training is still finite,
    and, as a context manager, putting back the model's mode and the optimizer's learning
    rates however training ends (Ctrl-C included: the interrupt gets the history)."""

    def __init__(self, model, optimizer, epochs: int, per_epoch: int, max_updates, max_seconds,
                 lr_schedule, progress):
        self.model, self.optimizer, self.schedule = model, optimizer, lr_schedule
        self.max_updates, self.max_seconds = max_updates, max_seconds
        self.full = epochs * per_epoch                   # the updates the epochs would make
        self.planned = self.full if max_updates is None else min(self.full, max_updates)
        self.base_lrs = _base_lrs(optimizer) if lr_schedule not in (None, "constant") else []
        self.was_training = model.training
        self.history = History()
        self.tick, self.in_epoch = time.perf_counter(), False
        self.total, self.weight, self.norms = 0.0, 0, []      # the epoch's running sums
        self.bar = tqdm(range(epochs), disable=not show_progress(progress), desc="training",
                        leave=False)

    def __enter__(self) -> "_Run":
        return self

    def __exit__(self, kind, error, traceback) -> bool:
        if kind is not None and issubclass(kind, KeyboardInterrupt):
            if self.in_epoch:                            # record the unfinished epoch
                self.history.seconds += time.perf_counter() - self.tick
                if self.weight:
                    self._append_epoch()
            self.history.stopped = "interrupted"
            error.history = self.history
        self.bar.close()
        for group, base in zip(self.optimizer.param_groups, self.base_lrs):
            group["lr"] = base
        self.model.train(self.was_training)
        return False                                     # the exception, if any, goes on

    def epochs(self):
        """The epochs, on the progress bar; each starts the clock and the running means."""
        for epoch in self.bar:
            self.tick, self.in_epoch = time.perf_counter(), True
            self.total, self.weight, self.norms = 0.0, 0, []
            yield epoch

    def set_lr(self) -> None:
        """Every group's learning rate: its base times the schedule's factor for this update."""
        if self.schedule in (None, "constant"):
            return
        u = self.history.updates
        factor = (lr_factor(self.schedule, u, self.planned) if isinstance(self.schedule, str)
                  else self.schedule(u))
        if isinstance(factor, bool) or not isinstance(factor, (int, float)) or not factor >= 0 \
                or factor == float("inf"):
            raise ValueError(f"lr_schedule({u}) must return a finite number >= 0, got {factor!r}")
        for group, base in zip(self.optimizer.param_groups, self.base_lrs):
            group["lr"] = base * float(factor)

    def guard(self, loss: torch.Tensor, xb, yb) -> None:
        """Raise :class:`TrainingDiverged` if the loss is not finite (before its backward pass)."""
        if not torch.isfinite(loss):
            self._diverged(f"the loss became {float(loss.detach())} in epoch "
                           f"{len(self.history.loss) + 1}", xb, yb)

    def guard_gradients(self, loss: torch.Tensor, xb, yb) -> None:
        """Raise :class:`TrainingDiverged` if a gradient is not finite, before clipping (which
        would turn an infinite component into a finite one) and before the step."""
        grads = [p.grad for p in self.model.parameters() if p.grad is not None]
        if grads and not bool(torch.stack([g.isfinite().all() for g in grads]).all()):
            bad = sum(bool(_nonfinite(g)) for g in grads)
            self._diverged(f"the gradients of {bad} parameter tensor(s) became NaN or inf at update "
                           f"{self.history.updates + 1} (epoch {len(self.history.loss) + 1}) "
                           f"although the loss was finite ({float(loss.detach()):.4g}); the weights "
                           "were not updated", xb, yb)

    def _diverged(self, what: str, xb, yb):
        self.history.seconds += time.perf_counter() - self.tick
        raise TrainingDiverged(what + _why_not_finite(self.model, xb, yb, "training batch"),
                               self.history)

    def record(self, loss: torch.Tensor, norm: float, weight: int) -> None:
        """Count an update, add its loss (``weight`` values) to the epoch's mean; note a budget
        that is spent in ``history.stopped``."""
        self.history.updates += 1
        self.total += float(loss.detach()) * weight
        self.weight += weight
        self.norms.append(norm)
        if self.max_updates is not None and self.max_updates <= self.history.updates < self.full:
            self.history.stopped = "max_updates"          # (at the epochs' own end: not a stop)
        elif self.max_seconds is not None and \
                self.history.seconds + time.perf_counter() - self.tick >= self.max_seconds:
            self.history.stopped = "max_seconds"

    def end_epoch(self) -> None:
        """Stop the epoch's clock and record its mean loss and gradient norm."""
        self.history.seconds += time.perf_counter() - self.tick
        self.in_epoch = False
        self._append_epoch()
        self.bar.set_postfix(loss=f"{self.history.loss[-1]:.4g}")

    def _append_epoch(self) -> None:
        self.history.loss.append(self.total / self.weight)
        self.history.grad_norm.append(sum(self.norms) / len(self.norms))
        self.history.epoch_seconds.append(self.history.seconds)

    def validate(self, val_loss: float, val_data) -> None:
        """Record the epoch's validation loss; raise if it is not finite."""
        self.history.val_loss.append(val_loss)
        if not math.isfinite(val_loss):
            raise TrainingDiverged(
                f"the validation loss became {val_loss} after epoch {len(self.history.loss)} "
                f"(training loss {self.history.loss[-1]:.4g})"
                f"{_why_not_finite(self.model, *val_data, 'validation data')}", self.history)

    def check_weights(self) -> None:
        """After the last update: raise if a weight is not finite."""
        bad = [name for name, p in self.model.named_parameters() if _nonfinite(p.detach())]
        if bad:
            raise TrainingDiverged(
                f"the weights {', '.join(bad[:3])}{' ...' if len(bad) > 3 else ''} are no longer "
                f"finite after the last update ({self.history.updates}); try a smaller learning "
                "rate or gradient clipping", self.history)


def lr_factor(schedule: str | None, update: int, total: int) -> float:
    """The factor the learning rate is multiplied by before weight update ``update`` of ``total``.

    ``"constant"`` (or None): 1. ``"cosine"``: ``(1 + cos(pi u / U)) / 2``, from 1 down to 0.
    ``"onecycle"``: a linear warm-up from 1/25 to 1 over the first 30 % of the updates, then
    the cosine down to 0 (the one-cycle schedule of Smith and Topin, without its momentum
    cycle). Chapters 6 and 7 train the pulse converter with it.
    """
    if schedule in (None, "constant"):
        return 1.0
    if schedule not in LR_SCHEDULES:
        raise ValueError(f"lr_schedule must be one of {LR_SCHEDULES} or None, got {schedule!r}")
    u = min(max(update, 0), total) / max(total, 1)
    if schedule == "cosine":
        return 0.5 * (1 + math.cos(math.pi * u))
    warm = 0.3
    if u < warm:
        return 0.04 + 0.96 * u / warm
    return 0.5 * (1 + math.cos(math.pi * (u - warm) / (1 - warm)))


def show_progress(progress: bool | None) -> bool:
    """Progress bars by default only where a person watches: a terminal or Colab, not CI."""
    if progress is not None:
        return bool(progress)
    if os.environ.get("CI"):
        return False
    return sys.stderr.isatty() or "google.colab" in sys.modules


def _base_lrs(optimizer: torch.optim.Optimizer) -> list[float]:
    """The learning rate of every parameter group, which a schedule scales (and fit restores)."""
    for i, group in enumerate(optimizer.param_groups):
        if "lr" not in group:
            raise ValueError(
                f"lr_schedule scales the optimizer's learning rate, but parameter group {i} of "
                f"{type(optimizer).__name__} has no 'lr' (its keys: {sorted(group)}); give the "
                "optimizer a learning rate (defaults={'lr': ...}) or leave lr_schedule=None")
    return [group["lr"] for group in optimizer.param_groups]


# --------------------------------------------------------------------------- checks and messages

_STATE_NAMES = ("state", "states", "hidden", "h", "h0", "hx", "context")
_REGRESSION_LOSSES = (nn.functional.mse_loss, nn.functional.l1_loss, nn.functional.smooth_l1_loss,
                      nn.functional.huber_loss)
_OWN_LOSS_IS_NOT_STATEFUL = (
    "loss_fn=None (a model that computes its own loss) cannot be walked in chunks with the state "
    "carried: with chunk_length (or stateful=True), the model is called as "
    "model(x_chunk, state) -> (output, state) and needs a loss_fn")


def _check_fit(model, train_data, *, loss_fn, epochs, lr, optimizer, batch_size, chunk_length,
               carry_state, clip_norm, clip_value, val_data, device, seed, progress, max_updates,
               max_seconds, lr_schedule, lengths):
    """Every check of :func:`fit`'s arguments, before anything trains. Returns ``(x, y, lengths,
    device)``: the training data, the lengths as int64 (or None) and where to train."""
    positive_int(epochs, "epochs")
    if optimizer is None:
        positive_number(lr, "lr")
    elif not isinstance(optimizer, torch.optim.Optimizer):
        raise TypeError(f"optimizer must be a torch.optim.Optimizer, got {type(optimizer).__name__}")
    if batch_size is not None:
        positive_int(batch_size, "batch_size")
    if loss_fn is not None and not callable(loss_fn):
        raise TypeError(f"loss_fn must be a function loss_fn(output, target) or None, got "
                        f"{type(loss_fn).__name__}")
    for name, value in (("clip_norm", clip_norm), ("clip_value", clip_value),
                        ("max_seconds", max_seconds)):
        if value is not None:
            positive_number(value, name)
    if max_updates is not None:
        positive_int(max_updates, "max_updates")
    if isinstance(lr_schedule, str):
        if lr_schedule not in LR_SCHEDULES:
            raise ValueError(f"lr_schedule must be one of {LR_SCHEDULES}, a function of the update "
                             f"count, or None; got {lr_schedule!r}")
    elif lr_schedule is not None and not callable(lr_schedule):
        raise TypeError(f"lr_schedule must be one of {LR_SCHEDULES}, a function of the update count "
                        f"returning a factor, or None; got {type(lr_schedule).__name__}")
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, (int, np.integer))):
        raise ValueError(f"seed must be an int (or None), got {seed!r}")
    if device is not None:
        device = available_device(device)
    stateful = chunk_length is not None
    if stateful and loss_fn is None:
        raise ValueError(_OWN_LOSS_IS_NOT_STATEFUL)
    _check_signature(model, loss_fn, stateful)
    x, y = _check_data(train_data, "train_data")
    if loss_fn in _REGRESSION_LOSSES and not y.is_floating_point():
        raise TypeError(f"the targets are {str(y.dtype).replace('torch.', '')} but "
                        f"{loss_fn.__name__} compares numbers: give float targets (y.float()), or "
                        "for class labels a classification loss such as "
                        "torch.nn.functional.cross_entropy")
    if stateful:
        next(chunks(x, y, chunk_length))              # validates the shapes and chunk_length
    if val_data is not None:
        _check_data(val_data, "val_data")
    if lengths is not None:
        lengths = _check_lengths(lengths, x, stateful)
    if next(model.parameters(), None) is None:
        raise ValueError("the model has no parameters to train")
    same_dtype(x, model, "fit")
    return x, y, lengths, device if device is not None else next(model.parameters()).device


def _check_data(data, name: str):
    if not isinstance(data, (tuple, list)) or len(data) != 2:
        raise TypeError(f"{name} must be a pair (inputs, targets) of tensors, got {type(data).__name__}")
    x, y = data
    if not isinstance(x, torch.Tensor) or not isinstance(y, torch.Tensor):
        raise TypeError(f"{name} must hold torch tensors, got {type(x).__name__}, {type(y).__name__}")
    if x.dim() == 0 or x.shape[0] == 0:
        raise ValueError(f"{name} is empty: it has 0 examples")
    if y.dim() == 0 or x.shape[0] != y.shape[0]:
        raise ValueError(f"{name}: inputs and targets must have the same number of examples "
                         f"(first axis), got shapes {tuple(x.shape)} and {tuple(y.shape)}")
    return x, y


def _check_signature(model, loss_fn, stateful: bool) -> None:
    """Say which calling form fit will use if the model's forward cannot take it."""
    args = ["x", "y"] if loss_fn is None else ["x", "state"] if stateful else ["x"]
    try:
        inspect.signature(model.forward).bind(*args)
    except TypeError:
        expects = ("(output, loss) (loss_fn=None means the model computes its own loss)"
                   if loss_fn is None else
                   "(output, state) (fit computes loss_fn(output, target); chunk_length carries "
                   "the state)" if stateful else "output (fit computes loss_fn(output, target))")
        raise TypeError(f"fit will call model({', '.join(args)}) and expects {expects}, but "
                        f"{type(model).__name__}.forward cannot take those arguments") from None
    except ValueError:     # a forward without an inspectable signature: let the call decide
        return
    if loss_fn is None:
        params = list(inspect.signature(model.forward).parameters)
        if len(params) > 1 and params[1] in _STATE_NAMES:
            raise TypeError(f"loss_fn=None means the model computes its own loss: fit would call "
                            f"model(x, y), but the second argument of {type(model).__name__}.forward "
                            f"is {params[1]!r}, not the targets; give fit a loss_fn (for example "
                            "torch.nn.functional.mse_loss or rc.metrics.sequence_cross_entropy)")


def _check_lengths(lengths, x: torch.Tensor, stateful: bool) -> torch.Tensor:
    if stateful:
        raise ValueError("lengths (bucketing by length) cannot be combined with chunk_length")
    lengths = torch.as_tensor(lengths)
    if lengths.dim() != 1 or lengths.shape[0] != x.shape[0] or lengths.is_floating_point():
        raise ValueError(f"lengths must be one integer per example, shape ({x.shape[0]},), got "
                         f"{lengths.dtype} of shape {tuple(lengths.shape)}")
    if x.dim() < 2:
        raise ValueError(f"lengths needs inputs with a time axis (batch, time, ...), got shape "
                         f"{tuple(x.shape)}")
    if bool((lengths < 1).any()) or bool((lengths > x.shape[1]).any()):
        raise ValueError(f"every length must be between 1 and the inputs' time axis ({x.shape[1]}), "
                         f"got {int(lengths.min())} to {int(lengths.max())}")
    return lengths.long()


def _check_output(out, y: torch.Tensor) -> None:
    """Float targets must have the output's shape: broadcasting would train on a wrong loss."""
    if isinstance(out, torch.Tensor) and y.is_floating_point() and out.shape != y.shape:
        hint = ""
        if out.dim() == y.dim() - 1 and y.shape[-1] == 1:
            hint = "; drop the targets' last axis with y.squeeze(-1)"
        elif y.dim() == out.dim() - 1 and out.shape[-1] == 1:
            hint = "; add the feature axis to the targets with y.unsqueeze(-1)"
        raise ValueError(f"the model's output has shape {tuple(out.shape)} but the targets have "
                         f"shape {tuple(y.shape)}: they must match{hint}")


def _nonfinite(t: torch.Tensor) -> str:
    """'' if ``t`` is finite (or not floating point), else how many NaN / inf values it holds."""
    if not (t.is_floating_point() or t.is_complex()):
        return ""
    if not bool((~torch.isfinite(t)).any()):
        return ""
    bad = int((~torch.isfinite(t)).sum())
    nan = int(torch.isnan(t).sum())
    return ", ".join(f"{k} {w}" for k, w in ((nan, "NaN"), (bad - nan, "inf")) if k)


def _why_not_finite(model: nn.Module, xb: torch.Tensor, yb: torch.Tensor, name: str) -> str:
    """The cause of a non-finite loss or gradient that fit can see, with advice that fits it."""
    found = [f"its {part} hold {what} value(s)" for part, t in (("inputs", xb), ("targets", yb))
             if (what := _nonfinite(t))]
    if found:
        return (f": the {name} is not finite ({'; '.join(found)}). This is not a learning-rate "
                "problem: clean the data first (find the values with torch.isnan(x).nonzero(), "
                "then drop or fill them, e.g. torch.nan_to_num)")
    if any(_nonfinite(p.detach()) for p in model.parameters()):
        return (": the model's weights are no longer finite (a step that was too large, or "
                "weights that were NaN before fit began); re-initialise the model and try a "
                "smaller learning rate or gradient clipping")
    return "; try a smaller learning rate or gradient clipping"
