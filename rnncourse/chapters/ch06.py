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
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
import torch
from torch import nn

from .._validate import positive_int


__all__ = ["ALPHABET", "counting_strings", "encode", "running_count", "counting_data", "gate_trace"]

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

    ``rnn`` is a :class:`rnncourse.layers.Recurrent` (fast or not) or a model holding one as
    ``.rnn`` (:class:`rnncourse.models.SequenceRegressor`); ``x`` is one sequence
    ``(time, input)`` or ``(1, time, input)``. It is the layer's own ``record=True``: for an
    LSTM the keys are ``i, f, g, o, c, h``.
    """
    from ..layers import Recurrent

    rnn = getattr(rnn, "rnn", rnn)
    if not isinstance(rnn, Recurrent):
        raise TypeError(f"gate_trace expects an rc.layers.Recurrent or a model with one as .rnn, "
                        f"got {type(rnn).__name__}")
    if not isinstance(x, torch.Tensor) or x.dim() not in (2, 3):
        raise ValueError("gate_trace expects one sequence x of shape (time, input) or (1, time, input)")
    if x.dim() == 3 and x.shape[0] != 1:
        raise ValueError(f"gate_trace takes one sequence, got a batch of {x.shape[0]}")
    x = x if x.dim() == 3 else x.unsqueeze(0)                       # (1, time, input)
    p = next(rnn.parameters())
    _, _, records = rnn(x.to(device=p.device, dtype=p.dtype), record=True)
    return {k: v[0].cpu().numpy() for k, v in records[layer].items()}  # each (time, hidden)
