"""Exercise checks for chapter 6 (long short-term memory).

- :func:`lstm_step`: one LSTM step from the equations, with PyTorch's gate order i, f, g, o;
  the check names the mistake it suspects (gate order, missing bias, sigmoid and tanh
  swapped, a missing tanh on the cell state, the old cell state not forgotten).
- :func:`n_params`: the parameter count of a stack of RNN or LSTM layers with a linear readout,
  written down by hand; compared with :func:`rnncourse.count_params`.
"""

from __future__ import annotations

import itertools

import torch

from . import call, check, compare, fail

__all__ = ["lstm_step", "reference_lstm_step", "n_params", "reference_n_params"]

_ORDER = "ifgo"  # PyTorch's order of the stacked gates


def reference_lstm_step(x, h, c, W_x, W_h, b, *, order: str = _ORDER, bias: bool = True,
                        swap: bool = False, tanh_c: bool = True, forget: bool = True):
    """One LSTM step; the keyword arguments produce the typical mistakes the check detects."""
    a = x @ W_x.T + h @ W_h.T + (b if bias else 0)  # (batch, 4H)
    parts = dict(zip(order, a.chunk(4, dim=-1)))    # each (batch, H)
    gate, squash = (torch.tanh, torch.sigmoid) if swap else (torch.sigmoid, torch.tanh)
    i, f, o = gate(parts["i"]), gate(parts["f"]), gate(parts["o"])
    g = squash(parts["g"])
    c_new = (f * c if forget else c) + i * g        # (batch, H)
    h_new = o * (torch.tanh(c_new) if tanh_c else c_new)
    return h_new, c_new


def _as_pair(got, what):
    if not isinstance(got, (tuple, list)) or len(got) != 2:
        fail(f"{what} should return the pair (h_new, c_new), got {type(got).__name__}")
    return got


@check("6.1")
def lstm_step(student_fn):
    """Exercise 6.1: ``lstm_step(x, h, c, W_x, W_h, b) -> (h_new, c_new)``."""
    gen = torch.Generator().manual_seed(6)
    batch, I, H = 3, 2, 4
    rnd = lambda *s: torch.randn(*s, generator=gen, dtype=torch.float64)  # noqa: E731
    x, h, c = rnd(batch, I), rnd(batch, H), rnd(batch, H)
    W_x, W_h, b = rnd(4 * H, I), rnd(4 * H, H), rnd(4 * H)
    args = (x, h, c, W_x, W_h, b)

    # the same reference through torch.nn.LSTMCell, so the check cannot drift from torch
    ref = torch.nn.LSTMCell(I, H).double()
    with torch.no_grad():
        ref.weight_ih.copy_(W_x), ref.weight_hh.copy_(W_h)
        ref.bias_ih.copy_(b), ref.bias_hh.zero_()
        h_ref, c_ref = ref(x, (h, c))
    expected = torch.cat([h_ref, c_ref], dim=1)  # (batch, 2H)

    mistakes = {}
    for order in ("".join(p) for p in itertools.permutations(_ORDER)):
        if order != _ORDER:
            mistakes[f"The gate order looks wrong: you read the stacked weights as "
                     f"{', '.join(order)}; PyTorch's order is i, f, g, o."] = torch.cat(
                reference_lstm_step(*args, order=order), 1)
    mistakes = {
        "The bias b is missing: add it to the pre-activation of every gate.":
            torch.cat(reference_lstm_step(*args, bias=False), 1),
        "Sigmoid and tanh are swapped: the gates i, f, o use the sigmoid, the candidate g tanh.":
            torch.cat(reference_lstm_step(*args, swap=True), 1),
        "h_new should be o * tanh(c_new); you left out the tanh.":
            torch.cat(reference_lstm_step(*args, tanh_c=False), 1),
        "The old cell state must be multiplied by the forget gate: c_new = f * c + i * g.":
            torch.cat(reference_lstm_step(*args, forget=False), 1),
        **mistakes,
    }
    got = _as_pair(call(student_fn, *args), "lstm_step")
    got = torch.cat([torch.as_tensor(got[0], dtype=torch.float64).reshape(batch, -1),
                     torch.as_tensor(got[1], dtype=torch.float64).reshape(batch, -1)], 1)
    if got.shape != expected.shape:
        fail(f"h_new and c_new should each have shape ({batch}, {H}); together they have "
             f"{got.shape[1]} columns instead of {2 * H}")
    compare(got, expected, "(h_new, c_new)", rtol=1e-7, atol=1e-9, mistakes=mistakes)
    return "your LSTM step matches torch.nn.LSTMCell in float64"


_CONFIGS = [  # (kind, input_size, hidden_sizes, output_size)
    ("rnn", 1, [5], 1), ("lstm", 1, [5], 1), ("rnn", 1, [10], 1), ("lstm", 1, [5, 3], 1),
    ("lstm", 3, [4], 2), ("rnn", 2, [7, 4], 3), ("lstm", 1, [25], 1), ("lstm", 2, [6, 5, 2], 1),
]
_GATES = {"rnn": 1, "lstm": 4}


def reference_n_params(kind, input_size, hidden_sizes, output_size, *, readout=True,
                       biases_per_gate=1, gates=True, same_input=False):
    """Parameter count; the keyword arguments produce the typical mistakes."""
    total, n_in = 0, input_size
    for H in hidden_sizes:
        k = _GATES[kind] if gates else 1
        total += k * (H * n_in + H * H + biases_per_gate * H)
        n_in = input_size if same_input else H
    if readout:
        total += output_size * hidden_sizes[-1] + output_size
    return total


@check("6.2")
def n_params(student_fn):
    """Exercise 6.2: ``n_params(kind, input_size, hidden_sizes, output_size) -> int``."""
    from ..models import SequenceRegressor
    from ..utils import count_params

    expected = [count_params(SequenceRegressor(*cfg)) for cfg in _CONFIGS]
    assert expected == [reference_n_params(*cfg) for cfg in _CONFIGS]
    got = []
    for cfg in _CONFIGS:
        value = call(student_fn, *cfg)
        try:
            got.append(float(value))
        except (TypeError, ValueError):
            fail(f"n_params{cfg} returned {value!r}; expected a number")
    mistakes = {
        "You left out the linear readout (W_hy and b_y).":
            [reference_n_params(*cfg, readout=False) for cfg in _CONFIGS],
        "You counted two bias vectors per gate, as torch.nn does; the lecture has one.":
            [reference_n_params(*cfg, biases_per_gate=2) for cfg in _CONFIGS],
        "You left out the bias vectors.":
            [reference_n_params(*cfg, biases_per_gate=0) for cfg in _CONFIGS],
        "An LSTM layer has four sets of weights (gates i, f, o and the candidate g); "
        "you counted one.":
            [reference_n_params(*cfg, gates=False) for cfg in _CONFIGS],
        "A stacked layer's input is the previous layer's hidden state, not the network's input.":
            [reference_n_params(*cfg, same_input=True) for cfg in _CONFIGS],
    }
    for (cfg, g, e) in zip(_CONFIGS, got, expected):
        if g != e:
            compare(got, expected, "the counts", mistakes=mistakes)
    return "your counts match rc.count_params on " + ", ".join(
        f"{k} {'-'.join(map(str, hs))}" for k, _, hs, _ in _CONFIGS[:4]) + " and four more models"
