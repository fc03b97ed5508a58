"""Small models reused across chapters, all built on the one sequence layer.

- :class:`TimeDelayMLP`: lagged values in, next value out (chapter 2);
- :class:`ElmanNetwork`: an RNN cell plus a linear readout, the context optionally treated as
  a copied constant input (chapters 3, 4);
- :class:`SequenceRegressor`: recurrent layers plus a readout at every step (chapters 6, 7);
- :class:`LastStepClassifier`: recurrent layers plus a readout of the final state,
  many-to-one classification (chapters 5, 6, 8).
"""

from __future__ import annotations

from typing import Sequence

import torch
from torch import nn

from ._validate import positive_int
from .cells import RNNCell, output_of
from .fast import FastRecurrent
from .layers import Recurrent

__all__ = ["TimeDelayMLP", "ElmanNetwork", "SequenceRegressor", "LastStepClassifier"]


class TimeDelayMLP(nn.Module):
    """Time-delay (autoregressive) MLP of chapter 2: lagged values in, next value out.

    ``TimeDelayMLP(5, 4)`` is the 5-4-1 network: ``n_inputs`` lagged values, one tanh hidden
    layer, one linear output. Input ``(batch, n_inputs)``, output ``(batch,)``.
    """

    def __init__(self, n_inputs: int, hidden: int = 4):
        super().__init__()
        self.n_inputs = positive_int(n_inputs, "n_inputs")
        self.hidden = nn.Linear(n_inputs, positive_int(hidden, "hidden"))
        self.out = nn.Linear(hidden, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not isinstance(x, torch.Tensor) or x.dim() != 2 or x.shape[1] != self.n_inputs:
            shape = tuple(x.shape) if isinstance(x, torch.Tensor) else type(x).__name__
            raise ValueError(f"TimeDelayMLP expects x of shape (batch, {self.n_inputs}), got {shape}")
        return self.out(torch.tanh(self.hidden(x))).squeeze(-1)  # (batch,)


class _CopiedContext(nn.Module):
    """An RNN cell whose previous state enters as a constant input: Elman's *context*.

    The step is the cell's own; only the gradient stops at ``c_t = h_{t-1}`` (``detach``).
    """

    def __init__(self, cell: RNNCell):
        super().__init__()
        self.cell = cell
        self.input_size, self.hidden_size = cell.input_size, cell.hidden_size

    def init_state(self, batch, device=None, dtype=None):
        return self.cell.init_state(batch, device, dtype)

    def check_state(self, state, batch):
        self.cell.check_state(state, batch)

    def project_input(self, x):
        return self.cell.project_input(x)

    def step(self, ax, h, record=None):
        return self.cell.step(ax, h.detach(), record)


class ElmanNetwork(nn.Module):
    """Elman's simple recurrent network (chapter 3): an RNN cell plus a linear readout.

    ``h_t = tanh(W_xh x_t + W_hh c_t + b_h)``, ``y_t = W_hy h_t + b_y``, where the *context*
    ``c_t = h_{t-1}`` is a copy of the previous hidden state.

    ``forward(x, context=None, detach_context=False)`` runs a whole sequence ``x`` of shape
    ``(batch, time, input_size)`` and returns ``(y, h_last)`` with ``y`` of shape
    ``(batch, time, output_size)``. With ``detach_context=True`` each context is treated as a
    constant input, as in Elman's original training (the gradient does not flow back in time);
    with ``False`` the same network is trained by full backpropagation through time.
    """

    def __init__(self, input_size: int, hidden_size: int, output_size: int = 1):
        super().__init__()
        self.cell = RNNCell(input_size, hidden_size)
        self.readout = nn.Linear(hidden_size, positive_int(output_size, "output_size"))
        # Two ways to run the same cell; plain attributes, so the weights are registered once.
        object.__setattr__(self, "_bptt", Recurrent(self.cell))
        object.__setattr__(self, "_copied", Recurrent(_CopiedContext(self.cell)))

    @property
    def hidden_size(self) -> int:
        return self.cell.hidden_size

    def step(self, x_t: torch.Tensor, context: torch.Tensor):
        """One time step: ``x_t`` (batch, input), ``context`` (batch, hidden) -> ``(y_t, h_t)``."""
        h = self.cell(x_t, context)     # (batch, hidden)
        return self.readout(h), h       # (batch, output), (batch, hidden)

    def forward(self, x: torch.Tensor, context: torch.Tensor | None = None,
                detach_context: bool = False):
        layer = self._copied if detach_context else self._bptt
        if context is not None and (not isinstance(context, torch.Tensor) or context.dim() != 2
                                    or isinstance(x, torch.Tensor) and context.shape != (x.shape[0], self.hidden_size)):
            shape = tuple(context.shape) if isinstance(context, torch.Tensor) else type(context).__name__
            batch = x.shape[0] if isinstance(x, torch.Tensor) else "batch"
            raise ValueError(f"ElmanNetwork expects the context of shape ({batch}, {self.hidden_size}), got {shape}")
        hs, (h_last,) = layer(x, None if context is None else [context])  # (batch, time, hidden)
        return self.readout(hs), h_last                                   # (batch, time, output)


class SequenceRegressor(nn.Module):
    """Recurrent layers plus a linear readout at every step (chapters 6, 7).

    ``SequenceRegressor("lstm", 1, [5, 3], 1)`` maps ``(batch, time, 1)`` to
    ``(batch, time, 1)``. ``fast=True`` runs the ``torch.nn`` layers
    (:class:`rnncourse.fast.FastRecurrent`, else :class:`rnncourse.layers.Recurrent`); either
    way the trainable weights are the lecture's
    (one bias per gate). ``bidirectional``, ``residual`` and cell keyword arguments are passed
    to the layer.
    """

    def __init__(self, kind, input_size: int, hidden_sizes: Sequence[int] | int,
                 output_size: int = 1, *, fast: bool = False, bidirectional: bool = False,
                 residual: bool = False, **cell_kwargs):
        super().__init__()
        layer = FastRecurrent if fast else Recurrent
        self.rnn = layer(kind, input_size, hidden_sizes, bidirectional=bidirectional,
                         residual=residual, **cell_kwargs)
        self.readout = nn.Linear(self.rnn.output_size, positive_int(output_size, "output_size"))

    def forward(self, x: torch.Tensor, states=None) -> torch.Tensor:
        h, _ = self.rnn(x, states)   # (batch, time, H_last)
        return self.readout(h)       # (batch, time, output)


class LastStepClassifier(nn.Module):
    """Recurrent layers plus a linear readout of the final state: ``(batch, time, in) -> (batch, classes)``.

    ``LastStepClassifier(rnn, n_classes)`` takes a :class:`rnncourse.layers.Recurrent` (any
    cell) or a :class:`rnncourse.fast.FastRecurrent`, bidirectional or not. The readout sees the last layer's final output
    ``h_T``; for a bidirectional layer ``[h_T of the forward cell; h_1 of the backward cell]``,
    the two ends that have read the whole sequence. Returns the logits.
    """

    def __init__(self, rnn: Recurrent | FastRecurrent, n_classes: int):
        super().__init__()
        if not isinstance(rnn, (Recurrent, FastRecurrent)):
            raise TypeError(f"LastStepClassifier expects an rc.layers.Recurrent or an "
                            f"rc.fast.FastRecurrent, got {type(rnn).__name__}")
        self.rnn = rnn
        self.readout = nn.Linear(rnn.output_size, positive_int(n_classes, "n_classes", minimum=2))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        _, states = self.rnn(x)
        last = states[-1]
        if self.rnn.bidirectional:
            h = torch.cat([output_of(last[0]), output_of(last[1])], dim=-1)  # (batch, 2H)
        else:
            h = output_of(last)                                              # (batch, H)
        return self.readout(h)                                               # (batch, classes)
