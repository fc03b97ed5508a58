"""Chapter 6 (LSTM): counting strings and gate recordings.

The task: read a string such as ``"abb abab ab"`` one character at a time and output, after
every character, how many ``a`` have been seen so far. A small LSTM learns it by using one cell
as a counter, and :func:`gate_trace` shows how: it writes a fixed amount (input gate times
candidate) on every ``a``, its forget gate stays near one, and its cell state climbs one step
per ``a``.

- :func:`counting_strings` generates strings from the alphabet ``"ab "`` with a seed;
- :func:`encode` turns them into one-hot tensors ``(batch, time, 3)``;
- :func:`running_count` gives the targets ``(batch, time, 1)``;
- :func:`counting_data` does all three at once;
- :func:`gate_trace` records ``i, f, g, o, c, h`` of a trained layer over one string.

Chapter 5's first-input recall task comes back as the LSTM's payoff: :func:`recall_run` trains
one classifier (a simple RNN or an LSTM, optionally with an open forget gate) on it with
chapter 5's budget and reports its test accuracy and how much gradient reaches the cue.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np
import torch
from torch import nn

from .._validate import positive_int


__all__ = ["ALPHABET", "counting_strings", "encode", "running_count", "counting_data", "gate_trace",
           "recall_cue_gradient",
           "RecallRun", "recall_run"]

ALPHABET = "ab "  # the characters of the task, in the order of the one-hot code


def counting_strings(n: int, length: int, seed: int = 0,
                     probs: Sequence[float] = (0.4, 0.4, 0.2)) -> list[str]:
    """``n`` random strings of ``length`` characters drawn from :data:`ALPHABET`.

    ``probs`` are the probabilities of ``"a"``, ``"b"`` and ``" "``. The same ``seed`` gives
    the same strings.
    """
    positive_int(n, "n")
    positive_int(length, "length")
    p = np.asarray(probs, dtype=np.float64)
    if p.shape != (len(ALPHABET),) or np.any(p < 0) or not np.isclose(p.sum(), 1.0):
        raise ValueError(f"probs must be {len(ALPHABET)} non-negative numbers summing to 1, got {probs!r}")
    rng = np.random.default_rng(seed)
    codes = rng.choice(len(ALPHABET), size=(n, length), p=p)  # (n, length)
    return ["".join(ALPHABET[k] for k in row) for row in codes]


def _check_strings(strings) -> list[str]:
    if isinstance(strings, str):
        strings = [strings]
    strings = list(strings)
    if not strings:
        raise ValueError("expected at least one string, got none")
    for s in strings:
        if not isinstance(s, str):
            raise TypeError(f"expected strings, got {type(s).__name__}")
        if not s:
            raise ValueError("got an empty string: every string needs at least one character")
        bad = sorted(set(s) - set(ALPHABET))
        if bad:
            raise ValueError(f"unknown character(s) {bad} in {s!r}: the alphabet is {ALPHABET!r}")
    if len({len(s) for s in strings}) != 1:
        raise ValueError(f"all strings must have the same length, got lengths {sorted({len(s) for s in strings})}")
    return strings


def encode(strings) -> torch.Tensor:
    """One-hot code of one string or a list of equally long strings: ``(batch, time, 3)``."""
    strings = _check_strings(strings)
    idx = torch.tensor([[ALPHABET.index(ch) for ch in s] for s in strings])  # (batch, time)
    return nn.functional.one_hot(idx, len(ALPHABET)).float()               # (batch, time, 3)


def running_count(strings, char: str = "a") -> torch.Tensor:
    """How many ``char`` have been read up to and including each step: ``(batch, time, 1)``."""
    strings = _check_strings(strings)
    if char not in ALPHABET:
        raise ValueError(f"char must be one of {ALPHABET!r}, got {char!r}")
    hits = torch.tensor([[float(ch == char) for ch in s] for s in strings])  # (batch, time)
    return hits.cumsum(dim=1).unsqueeze(-1)                                  # (batch, time, 1)


def counting_data(n: int, length: int, seed: int = 0):
    """``(x, y, strings)``: one-hot inputs ``(n, length, 3)``, counts ``(n, length, 1)``."""
    strings = counting_strings(n, length, seed=seed)
    return encode(strings), running_count(strings), strings


@torch.no_grad()
def gate_trace(rnn, x: torch.Tensor, layer: int = 0) -> dict[str, np.ndarray]:
    """The gates and states of one layer over one sequence, as NumPy arrays ``(time, hidden)``.

    ``rnn`` is a :class:`rnncourse.layers.Recurrent`, a :class:`rnncourse.fast.FastRecurrent`
    or a model holding one as ``.rnn`` (:class:`rnncourse.models.SequenceRegressor`); ``x`` is
    one sequence ``(time, input)`` or ``(1, time, input)``. It is the layer's own
    ``record=True`` (a fast layer's from-scratch twin's): for an LSTM the keys are
    ``i, f, g, o, c, h``.
    """
    from ..fast import FastRecurrent
    from ..layers import Recurrent

    rnn = getattr(rnn, "rnn", rnn)
    if not isinstance(rnn, (Recurrent, FastRecurrent)):
        raise TypeError(f"gate_trace expects an rc.layers.Recurrent, an rc.fast.FastRecurrent "
                        f"or a model with one as .rnn, got {type(rnn).__name__}")
    if not isinstance(x, torch.Tensor) or x.dim() not in (2, 3):
        raise ValueError("gate_trace expects one sequence x of shape (time, input) or (1, time, input)")
    if x.dim() == 3 and x.shape[0] != 1:
        raise ValueError(f"gate_trace takes one sequence, got a batch of {x.shape[0]}")
    x = x if x.dim() == 3 else x.unsqueeze(0)                       # (1, time, input)
    p = next(rnn.parameters())
    if isinstance(rnn, FastRecurrent):
        rnn = rnn.from_scratch()                                    # torch.nn hides its gates
    _, _, records = rnn(x.to(device=p.device, dtype=p.dtype), record=True)
    return {k: v[0].cpu().numpy() for k, v in records[layer].items()}  # each (time, hidden)


@dataclass
class RecallRun:
    """One training run of :func:`recall_run`."""

    accuracy: float        # on the test sequences
    loss: float            # final training loss (chance: ln 4 = 1.386)
    weights: int           # trainable parameters of the whole classifier
    cue_gradient: float    # at initialisation: ||dL/dx_0|| / ||dL/dx_T|| (the cue against the last input)


def _recall_setup(kind, delay, seed, forget_bias, hidden, n_train):
    """The training data and the initialised classifier that :func:`recall_run` trains."""
    from ..data import first_input_recall
    from ..fast import FastRecurrent
    from ..layers import set_forget_bias
    from ..models import LastStepClassifier
    from ..utils import set_seed

    if kind not in ("rnn", "lstm", "gru"):
        raise ValueError(f"kind must be 'rnn', 'lstm' or 'gru', got {kind!r}")
    if forget_bias is not None and kind != "lstm":
        raise ValueError(f"forget_bias applies to an LSTM, got kind {kind!r}")
    delay = positive_int(delay, "delay")
    x_tr, y_tr = first_input_recall(positive_int(n_train, "n_train"), delay, noise=1.0, seed=1)
    set_seed(seed)
    model = LastStepClassifier(FastRecurrent(kind, 4, positive_int(hidden, "hidden")), 4)
    if forget_bias is not None:
        set_forget_bias(model.rnn, forget_bias)
    return model, x_tr, y_tr


def _cue_gradient(model, x, y) -> float:
    """||dL/dx_0|| / ||dL/dx_T|| for the cross-entropy of ``model`` on ``(x, y)``."""
    import torch.nn.functional as F

    x_grad = x.clone().requires_grad_(True)
    (g,) = torch.autograd.grad(F.cross_entropy(model(x_grad), y), x_grad)  # (n, delay + 1, 4)
    return float(g[:, 0].norm() / g[:, -1].norm())


def recall_cue_gradient(kind: str, delay: int = 50, seed: int = 0,
                        forget_bias: float | None = None, hidden: int = 32,
                        n_train: int = 1000) -> tuple[int, float]:
    """The untrained half of :func:`recall_run`: ``(weights, cue_gradient)`` of the model that
    ``recall_run`` with the same arguments would train, without training it."""
    from ..utils import count_params

    model, x_tr, y_tr = _recall_setup(kind, delay, seed, forget_bias, hidden, n_train)
    return count_params(model), _cue_gradient(model, x_tr, y_tr)


def recall_run(kind: str, delay: int = 50, seed: int = 0, forget_bias: float | None = None,
               hidden: int = 32, epochs: int = 100, n_train: int = 1000, n_test: int = 1000,
               lr: float = 1e-2, device=None) -> RecallRun:
    """Train a classifier on chapter 5's first-input recall task (4 classes, noise 1.0).

    The model is ``LastStepClassifier(FastRecurrent(kind, 4, hidden), 4)``; ``kind`` is
    ``"rnn"``, ``"lstm"`` or ``"gru"``; ``forget_bias`` (LSTM only) sets the initial
    forget-gate bias with :func:`rnncourse.layers.set_forget_bias`. The budget is chapter 5's:
    ``n_train`` sequences (data seed 1), full-batch Adam for ``epochs`` steps at ``lr`` with
    the gradient norm clipped at 1, then accuracy on ``n_test`` new sequences (data seed 2).
    ``seed`` sets the initial weights. Before training, the cross-entropy on the training set
    is differentiated with respect to the inputs: ``cue_gradient`` is the norm of that gradient
    at the cue (step 0) divided by its norm at the last step, which tells how much of the
    learning signal can reach the cue.
    """
    import torch.nn.functional as F

    from ..data import first_input_recall
    from ..metrics import accuracy
    from ..train import fit
    from ..utils import count_params

    model, x_tr, y_tr = _recall_setup(kind, delay, seed, forget_bias, hidden, n_train)
    x_te, y_te = first_input_recall(positive_int(n_test, "n_test"), delay, noise=1.0, seed=2)
    cue_gradient = _cue_gradient(model, x_tr, y_tr)
    history = fit(model, (x_tr, y_tr), loss_fn=F.cross_entropy, epochs=positive_int(epochs, "epochs"),
                  lr=lr, clip_norm=1.0, seed=seed, device=device)
    return RecallRun(accuracy(model, x_te, y_te), float(history.loss[-1]), count_params(model),
                     cue_gradient)
