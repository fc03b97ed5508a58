"""Small models reused across chapters."""

from __future__ import annotations

from typing import Sequence

import torch
from torch import nn

from .cells import RNNCell, Recurrent

__all__ = ["TimeDelayMLP", "ElmanNetwork", "SequenceRegressor", "FastSequenceRegressor"]


class TimeDelayMLP(nn.Module):
    """Time-delay (autoregressive) MLP of chapter 2: lagged values in, next value out.

    ``TimeDelayMLP(5, 4)`` is the 5-4-1 network: ``n_inputs`` lagged values, one tanh hidden
    layer, one linear output. Input ``(batch, n_inputs)``, output ``(batch,)``.
    """

    def __init__(self, n_inputs: int, hidden: int = 4):
        super().__init__()
        if n_inputs < 1 or hidden < 1:
            raise ValueError(f"n_inputs and hidden must be positive, got {n_inputs}, {hidden}")
        self.n_inputs = n_inputs
        self.hidden = nn.Linear(n_inputs, hidden)
        self.out = nn.Linear(hidden, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.dim() != 2 or x.shape[1] != self.n_inputs:
            raise ValueError(
                f"TimeDelayMLP expects x of shape (batch, {self.n_inputs}), got {tuple(x.shape)}"
            )
        return self.out(torch.tanh(self.hidden(x))).squeeze(-1)  # (batch,)


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
        self.readout = nn.Linear(hidden_size, output_size)

    @property
    def hidden_size(self) -> int:
        return self.cell.hidden_size

    def step(self, x_t: torch.Tensor, context: torch.Tensor):
        """One time step: ``x_t`` (batch, input), ``context`` (batch, hidden) -> ``(y_t, h_t)``."""
        h = self.cell(x_t, context)     # (batch, hidden)
        return self.readout(h), h       # (batch, output), (batch, hidden)

    def forward(self, x: torch.Tensor, context: torch.Tensor | None = None,
                detach_context: bool = False):
        if not isinstance(x, torch.Tensor) or x.dim() != 3 or x.shape[2] != self.cell.input_size:
            shape = tuple(x.shape) if isinstance(x, torch.Tensor) else type(x).__name__
            raise ValueError(
                f"ElmanNetwork expects x of shape (batch, time, {self.cell.input_size}), got {shape}"
            )
        if x.shape[1] == 0:
            raise ValueError("ElmanNetwork got an empty sequence (time dimension 0)")
        batch, hidden = x.shape[0], self.cell.hidden_size
        if context is None:
            context = self.cell.init_state(batch, x.device, x.dtype)       # (batch, hidden)
        elif not isinstance(context, torch.Tensor) or tuple(context.shape) != (batch, hidden):
            shape = tuple(context.shape) if isinstance(context, torch.Tensor) else type(context).__name__
            raise ValueError(f"ElmanNetwork expects context of shape ({batch}, {hidden}), got {shape}")
        # The same equations as ``step``, written for speed: the input part of every
        # pre-activation is one matrix product for the whole sequence.
        act = torch.tanh if self.cell.nonlinearity == "tanh" else torch.relu
        x_part = x @ self.cell.weight_x.T + self.cell.bias                  # (batch, time, hidden)
        W_hh_T = self.cell.weight_h.T                                       # (hidden, hidden)
        h, hs = context, []
        for x_t in x_part.unbind(1):                                        # each (batch, hidden)
            c = h.detach() if detach_context else h                         # the context c_t
            h = act(torch.addmm(x_t, c, W_hh_T))                            # (batch, hidden)
            hs.append(h)
        y = self.readout(torch.stack(hs, dim=1))                            # (batch, time, output)
        return y, h


class SequenceRegressor(nn.Module):
    """Stacked recurrent layers plus a linear readout at every step (chapters 6, 7).

    ``SequenceRegressor("lstm", 1, [5, 3], 1)`` maps ``(batch, time, 1)`` to
    ``(batch, time, 1)``. Built on :class:`rnncourse.cells.Recurrent`, so parameter counts
    are the lecture's (one bias per gate).
    """

    def __init__(self, kind: str, input_size: int, hidden_sizes: Sequence[int] | int,
                 output_size: int = 1, **cell_kwargs):
        super().__init__()
        self.rnn = Recurrent(kind, input_size, hidden_sizes, **cell_kwargs)
        self.readout = nn.Linear(self.rnn.hidden_sizes[-1], output_size)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h, _ = self.rnn(x)       # (batch, time, H_last)
        return self.readout(h)   # (batch, time, output)


_TORCH_RNNS = {"rnn": nn.RNN, "lstm": nn.LSTM, "gru": nn.GRU}


class FastSequenceRegressor(nn.Module):
    """The fast path of :class:`SequenceRegressor`: fused ``torch.nn`` layers (cuDNN on a GPU).

    Same interface and shapes. PyTorch's layers carry two bias vectors per gate; here the
    recurrent biases ``bias_hh`` are fixed at zero and frozen, so the trainable parameter count
    equals the lecture's (one bias per gate). For ``"rnn"`` and ``"lstm"`` that is exactly the
    from-scratch model. For ``"gru"`` it is the reset-after variant of PyTorch / cuDNN
    (``r`` multiplies ``W_hn h`` rather than ``h``), without the extra candidate bias; see
    :class:`rnncourse.cells.GRUCell`.
    """

    def __init__(self, kind: str, input_size: int, hidden_sizes: Sequence[int] | int,
                 output_size: int = 1):
        super().__init__()
        if kind not in _TORCH_RNNS:
            raise ValueError(f"unknown kind {kind!r}: expected one of {sorted(_TORCH_RNNS)}")
        if isinstance(hidden_sizes, int):
            hidden_sizes = [hidden_sizes]
        hidden_sizes = list(hidden_sizes)
        if not hidden_sizes:
            raise ValueError("FastSequenceRegressor needs at least one layer")
        self.kind, self.input_size, self.hidden_sizes = kind, input_size, hidden_sizes
        sizes = [input_size] + hidden_sizes
        self.layers = nn.ModuleList()
        for k in range(len(hidden_sizes)):
            layer = _TORCH_RNNS[kind](sizes[k], sizes[k + 1], batch_first=True)
            with torch.no_grad():
                layer.bias_ih_l0.add_(layer.bias_hh_l0)  # keep the same initial total bias
                layer.bias_hh_l0.zero_()
            layer.bias_hh_l0.requires_grad_(False)
            self.layers.append(layer)
        self.readout = nn.Linear(hidden_sizes[-1], output_size)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not isinstance(x, torch.Tensor) or x.dim() != 3 or x.shape[2] != self.input_size:
            shape = tuple(x.shape) if isinstance(x, torch.Tensor) else type(x).__name__
            raise ValueError(
                f"expected x of shape (batch, time, {self.input_size}), got {shape}"
            )
        if x.shape[1] == 0:
            raise ValueError("FastSequenceRegressor got an empty sequence (time dimension 0)")
        h = x
        for layer in self.layers:
            h, _ = layer(h)      # (batch, time, H_k)
        return self.readout(h)   # (batch, time, output)
