"""Exercise checks for chapter 6 (long short-term memory).

- :func:`lstm_step`: one LSTM step from the equations, with PyTorch's gate order i, f, g, o;
  the check names the mistake it suspects (gate order, a missing bias or one added twice,
  sigmoid and tanh swapped, a missing tanh on the cell state, the old cell state not forgotten,
  h and c flattened into one tensor, a transposed (H, batch) answer, float32 arithmetic). It
  never reshapes the answer to make it fit.
- :func:`n_params`: the parameter count of a stack of RNN or LSTM layers with a linear readout,
  written down by hand; compared with :func:`rnncourse.count_params`.
"""

from __future__ import annotations

import itertools

import numpy as np
import torch

from . import as_array, call, check, compare, fail, reject, unpack, whole_number

__all__ = ["lstm_step", "reference_lstm_step", "n_params", "reference_n_params"]

_ORDER = "ifgo"  # PyTorch's order of the stacked gates


def reference_lstm_step(x, h, c, W_x, W_h, b, *, order: str = _ORDER, bias: bool = True,
                        swap: bool = False, tanh_c: bool = True, forget: bool = True,
                        old_c: bool = False, output_gate: bool = True,
                        candidate_sigmoid: bool = False, recurrent: bool = True,
                        coupled: bool = False, bias_twice: bool = False,
                        sigmoid_c: bool = False, interleaved: bool = False):
    """One LSTM step; the keyword arguments produce the typical mistakes the check detects."""
    a = x @ W_x.T + (h @ W_h.T if recurrent else 0) + (b if bias else 0)  # (batch, 4H)
    if bias_twice:                                  # b added to both products, as b_ih and b_hh
        a = a + b
    if interleaved:                                 # a.view(batch, H, 4): gates taken unit by unit
        parts = dict(zip(order, a.reshape(a.shape[0], -1, 4).unbind(-1)))
    else:
        parts = dict(zip(order, a.chunk(4, dim=-1)))    # each (batch, H)
    gate, squash = (torch.tanh, torch.sigmoid) if swap else (torch.sigmoid, torch.tanh)
    i, f, o = gate(parts["i"]), gate(parts["f"]), gate(parts["o"])
    g = torch.sigmoid(parts["g"]) if candidate_sigmoid else squash(parts["g"])
    c_new = (f * c if forget else c) + (1 - f if coupled else i) * g  # (batch, H)
    c_out = c if old_c else c_new                   # the state h is computed from
    squash_c = torch.sigmoid if sigmoid_c else torch.tanh
    h_new = (o if output_gate else 1) * (squash_c(c_out) if tanh_c else c_out)
    return h_new, c_new


def _as_pair(got, what):
    return unpack(got, 2, what, ("h_new", "c_new"))


@check("6.1", expects="lstm_step(x, h, c, W_x, W_h, b) returning the pair (h_new, c_new), "
       "each a tensor of shape (batch, H), in the inputs' dtype (float64)",
       accepts=("numbers", "tuple of 2", "batch", "tensor"))
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
        "You returned (c_new, h_new): the order is (h_new, c_new), the hidden state first, as "
        "torch.nn.LSTMCell returns it.":
            torch.cat(reference_lstm_step(*args)[::-1], 1),
        "h_new is computed from the old cell state c; compute c_new first, then "
        "h_new = o * tanh(c_new).":
            torch.cat(reference_lstm_step(*args, old_c=True), 1),
        "The output gate is missing: h_new = o * tanh(c_new), not tanh(c_new).":
            torch.cat(reference_lstm_step(*args, output_gate=False), 1),
        "The candidate g uses tanh, not the sigmoid (only the gates i, f, o are sigmoids).":
            torch.cat(reference_lstm_step(*args, candidate_sigmoid=True), 1),
        "The recurrent term is missing: every gate reads h @ W_h.T as well as x @ W_x.T.":
            torch.cat(reference_lstm_step(*args, recurrent=False), 1),
        "You wrote (1 - f) * g: that is the coupled-gate variant; the standard cell writes "
        "i * g, with its own input gate.":
            torch.cat(reference_lstm_step(*args, coupled=True), 1),
        "You added the bias b twice (to x @ W_x.T and to h @ W_h.T, as torch.nn.LSTMCell's "
        "bias_ih and bias_hh); there is one bias here: x @ W_x.T + h @ W_h.T + b.":
            torch.cat(reference_lstm_step(*args, bias_twice=True), 1),
        "h_new = o * tanh(c_new): you squashed the cell state with the sigmoid, which would "
        "make h_new positive whenever o is; the cell state needs tanh, which keeps its sign.":
            torch.cat(reference_lstm_step(*args, sigmoid_c=True), 1),
        "The gates are interleaved: you split the 4H pre-activations unit by unit (as "
        "a.view(batch, H, 4) does); they are stacked in four blocks of H, i then f then g then "
        "o, so take a.chunk(4, dim=-1) (or a.view(batch, 4, H)).":
            torch.cat(reference_lstm_step(*args, interleaved=True), 1),
        **mistakes,
    }
    raw = call(student_fn, *args)
    if isinstance(raw, torch.Tensor):
        flat = raw.detach().to(torch.float64)
        for layout, value in (("concatenated along the units", expected),
                              ("stacked", torch.stack([h_ref, c_ref]))):
            if flat.numel() == value.numel() and torch.allclose(
                    flat.reshape(value.shape), value, rtol=1e-6, atol=1e-8):
                fail(f"you returned h_new and c_new flattened into one tensor ({layout}, shape "
                     f"{tuple(raw.shape)}); return the pair (h_new, c_new), two tensors of shape "
                     f"({batch}, {H})")
    got = _as_pair(raw, "lstm_step")
    for name, value, ref_value in zip(("h_new", "c_new"), got, (h_ref, c_ref)):
        if (isinstance(value, torch.Tensor) and tuple(value.shape) == (H, batch)
                and torch.allclose(value.detach().to(torch.float64).T, ref_value, rtol=1e-6, atol=1e-8)):
            fail(f"{name} is transposed: it has shape ({H}, {batch}) = (H, batch); batches are "
                 f"rows, so return shape ({batch}, {H}) = (batch, H) (compute x @ W_x.T, not W_x @ x.T)")
        as_array(value, name, tensor=True, shape=(batch, H), finite=False)
        if value.dtype in (torch.float32, torch.float16, torch.bfloat16):
            fail(f"{name} is {str(value.dtype).replace('torch.', '')} (float32 precision keeps "
                 f"only about {7 if value.dtype == torch.float32 else 3} significant digits); "
                 "expected float64 like the inputs: keep their dtype (no .float(), no "
                 "dtype=torch.float32)")
    got = torch.cat([torch.as_tensor(v).detach() for v in got], 1)  # keeps a float32 visible
    compare(got, expected, "(h_new, c_new)", rtol=1e-7, atol=1e-9, mistakes=mistakes)
    return "your LSTM step matches torch.nn.LSTMCell in float64"


_CONFIGS = [  # (kind, input_size, hidden_sizes, output_size)
    ("rnn", 1, [5], 1), ("lstm", 1, [5], 1), ("rnn", 1, [10], 1), ("lstm", 1, [5, 3], 1),
    ("lstm", 3, [4], 2), ("rnn", 2, [7, 4], 3), ("lstm", 1, [25], 1), ("lstm", 2, [6, 5, 2], 1),
]


def _is_float(value) -> bool:
    """A float, NumPy float, or floating tensor/array: a count computed with `/`."""
    if isinstance(value, (float, np.floating)):
        return True
    if isinstance(value, torch.Tensor):
        return value.is_floating_point()
    return isinstance(value, np.ndarray) and value.dtype.kind == "f"


def reference_n_params(kind, input_size, hidden_sizes, output_size, *, readout=True,
                       biases_per_gate=1, gates=True, same_input=False, lstm_blocks=4,
                       bias_per_layer=False, readout_from_first=False, last_layer_only=False,
                       recurrent=True, rnn_blocks=1):
    """Parameter count; the keyword arguments produce the typical mistakes.

    With the defaults it is the package's one formula, :func:`rnncourse.cells.param_count`.
    """
    from ..cells import param_count

    mistaken = (not readout or biases_per_gate != 1 or not gates or same_input or lstm_blocks != 4
                or bias_per_layer or readout_from_first or last_layer_only or not recurrent
                or rnn_blocks != 1)
    if not mistaken:
        return param_count(kind, input_size, hidden_sizes, output_size)
    total, n_in = 0, input_size
    for H in hidden_sizes:
        k = (lstm_blocks if kind == "lstm" else rnn_blocks) if gates else 1
        layer = k * (H * n_in + (H * H if recurrent else 0)) + (1 if bias_per_layer else k * biases_per_gate) * H
        total = layer if last_layer_only else total + layer
        n_in = input_size if same_input else H
    if readout:
        H_read = hidden_sizes[0] if readout_from_first else hidden_sizes[-1]
        total += output_size * H_read + output_size
    return total


@check("6.2", expects="n_params(kind, input_size, hidden_sizes, output_size) returning a whole "
       "number: the trainable weights of the stacked layers and the linear readout",
       accepts=("count",))
def n_params(student_fn):
    """Exercise 6.2: ``n_params(kind, input_size, hidden_sizes, output_size) -> int``."""
    from ..models import SequenceRegressor
    from ..utils import count_params

    expected = [count_params(SequenceRegressor(*cfg)) for cfg in _CONFIGS]
    assert expected == [reference_n_params(*cfg) for cfg in _CONFIGS]
    got = []
    for cfg in _CONFIGS:
        value = call(student_fn, *cfg)
        if value is None:
            reject(f"n_params{cfg} returned None; expected a number (did you forget `return`?)")
        count = whole_number(value, f"n_params{cfg}")
        if _is_float(value):
            reject(f"n_params{cfg} returned {value!r}, a float; a count of weights is a whole "
                   "number, so return an int (a float comes from `/` or from a float factor "
                   "somewhere: use `//`, or int(...) at the end)")
        got.append(count)
    mistakes = {
        "You left out the linear readout (W_hy and b_y).":
            [reference_n_params(*cfg, readout=False) for cfg in _CONFIGS],
        "You counted two bias vectors per gate, as torch.nn does; the lecture has one.":
            [reference_n_params(*cfg, biases_per_gate=2) for cfg in _CONFIGS],
        "You left out the bias vectors.":
            [reference_n_params(*cfg, biases_per_gate=0) for cfg in _CONFIGS],
        "The readout's bias b_y is missing: the linear readout has output_size * H weights "
        "plus output_size biases.":
            [reference_n_params(*cfg) - cfg[3] for cfg in _CONFIGS],
        "An LSTM layer has four sets of weights (gates i, f, o and the candidate g); "
        "you counted one.":
            [reference_n_params(*cfg, gates=False) for cfg in _CONFIGS],
        "A stacked layer's input is the previous layer's hidden state, not the network's input.":
            [reference_n_params(*cfg, same_input=True) for cfg in _CONFIGS],
        "You counted one bias vector per LSTM layer; each of the four blocks (i, f, g, o) has "
        "its own bias, 4 * H per layer.":
            [reference_n_params(*cfg, bias_per_layer=True) for cfg in _CONFIGS],
        "You counted three blocks per LSTM layer; there are four: the gates i, f, o and the "
        "candidate g, each with its own weights and bias.":
            [reference_n_params(*cfg, lstm_blocks=3) for cfg in _CONFIGS],
        "Your readout is sized from the first layer; it reads the last layer's state, so it has "
        "output_size * hidden_sizes[-1] weights plus output_size biases.":
            [reference_n_params(*cfg, readout_from_first=True) for cfg in _CONFIGS],
        "You counted only the last layer (did you write total = ... instead of total += ... in "
        "the loop?); add up the weights of every layer.":
            [reference_n_params(*cfg, last_layer_only=True) for cfg in _CONFIGS],
        "You left out the recurrent weights W_hh (H * H per block): each layer reads its own "
        "previous state h_{t-1} as well as its input.":
            [reference_n_params(*cfg, recurrent=False) for cfg in _CONFIGS],
        "You counted four blocks for the simple RNN too; an RNN layer has one block (W_xh, "
        "W_hh and b_h), only the LSTM has four (i, f, o and g).":
            [reference_n_params(*cfg, rnn_blocks=4) for cfg in _CONFIGS],
    }
    if got != expected:
        if not any(got == wrong for wrong in mistakes.values()):
            (kind, n_in, hs, n_out), g, e = next((cfg, g, e) for cfg, g, e in zip(_CONFIGS, got, expected)
                                                 if g != e)
            wrong_kinds = sorted({cfg[0] for cfg, g_, e_ in zip(_CONFIGS, got, expected) if g_ != e_})
            fail(f"For {kind} {n_in} -> {hs} -> {n_out} you gave {g}, expected {e} (a difference "
                 f"of {g - e:+d}); your count is wrong for {' and '.join(wrong_kinds)} models. Count "
                 "one layer at a time: the weights from its input, from its own previous state, the "
                 "biases, per block; then the readout.")
        compare(got, expected, "your list of counts", mistakes=mistakes)
    return "your counts match rc.count_params on " + ", ".join(
        f"{k} {'-'.join(map(str, hs))}" for k, _, hs, _ in _CONFIGS[:4]) + " and four more models"
