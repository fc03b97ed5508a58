"""The one sequence layer of the course: any cell over a sequence (chapters 3 to 12).

:class:`Recurrent` runs cells over ``x`` of shape ``(batch, time, input)`` and returns
``(outputs, states)``: the last layer's outputs at every step and every layer's final state.
It stacks layers, runs each layer in both directions (``bidirectional=True``: forward and
backward outputs concatenated, ``[h_fwd; h_bwd]``), adds residual connections between stacked
layers (``residual=True``), and records gate activations (``record=True``).

The same model has two implementations:

- from the equations (default): any cell of :mod:`rnncourse.cells`, or a cell of your own
  (an ``nn.Module`` with ``hidden_size`` whose ``forward(x_t, state)`` returns the next state);
- ``fast=True``: ``torch.nn.RNN`` / ``LSTM`` / ``GRU`` (cuDNN on a GPU, oneDNN on a CPU). Their
  recurrent biases ``bias_hh`` are frozen at zero, so the trainable weights are the lecture's
  (one bias per gate). For ``"rnn"`` and ``"lstm"`` that is exactly the from-scratch model. For
  ``"gru"`` it is the *reset-after* GRU of PyTorch and cuDNN (``r`` multiplies ``W_hn h``), that
  is ``GRUCell(reset_after=True)`` with its extra bias ``b_hn`` fixed at zero;
  :meth:`Recurrent.from_scratch` gives the from-scratch twin of a fast layer.

:meth:`Recurrent.from_torch` loads a multi-layer, possibly bidirectional ``torch.nn`` layer into
the from-scratch one (a GRU then uses ``reset_after=True`` cells with their ``b_hn``).

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

import numpy as np
import torch
from torch import nn

from ._validate import like, positive_int, same_dtype, sequence_tensor
from .cells import CELLS, LSTMCell, make_cell, output_of

__all__ = ["Recurrent", "run_cell", "set_forget_bias"]

_TORCH = {"rnn": nn.RNN, "lstm": nn.LSTM, "gru": nn.GRU}
_FROM_TORCH = {nn.RNN: "rnn", nn.LSTM: "lstm", nn.GRU: "gru"}


def _init_state(cell: nn.Module, batch: int, x: torch.Tensor):
    if hasattr(cell, "init_state"):
        return cell.init_state(batch, x.device, x.dtype)
    return torch.zeros(batch, cell.hidden_size, device=x.device, dtype=x.dtype)


def run_cell(cell: nn.Module, x: torch.Tensor, state=None, record: bool = False):
    """Run one cell over ``x`` ``(batch, time, input)``; return ``(outputs, state, record)``.

    ``outputs`` is ``(batch, time, hidden)``; ``record`` is None, or (``record=True``) a dict
    of ``(batch, time, hidden)`` tensors: ``h`` and the cell's gates (``i, f, g, o, c`` for
    the LSTM, ``r, z, n`` for the GRU). Cells of :mod:`rnncourse.cells` project the input of
    all steps with one matrix product; other cells are called step by step.
    """
    sequence_tensor(x, getattr(cell, "input_size", None), "run_cell")
    if state is None:
        state = _init_state(cell, x.shape[0], x)
    elif hasattr(cell, "check_state"):
        cell.check_state(state, x.shape[0])
    if hasattr(cell, "project_input") and hasattr(cell, "step"):
        inputs = cell.project_input(x).unbind(1)          # each (batch, gates*H)
        step = cell.step
    else:
        inputs = x.unbind(1)                               # each (batch, input)
        step = lambda x_t, s, r: cell(x_t, s)             # noqa: E731  (a student's cell)
    outs, recs = [], []
    for a_t in inputs:
        r = {} if record else None
        state = step(a_t, state, r)
        h = output_of(state)                               # (batch, hidden)
        if not outs:                                       # check a cell's first answer once
            _check_output(cell, h, x.shape[0])
        outs.append(h)
        if record:
            r["h"] = h
            recs.append(r)
    rec = {k: torch.stack([r[k] for r in recs], dim=1) for k in recs[0]} if record else None
    return torch.stack(outs, dim=1), state, rec            # (batch, time, hidden)


def _check_output(cell, h, batch: int) -> None:
    if not isinstance(h, torch.Tensor) or h.dim() != 2 or h.shape[0] != batch:
        got = tuple(h.shape) if isinstance(h, torch.Tensor) else type(h).__name__
        raise ValueError(f"the cell {type(cell).__name__} must return a state whose output h_t has "
                         f"shape (batch, hidden) = ({batch}, hidden), got {got}")


def _flip(record):
    return None if record is None else {k: v.flip(1) for k, v in record.items()}


class Recurrent(nn.Module):
    """Stacked, optionally bidirectional and residual, recurrent layers over any cell.

    ``Recurrent("lstm", 1, [5, 3])``: an LSTM layer of 5 units feeding one of 3. The first
    argument is a kind (a key of :data:`rnncourse.cells.CELLS`: ``"rnn"``, ``"lstm"``, ``"gru"``,
    ``"leaky"``, ``"skip"``, ``"chung_gru"``), a cell class, a cell instance, or a list of cell
    instances (one per layer; for ``bidirectional=True`` one ``(forward, backward)`` pair per
    layer). ``cell_kwargs`` go to every cell (``nonlinearity="relu"``, ``tau=4``, ``delay=5``,
    ``reset_after=True``).

    - ``bidirectional``: each layer runs forward and backward in time; its output is
      ``[h_fwd; h_bwd]`` (width ``2 H``).
    - ``residual``: every layer after the first adds its input to its output,
      ``y = F(x) + x`` (needs equal widths, checked here).
    - ``fast``: the ``torch.nn`` implementation (see the module docstring).

    ``forward(x, states=None, record=False)`` returns ``(outputs, states)``, or with
    ``record=True`` ``(outputs, states, records)`` with one dict of recordings per layer
    (a bidirectional layer's dict is ``{"forward": {...}, "backward": {...}}``).
    ``output_size`` is the width of the outputs.
    """

    def __init__(self, cell, input_size: int | None = None,
                 hidden_sizes: Sequence[int] | int | None = None, *, bidirectional: bool = False,
                 residual: bool = False, fast: bool = False, **cell_kwargs):
        super().__init__()
        self.bidirectional, self.residual, self.fast = bool(bidirectional), bool(residual), bool(fast)
        dirs = 2 if self.bidirectional else 1
        if isinstance(cell, (str, type)):
            if input_size is None or hidden_sizes is None:
                raise ValueError("Recurrent(kind, input_size, hidden_sizes): give the input size "
                                 "and the hidden size(s) when the cells are named by kind")
            if isinstance(hidden_sizes, (int, np.integer)):
                hidden_sizes = [hidden_sizes]
            if isinstance(hidden_sizes, (str, bytes)) or not hasattr(hidden_sizes, "__iter__"):
                raise ValueError(f"hidden_sizes must be an int or a list of ints (one per layer), "
                                 f"got {hidden_sizes!r}")
            hs = list(hidden_sizes)
            input_size = positive_int(input_size, "input_size")
            hs = [positive_int(h, f"hidden_sizes[{k}]") for k, h in enumerate(hs)]
            if not hs:
                raise ValueError("Recurrent needs at least one layer: hidden_sizes is empty")
            self.kind = cell if isinstance(cell, str) else cell.__name__
            if isinstance(cell, str) and cell not in CELLS:
                raise ValueError(f"unknown cell kind {cell!r}: expected one of {sorted(CELLS)}, "
                                 "a cell class or cell instances")
            widths = [input_size] + [dirs * h for h in hs[:-1]]
            if fast:
                if cell not in _TORCH:
                    raise ValueError(f"fast=True runs torch.nn.RNN / LSTM / GRU: kind must be one of "
                                     f"{sorted(_TORCH)}, got {cell!r}")
                self.layers = nn.ModuleList(
                    self._torch_layer(cell, w, h, **cell_kwargs) for w, h in zip(widths, hs))
            else:
                self.layers = nn.ModuleList(
                    nn.ModuleList(make_cell(cell, w, h, **cell_kwargs) for _ in range(dirs))
                    for w, h in zip(widths, hs))
        else:
            if fast or cell_kwargs:
                raise ValueError("fast=True and cell keyword arguments apply when cells are named "
                                 "by kind; cell instances are used as they are")
            layers = [cell] if isinstance(cell, nn.Module) else list(cell)
            if not layers:
                raise ValueError("Recurrent needs at least one cell")
            built = []
            for k, entry in enumerate(layers):
                pair = list(entry) if isinstance(entry, (tuple, list)) else [entry]
                if len(pair) != dirs:
                    want = "a (forward, backward) pair of cells" if dirs == 2 else "one cell"
                    raise ValueError(f"layer {k}: expected {want}, got {len(pair)} cell(s)")
                for c in pair:
                    if not isinstance(c, nn.Module) or not isinstance(getattr(c, "hidden_size", None), int):
                        raise TypeError(f"layer {k}: a cell must be an nn.Module with an int "
                                        f"attribute hidden_size, got {type(c).__name__}")
                if dirs == 2 and pair[0].hidden_size != pair[1].hidden_size:
                    raise ValueError(f"layer {k}: the forward and backward cells must have the "
                                     "same hidden_size")
                built.append(nn.ModuleList(pair))
            for k in range(1, len(built)):
                want, got = dirs * built[k - 1][0].hidden_size, getattr(built[k][0], "input_size", None)
                if isinstance(got, int) and got != want:
                    raise ValueError(f"layer {k}: its cell takes {got} inputs but layer {k - 1} "
                                     f"gives {want} (its hidden_size{' times 2 directions' if dirs == 2 else ''}); "
                                     "the cells' sizes must chain")
            self.layers = nn.ModuleList(built)
            self.kind = type(built[0][0]).__name__
            hs = [layer[0].hidden_size for layer in built]
            first = built[0][0]
            input_size = getattr(first, "input_size", input_size)
        self.input_size = input_size
        self.hidden_sizes = hs
        self.output_size = dirs * hs[-1]
        if self.residual:
            for k in range(1, len(hs)):
                if hs[k] != hs[k - 1]:
                    raise ValueError(f"residual=True adds each layer's input to its output: layer "
                                     f"{k} has width {dirs * hs[k]} but its input has width "
                                     f"{dirs * hs[k - 1]}; use equal hidden sizes")

    # ------------------------------------------------------------------ building
    def _torch_layer(self, kind: str, input_size: int, hidden: int, **kwargs) -> nn.Module:
        if kind == "gru" and kwargs.pop("reset_after", True) is not True:
            raise ValueError("fast=True runs torch.nn.GRU, which resets after the recurrent "
                             "weights: reset_after=False has no fast path")
        if kind == "lstm" and kwargs:
            raise ValueError(f"unknown LSTM options {sorted(kwargs)}")
        layer = _TORCH[kind](input_size, hidden, batch_first=True, bidirectional=self.bidirectional,
                             **kwargs)
        with torch.no_grad():
            for name, p in layer.named_parameters():
                if name.startswith("bias_hh"):
                    getattr(layer, name.replace("hh", "ih")).add_(p)  # same initial total bias
                    p.zero_()
                    p.requires_grad_(False)                          # one bias per gate
        return layer

    @classmethod
    @torch.no_grad()
    def from_torch(cls, module: nn.Module) -> "Recurrent":
        """The from-scratch layer with the weights of a ``torch.nn.RNN`` / ``LSTM`` / ``GRU``.

        Any number of layers, either direction; the two biases are folded (a GRU keeps its
        candidate bias ``b_hn`` in ``GRUCell(reset_after=True)``). Outputs and gradients equal
        the torch layer's (batch first). Dropout between layers and LSTM projections are not
        supported.
        """
        kind = _FROM_TORCH.get(type(module))
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
        dirs = 2 if module.bidirectional else 1
        w0 = module.weight_ih_l0
        layers = []
        for k in range(module.num_layers):
            pair = []
            for d in range(dirs):
                sfx = f"_l{k}" + ("_reverse" if d == 1 else "")
                w_ih = getattr(module, "weight_ih" + sfx)
                kw = {"nonlinearity": module.nonlinearity} if kind == "rnn" else \
                    {"reset_after": True} if kind == "gru" else {}
                cell = make_cell(kind, w_ih.shape[1], module.hidden_size, **kw).to(w0.device, w0.dtype)
                b_hh = getattr(module, "bias_hh" + sfx)
                cell.load_weights(w_ih, getattr(module, "weight_hh" + sfx),
                                  getattr(module, "bias_ih" + sfx), b_hh)
                if kind == "gru" and not b_hh.requires_grad:
                    cell.bias_hn.requires_grad_(False)   # frozen at zero in a fast layer
                pair.append(cell)
            layers.append(tuple(pair) if dirs == 2 else pair[0])
        return cls(layers, bidirectional=module.bidirectional)

    def from_scratch(self) -> "Recurrent":
        """The from-scratch twin of this layer (a copy; for a fast layer, its cells' weights)."""
        if not self.fast:
            import copy
            return copy.deepcopy(self)
        parts = [Recurrent.from_torch(layer).layers[0] for layer in self.layers]  # one layer each
        cells = [tuple(p) if self.bidirectional else p[0] for p in parts]
        return Recurrent(cells, bidirectional=self.bidirectional, residual=self.residual)

    # ------------------------------------------------------------------ running
    def forward(self, x: torch.Tensor, states=None, record: bool = False):
        sequence_tensor(x, self.input_size, "Recurrent")
        if x.shape[0] == 0:
            raise ValueError(f"Recurrent got an empty batch: x has shape {tuple(x.shape)} "
                             "(0 sequences)")
        if not x.is_floating_point():
            raise TypeError(f"Recurrent expects floating-point inputs (batch, time, features), got "
                            f"{x.dtype}; turn token ids into vectors first (torch.nn.functional."
                            "one_hot(ids, n).float() or an nn.Embedding)")
        same_dtype(x, self, "Recurrent")
        n = len(self.layers)
        if states is None:
            states = [None] * n
        elif not isinstance(states, (list, tuple)) or len(states) != n:
            got = f"{len(states)} states" if isinstance(states, (list, tuple)) else type(states).__name__
            raise ValueError(f"Recurrent has {n} layer(s): expected a list of {n} layer states, got {got}")
        for k, st in enumerate(states):
            if st is not None:
                self._check_state(k, st, x)
        if record and self.fast:
            with torch.no_grad():
                return self.from_scratch()(x, states, record=True)
        seq, finals, records = x, [], []
        for k, layer in enumerate(self.layers):
            if self.fast:
                out, state = self._run_torch(layer, seq, states[k])
                rec = None
            else:
                out, state, rec = self._run_layer(layer, seq, states[k], record)
            if self.residual and k > 0:
                out = out + seq                                    # y = F(x) + x
            seq = out
            finals.append(state)
            records.append(rec)
        return (seq, finals, records) if record else (seq, finals)

    def _check_state(self, k: int, state, x: torch.Tensor) -> None:
        """A layer state passed in must fit: a pair for a bidirectional layer, every tensor with
        the input's dtype and device, and (fast path, where torch would not say it in our words)
        of shape (batch, hidden)."""
        who = f"Recurrent layer {k}"
        parts = [state]
        if self.bidirectional:
            if not isinstance(state, (tuple, list)) or len(state) != 2:
                got = f"shape {tuple(state.shape)}" if isinstance(state, torch.Tensor) else \
                    f"{len(state)} item(s)" if isinstance(state, (tuple, list)) else type(state).__name__
                raise ValueError(f"{who} is bidirectional: its state must be a pair "
                                 f"(forward_state, backward_state), got {got}")
            parts = list(state)
        H = self.hidden_sizes[k]
        lstm = self.fast and isinstance(self.layers[k], nn.LSTM)

        def leaves(p):
            if isinstance(p, (tuple, list)):
                for q in p:
                    yield from leaves(q)
            else:
                yield p

        for p in parts:
            if self.fast:
                if lstm and (not isinstance(p, (tuple, list)) or len(p) != 2):
                    raise ValueError(f"{who} is an LSTM: its state (per direction) is a pair (h, c) "
                                     "of (batch, hidden) tensors")
                for t in (p if lstm else [p]):
                    like(t, x, "the state", who, (x.shape[0], H), "(batch, hidden)")
            else:
                for t in leaves(p):
                    if isinstance(t, torch.Tensor):
                        like(t, x, "the state", who)

    def _run_layer(self, layer, x, state, record):
        if not self.bidirectional:
            return run_cell(layer[0], x, state, record)
        if state is not None and (not isinstance(state, (tuple, list)) or len(state) != 2):
            raise ValueError("a bidirectional layer's state is a pair (forward_state, backward_state)")
        s_f, s_b = (None, None) if state is None else state
        out_f, s_f, rec_f = run_cell(layer[0], x, s_f, record)
        out_b, s_b, rec_b = run_cell(layer[1], x.flip(1), s_b, record)  # the reversed sequence
        out = torch.cat([out_f, out_b.flip(1)], dim=-1)                 # (batch, time, 2H)
        rec = {"forward": rec_f, "backward": _flip(rec_b)} if record else None
        return out, (s_f, s_b), rec

    def _run_torch(self, layer, x, state):
        lstm = isinstance(layer, nn.LSTM)
        if state is not None:
            parts = list(state) if self.bidirectional else [state]
            if self.bidirectional and len(parts) != 2:
                raise ValueError("a bidirectional layer's state is a pair (forward_state, backward_state)")
            if lstm:
                for p in parts:
                    if not isinstance(p, (tuple, list)) or len(p) != 2:
                        raise ValueError("an LSTM layer's state is a pair (h, c)")
                state = tuple(torch.stack([p[j] for p in parts]) for j in range(2))  # (dirs, batch, H)
            else:
                state = torch.stack(parts)                                          # (dirs, batch, H)
        out, st = layer(x, state)
        if lstm:
            per_dir = [(st[0][d], st[1][d]) for d in range(st[0].shape[0])]
        else:
            per_dir = list(st.unbind(0))
        return out, (tuple(per_dir) if self.bidirectional else per_dir[0])

    def extra_repr(self) -> str:
        flags = [f for f in ("bidirectional", "residual", "fast") if getattr(self, f)]
        return f"{self.kind}, {self.input_size} -> {self.hidden_sizes}" + \
            (", " + ", ".join(flags) if flags else "")



def set_forget_bias(rnn: Recurrent, value: float) -> Recurrent:
    """Set the forget-gate bias of every LSTM layer of ``rnn`` to ``value``; returns ``rnn``.

    A positive value opens the forget gates at initialisation (``sigma(2) = 0.88``), so that
    gradients survive long lags from the first update (chapter 6). Works on fast layers
    (``torch.nn.LSTM``: the rows ``H .. 2H`` of ``bias_ih``, gate order i, f, g, o; ``bias_hh``
    is frozen at zero) and on from-scratch :class:`rnncourse.cells.LSTMCell` layers (the same
    rows of ``bias``), in every direction and layer.
    """
    if not isinstance(rnn, Recurrent):
        raise TypeError(f"set_forget_bias expects an rc.layers.Recurrent, got {type(rnn).__name__}")
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
