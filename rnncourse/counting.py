"""Counting strings and gate recordings (chapter 6).

The task: read a string such as ``"abb abab ab"`` one character at a time and output, after
every character, how many ``a`` have been seen so far. A small LSTM learns it by using one cell
as a counter, and :func:`record_gates` shows how: it writes a fixed amount (input gate times
candidate) on every ``a``, its forget gate stays near one, and its cell state climbs one step
per ``a``.

- :func:`counting_strings` generates strings from the alphabet ``"ab "`` with a seed;
- :func:`encode` turns them into one-hot tensors ``(batch, time, 3)``;
- :func:`running_count` gives the targets ``(batch, time, 1)``;
- :func:`counting_data` does all three at once;
- :func:`lstm_cell_of` copies one LSTM layer of a trained model into a from-scratch
  :class:`rnncourse.cells.LSTMCell`, whose gates can be read out;
- :func:`record_gates` runs that cell over one sequence and records ``i, f, g, o, c, h``.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
import torch
from torch import nn

from .cells import LSTMCell

__all__ = ["ALPHABET", "counting_strings", "encode", "running_count", "counting_data",
           "lstm_cell_of", "record_gates"]

ALPHABET = "ab "  # the characters of the task, in the order of the one-hot code


def counting_strings(n: int, length: int, seed: int = 0,
                     probs: Sequence[float] = (0.4, 0.4, 0.2)) -> list[str]:
    """``n`` random strings of ``length`` characters drawn from :data:`ALPHABET`.

    ``probs`` are the probabilities of ``"a"``, ``"b"`` and ``" "``. The same ``seed`` gives
    the same strings.
    """
    for name, v in (("n", n), ("length", length)):
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 1:
            raise ValueError(f"{name} must be a positive integer, got {v!r}")
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


def lstm_cell_of(model: nn.Module, layer: int = 0) -> LSTMCell:
    """A from-scratch :class:`LSTMCell` with the weights of one LSTM layer of ``model``.

    ``model`` may be a :class:`rnncourse.models.FastSequenceRegressor` or
    :class:`~rnncourse.models.SequenceRegressor` of kind ``"lstm"``, a ``torch.nn.LSTM``
    (one layer, no projection) or a ``torch.nn.LSTMCell``. The two biases of torch's layers
    are folded into one, which is exact.
    """
    if isinstance(model, LSTMCell):
        return model
    if isinstance(model, nn.LSTMCell):
        return LSTMCell.from_torch(model)
    if hasattr(model, "rnn") and hasattr(model.rnn, "cells"):  # SequenceRegressor
        cell = model.rnn.cells[layer]
        if not isinstance(cell, LSTMCell):
            raise TypeError(f"layer {layer} of this model is a {type(cell).__name__}, not an LSTMCell")
        return cell
    if hasattr(model, "layers"):  # FastSequenceRegressor
        model = model.layers[layer]
    if not isinstance(model, nn.LSTM):
        raise TypeError(f"lstm_cell_of expects an LSTM model or layer, got {type(model).__name__}")
    if model.num_layers != 1 or model.bidirectional or model.proj_size or not model.bias:
        raise ValueError("lstm_cell_of handles a one-layer, one-direction nn.LSTM with biases "
                         "and no projection")
    w = model.weight_ih_l0
    cell = LSTMCell(model.input_size, model.hidden_size).to(dtype=w.dtype, device=w.device)
    with torch.no_grad():
        cell.weight_x.copy_(model.weight_ih_l0)
        cell.weight_h.copy_(model.weight_hh_l0)
        cell.bias.copy_(model.bias_ih_l0 + model.bias_hh_l0)
    return cell


@torch.no_grad()
def record_gates(cell: LSTMCell, x: torch.Tensor) -> dict[str, np.ndarray]:
    """Run ``cell`` over one sequence and record its gates and states at every step.

    ``x`` has shape ``(time, input_size)`` or ``(1, time, input_size)``. Returns NumPy arrays of
    shape ``(time, hidden)`` under the keys ``i``, ``f``, ``g`` (candidate), ``o``, ``c`` and
    ``h``, starting from the zero state.
    """
    if not isinstance(cell, LSTMCell):
        raise TypeError(f"record_gates expects an rnncourse.cells.LSTMCell, got {type(cell).__name__}"
                        " (use lstm_cell_of(model) first)")
    if x.dim() == 3:
        if x.shape[0] != 1:
            raise ValueError(f"record_gates takes one sequence, got a batch of {x.shape[0]}")
        x = x[0]
    if x.dim() != 2 or x.shape[1] != cell.input_size:
        raise ValueError(f"record_gates expects x of shape (time, {cell.input_size}), got {tuple(x.shape)}")
    if x.shape[0] == 0:
        raise ValueError("record_gates got an empty sequence")
    p = next(cell.parameters())
    x = x.to(device=p.device, dtype=p.dtype)
    state = cell.init_state(1, p.device, p.dtype)
    out = {k: [] for k in "ifgoch"}
    for t in range(x.shape[0]):
        xt = x[t:t + 1]                      # (1, input)
        for k, v in cell.gates(xt, state).items():
            out[k].append(v[0])
        state = cell(xt, state)              # (h, c), each (1, hidden)
        out["h"].append(state[0][0])
        out["c"].append(state[1][0])
    return {k: torch.stack(v).cpu().numpy() for k, v in out.items()}  # each (time, hidden)
