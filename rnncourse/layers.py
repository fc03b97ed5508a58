"""The one sequence layer of the course: any cell over a sequence (chapters 3 to 12).

:class:`Recurrent` runs cells over ``x`` of shape ``(batch, time, input)`` and returns
``(outputs, states)``: the last layer's outputs at every step and every layer's final state.
It stacks layers, runs each layer in both directions (``bidirectional=True``: forward and
backward outputs concatenated, ``[h_fwd; h_bwd]``), adds residual connections between stacked
layers (``residual=True``), and records gate activations (``record=True``, with their
gradients). The cells are any of :mod:`rnncourse.cells`, or a cell of your own (an
``nn.Module`` with ``hidden_size`` whose ``forward(x_t, state)`` returns the next state).

The same models on PyTorch's fused layers (``torch.nn.RNN`` / ``LSTM`` / ``GRU``, cuDNN on a
GPU) are :class:`rnncourse.fast.FastRecurrent`; its ``from_scratch()`` gives the equivalent
:class:`Recurrent`, and :meth:`Recurrent.from_torch` loads any ``torch.nn`` layer.

States: a layer's state is its cell's state (``h``, or ``(h, c)`` for the LSTM), or for a
bidirectional layer the pair ``(forward_state, backward_state)``. ``states`` is the list of
layer states. Pass it back in to continue a sequence (truncated BPTT); detach it first
(:func:`rnncourse.train.detach_state`) if the gradient should stop there.

Every time loop iterates over ``x.unbind(1)``: indexing ``x[:, t]`` inside the loop would make
the backward pass quadratic in the length.
"""

from __future__ import annotations

import math
from typing import Sequence

import torch
from torch import nn

from ._validate import cell_output, layer_cells, layer_input, layer_kind, layer_sizes, sequence_tensor
from .cells import LSTMCell, make_cell, output_of

__all__ = ["Recurrent", "run_cell", "set_forget_bias"]


def run_cell(cell: nn.Module, x: torch.Tensor, state=None, record: bool = False):
    """Run one cell over ``x`` ``(batch, time, input)``; return ``(outputs, state, record)``.

    ``outputs`` is ``(batch, time, hidden)``; ``record`` is None, or (``record=True``) a dict
    of ``(batch, time, hidden)`` tensors: the cell's gates (``i, f, g, o, c`` for the LSTM,
    ``r, z, n`` for the GRU) and ``h``. Cells of :mod:`rnncourse.cells` project the input of
    all steps with one matrix product; other cells are called step by step.
    """
    sequence_tensor(x, getattr(cell, "input_size", None), "run_cell")
    if not (hasattr(cell, "project_input") and hasattr(cell, "step")):
        cell = _StepByStep(cell)                     # a cell with only forward(x_t, state)
    if state is None:
        state = cell.init_state(x.shape[0], x.device, x.dtype)
    else:
        cell.check_state(state, x.shape[0])
    outs, recs = [], []
    for a_t in cell.project_input(x).unbind(1):            # each (batch, gates*H): W_x x_t + b
        r = {} if record else None
        state = cell.step(a_t, state, r)                   # the recurrence
        outs.append(output_of(state))                      # h_t: (batch, hidden)
        recs.append(r)
    y = torch.stack(outs, dim=1)                           # (batch, time, hidden)
    if not record:
        return y, state, None
    gates = {k: torch.stack([r[k] for r in recs], dim=1) for k in recs[0]}   # (batch, time, H)
    return y, state, {**gates, "h": y}


class _StepByStep:
    """A cell that only has ``forward(x_t, state)`` (a student's own) in the form of the
    package's cells: no input projection, and a step that is the cell's forward."""

    def __init__(self, cell: nn.Module):
        self.cell = cell
        self.zeros = None          # the state this adapter made, if the cell has no init_state

    def init_state(self, batch: int, device, dtype):
        if hasattr(self.cell, "init_state"):
            return self.cell.init_state(batch, device, dtype)
        self.zeros = torch.zeros(batch, self.cell.hidden_size, device=device, dtype=dtype)
        return self.zeros

    def check_state(self, state, batch: int) -> None:
        if hasattr(self.cell, "check_state"):
            self.cell.check_state(state, batch)

    def project_input(self, x: torch.Tensor) -> torch.Tensor:
        return x

    def step(self, x_t: torch.Tensor, state, record=None):
        try:
            state = self.cell(x_t, state)
        except (ValueError, TypeError) as error:   # e.g. `h, c = state` on one tensor
            if state is not self.zeros:            # not the first step from the zeros made here
                raise
            raise TypeError(
                f"{type(self.cell).__name__}.forward(x_t, state) raised an error at the first "
                "step. The cell has no init_state method, so Recurrent started its state as one "
                f"tensor of zeros (batch, hidden_size) = {tuple(state.shape)}; a cell whose state is "
                "something else, such as an LSTM's (h, c), needs init_state(batch, device, dtype) "
                f"that returns it. The error: {type(error).__name__}: {error}") from error
        cell_output(self.cell, output_of(state), x_t.shape[0])   # (batch, hidden), or say so
        return state


def _flip(record):
    return None if record is None else {k: v.flip(1) for k, v in record.items()}


class Recurrent(nn.Module):
    """Stacked, optionally bidirectional and residual, recurrent layers over any cell.

    ``Recurrent("lstm", 1, [5, 3])``: an LSTM layer of 5 units feeding one of 3; the kind is a
    key of :data:`rnncourse.cells.CELLS` (``"rnn"``, ``"lstm"``, ``"gru"``) and ``cell_kwargs``
    go to every cell (``nonlinearity="relu"``, ``reset_after=True``). ``Recurrent(cell)`` runs
    one cell instance; ``Recurrent([cell_1, cell_2])`` stacks instances, and for
    ``bidirectional=True`` takes one ``(forward, backward)`` pair per layer.

    - ``bidirectional``: each layer runs forward and backward in time; its output is
      ``[h_fwd; h_bwd]`` (width ``2 H``).
    - ``residual``: every layer after the first adds its input to its output,
      ``y = F(x) + x`` (needs equal widths, checked here).

    ``forward(x, states=None, record=False)`` returns ``(outputs, states)``, or with
    ``record=True`` ``(outputs, states, records)`` with one dict of recordings per layer
    (a bidirectional layer's dict is ``{"forward": {...}, "backward": {...}}``), part of the
    graph like the outputs. ``output_size`` is the width of the outputs.
    """

    def __init__(self, cells, input_size: int | None = None,
                 hidden_sizes: Sequence[int] | int | None = None, *,
                 bidirectional: bool = False, residual: bool = False, **cell_kwargs):
        super().__init__()
        self.bidirectional, self.residual = bool(bidirectional), bool(residual)
        kind, dirs = cells, 2 if self.bidirectional else 1
        layer_kind(kind, input_size, hidden_sizes, cell_kwargs)   # what was asked for makes sense
        if isinstance(kind, str):                    # a kind: a new cell per layer and direction
            hs = layer_sizes(input_size, hidden_sizes, "Recurrent")
            widths = [input_size] + [dirs * h for h in hs[:-1]]   # each reads the layer below
            cells = [[make_cell(kind, w, h, **cell_kwargs) for _ in range(dirs)]
                     for w, h in zip(widths, hs)]
        cells = layer_cells(cells, dirs, self.residual)
        self.layers = nn.ModuleList(nn.ModuleList(pair) for pair in cells)
        self.kind = kind if isinstance(kind, str) else type(cells[0][0]).__name__
        self.input_size = getattr(cells[0][0], "input_size", input_size)   # a cell may not say
        self.hidden_sizes = [pair[0].hidden_size for pair in cells]
        self.output_size = dirs * self.hidden_sizes[-1]

    def forward(self, x: torch.Tensor, states=None, record: bool = False):
        states = layer_input(x, states, self, "Recurrent")      # one state (or None) per layer
        seq, finals, records = x, [], []
        for k, (cells, state) in enumerate(zip(self.layers, states)):
            if self.bidirectional:                               # forward in time and backward
                s_f, s_b = (None, None) if state is None else state
                out_f, s_f, rec_f = run_cell(cells[0], seq, s_f, record)
                out_b, s_b, rec_b = run_cell(cells[1], seq.flip(1), s_b, record)
                out = torch.cat([out_f, out_b.flip(1)], dim=-1)   # (batch, time, 2H)
                state, rec = (s_f, s_b), {"forward": rec_f, "backward": _flip(rec_b)}
            else:
                out, state, rec = run_cell(cells[0], seq, state, record)   # (batch, time, H)
            if self.residual and k > 0:
                out = out + seq                                  # y = F(x) + x
            seq = out
            finals.append(state)
            records.append(rec)
        return (seq, finals, records) if record else (seq, finals)

    @classmethod
    @torch.no_grad()
    def from_torch(cls, module: nn.Module) -> "Recurrent":
        """The from-scratch layer with the weights of a ``torch.nn.RNN`` / ``LSTM`` / ``GRU``.

        Any number of layers, either direction; the two biases are folded (a GRU keeps its
        candidate bias ``b_hn`` in ``GRUCell(reset_after=True)``). Outputs and gradients equal
        the torch layer's (batch first). Dropout between layers and LSTM projections are not
        supported.
        """
        kind = _torch_kind(module)
        dirs, w0 = 2 if module.bidirectional else 1, module.weight_ih_l0
        layers = []
        for k in range(module.num_layers):
            pair = []
            for d in range(dirs):
                sfx = f"_l{k}" + ("_reverse" if d == 1 else "")
                w_ih, b_hh = getattr(module, "weight_ih" + sfx), getattr(module, "bias_hh" + sfx)
                kw = {"nonlinearity": module.nonlinearity} if kind == "rnn" else \
                    {"reset_after": True} if kind == "gru" else {}
                cell = make_cell(kind, w_ih.shape[1], module.hidden_size, **kw).to(w0.device, w0.dtype)
                cell.load_weights(w_ih, getattr(module, "weight_hh" + sfx),
                                  getattr(module, "bias_ih" + sfx), b_hh)
                if kind == "gru" and not b_hh.requires_grad:
                    cell.bias_hn.requires_grad_(False)   # frozen at zero in a fast layer
                pair.append(cell)
            layers.append(tuple(pair) if dirs == 2 else pair[0])
        return cls(layers, bidirectional=module.bidirectional)

    def extra_repr(self) -> str:
        flags = [f for f in ("bidirectional", "residual") if getattr(self, f)]
        return f"{self.kind}, {self.input_size} -> {self.hidden_sizes}" + \
            (", " + ", ".join(flags) if flags else "")


def _torch_kind(module: nn.Module) -> str:
    """``"rnn"``, ``"lstm"`` or ``"gru"`` for a torch layer that :meth:`Recurrent.from_torch` can load."""
    kind = {nn.RNN: "rnn", nn.LSTM: "lstm", nn.GRU: "gru"}.get(type(module))
    if kind is None:
        if isinstance(module, (nn.RNNCell, nn.LSTMCell, nn.GRUCell)):
            raise TypeError(f"Recurrent.from_torch loads whole layers; for a single "
                            f"torch.nn.{type(module).__name__} use "
                            f"rc.cells.{type(module).__name__}.from_torch")
        raise TypeError(f"Recurrent.from_torch expects a torch.nn.RNN, LSTM or GRU, got "
                        f"{type(module).__name__}")
    if not module.bias:
        raise ValueError("Recurrent.from_torch needs a torch layer created with bias=True")
    if getattr(module, "proj_size", 0):
        raise ValueError("LSTM projections (proj_size > 0) are not supported")
    if module.dropout:
        raise ValueError("dropout between layers is not supported: create the torch layer "
                         "with dropout=0")
    if not module.batch_first:
        raise ValueError("Recurrent.from_torch: this torch layer reads (time, batch, features) "
                         "(batch_first=False) but Recurrent reads (batch, time, features); "
                         "create it with batch_first=True, or set layer.batch_first = True "
                         "(the weights are the same) and feed batch-first inputs")
    return kind


def set_forget_bias(rnn: nn.Module, value: float) -> nn.Module:
    """Set the forget-gate bias of every LSTM layer of ``rnn`` to ``value``; returns ``rnn``.

    A positive value opens the forget gates at initialisation (``sigma(2) = 0.88``), so that
    gradients survive long lags from the first update (chapter 6). Works on a
    :class:`Recurrent` of :class:`rnncourse.cells.LSTMCell` (the rows ``H .. 2H`` of ``bias``,
    gate order i, f, g, o) and on a :class:`rnncourse.fast.FastRecurrent` LSTM (the same rows
    of ``torch.nn.LSTM``'s ``bias_ih``; ``bias_hh`` is frozen at zero), in every direction and
    layer.
    """
    from .fast import FastRecurrent          # (the fused layer imports this module)

    if not isinstance(rnn, (Recurrent, FastRecurrent)):
        raise TypeError(f"set_forget_bias expects an rc.layers.Recurrent or an "
                        f"rc.fast.FastRecurrent, got {type(rnn).__name__}")
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ValueError(f"value must be a finite number (the forget-gate bias), got {value!r}")
    biases = []
    for layer in rnn.layers:
        if isinstance(layer, nn.LSTM):
            biases += [p for name, p in layer.named_parameters() if name.startswith("bias_ih")]
        elif isinstance(layer, nn.ModuleList) and all(isinstance(c, LSTMCell) for c in layer):
            biases += [c.bias for c in layer]
        else:
            raise ValueError(f"set_forget_bias applies to LSTM layers only; this layer is "
                             f"{rnn.kind!r} ({type(layer).__name__})")
    with torch.no_grad():
        for b in biases:
            h = b.shape[0] // 4
            b[h:2 * h] = float(value)
    return rnn
