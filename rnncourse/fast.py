"""The course's sequence layer on PyTorch's fused layers: ``torch.nn.RNN`` / ``LSTM`` / ``GRU``.

:class:`FastRecurrent` is :class:`rnncourse.layers.Recurrent` for the kinds ``"rnn"``, ``"lstm"``
and ``"gru"``, computed by ``torch.nn`` (cuDNN on a GPU, oneDNN on a CPU): the same
``forward(x, states=None) -> (outputs, states)``, the same per-layer states (a bidirectional
layer's is the pair ``(forward_state, backward_state)``, an LSTM's ``(h, c)``), stacking,
``bidirectional`` and ``residual``. Its recurrent biases ``bias_hh`` are frozen at zero, so the
trainable weights are the lecture's (one bias per gate). For ``"rnn"`` and ``"lstm"`` that is
exactly the from-scratch model. For ``"gru"`` it is the *reset-after* GRU of PyTorch and cuDNN
(``r`` multiplies ``W_hn h``), that is ``GRUCell(reset_after=True)`` with its extra bias
``b_hn`` fixed at zero.

:meth:`FastRecurrent.from_scratch` gives the from-scratch twin (a copy of the weights). The
fused layers do not expose their gates: to record them, record the twin
(``layer.from_scratch()(x, record=True)``).
"""

from __future__ import annotations

from typing import Sequence

import torch
from torch import nn

from ._validate import fused_kind, layer_input, layer_sizes, residual_widths
from .layers import Recurrent

__all__ = ["FastRecurrent"]

_TORCH = {"rnn": nn.RNN, "lstm": nn.LSTM, "gru": nn.GRU}


class FastRecurrent(nn.Module):
    """``FastRecurrent("lstm", 1, [5, 3])``: a ``torch.nn.LSTM`` layer of 5 units feeding one of 3.

    ``kind`` is ``"rnn"``, ``"lstm"`` or ``"gru"``; ``nonlinearity="relu"`` makes a ReLU RNN.
    ``bidirectional`` and ``residual`` as in :class:`rnncourse.layers.Recurrent`. ``layers``
    holds one ``torch.nn`` layer per level; ``output_size`` is the width of the outputs.
    """

    def __init__(self, kind: str, input_size: int, hidden_sizes: Sequence[int] | int, *,
                 bidirectional: bool = False, residual: bool = False, **options):
        super().__init__()
        options = fused_kind(kind, options)
        hs = layer_sizes(input_size, hidden_sizes, "FastRecurrent")
        dirs = 2 if bidirectional else 1
        if residual:
            residual_widths(hs, dirs)
        self.kind, self.bidirectional, self.residual = kind, bool(bidirectional), bool(residual)
        self.input_size, self.hidden_sizes = int(input_size), hs
        self.output_size = dirs * hs[-1]
        widths = [self.input_size] + [dirs * h for h in hs[:-1]]   # each reads the layer below
        self.layers = nn.ModuleList(
            _TORCH[kind](w, h, batch_first=True, bidirectional=self.bidirectional, **options)
            for w, h in zip(widths, hs))
        with torch.no_grad():
            for layer in self.layers:
                for name, p in layer.named_parameters():
                    if name.startswith("bias_hh"):
                        getattr(layer, name.replace("hh", "ih")).add_(p)  # same initial total bias
                        p.zero_()
                        p.requires_grad_(False)                          # one bias per gate

    def forward(self, x: torch.Tensor, states=None, record: bool = False):
        if record:
            raise ValueError("FastRecurrent runs torch.nn layers, which do not expose their gates; "
                             "record them on the from-scratch twin, layer.from_scratch()(x, "
                             "record=True) (a copy of the weights: gradients reach the copy)")
        states = layer_input(x, states, self, "FastRecurrent", fused=True)  # one per layer
        seq, finals = x, []
        for k, (layer, state) in enumerate(zip(self.layers, states)):
            out, state = layer(seq, self._to_torch(state))          # (batch, time, dirs * H)
            if self.residual and k > 0:
                out = out + seq                                      # y = F(x) + x
            seq = out
            finals.append(self._from_torch(state))
        return seq, finals

    def _to_torch(self, state):
        """One layer's state in torch's layout: ``(directions, batch, H)``, an LSTM's a pair."""
        if state is None:
            return None
        parts = list(state) if self.bidirectional else [state]     # one per direction
        if self.kind == "lstm":
            return tuple(torch.stack([p[j] for p in parts]) for j in range(2))
        return torch.stack(parts)

    def _from_torch(self, state):
        """Torch's ``(directions, batch, H)`` back to the course's state of one layer."""
        if self.kind == "lstm":
            parts = [(state[0][d], state[1][d]) for d in range(state[0].shape[0])]
        else:
            parts = list(state.unbind(0))
        return tuple(parts) if self.bidirectional else parts[0]

    def from_scratch(self) -> Recurrent:
        """The from-scratch :class:`rnncourse.layers.Recurrent` with this layer's weights (a copy)."""
        parts = [Recurrent.from_torch(layer).layers[0] for layer in self.layers]  # one layer each
        cells = [tuple(p) if self.bidirectional else p[0] for p in parts]
        return Recurrent(cells, bidirectional=self.bidirectional, residual=self.residual)

    def extra_repr(self) -> str:
        flags = [f for f in ("bidirectional", "residual") if getattr(self, f)]
        return f"{self.kind}, {self.input_size} -> {self.hidden_sizes}" + \
            (", " + ", ".join(flags) if flags else "")
