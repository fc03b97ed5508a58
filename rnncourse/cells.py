"""Recurrent cells written from their equations (chapters 3, 6 and 7).

Each cell has **one bias vector per gate**, as in the lecture and in Keras, so that parameter
counts match the lecture's tables. PyTorch's cells carry two bias vectors per gate
(``bias_ih`` and ``bias_hh``); ``load_torch`` folds them into one where that is exact.

Notation (see the book's notation page): ``x_t`` input, ``h_t`` hidden state, ``c_t`` LSTM cell
state; ``W_x*`` input weights of shape ``(hidden, input)``, ``W_h*`` recurrent weights of shape
``(hidden, hidden)``. Gates are stacked in PyTorch's order so that loading is a plain copy.

All cells take ``x`` of shape ``(batch, input_size)`` and a state, and return the new state.
:class:`Recurrent` unrolls any of them over a sequence and stacks layers.
"""

from __future__ import annotations

import math
from typing import Sequence

import torch
from torch import nn

__all__ = ["RNNCell", "LSTMCell", "GRUCell", "Recurrent", "make_cell"]


def _check_input(x: torch.Tensor, input_size: int, who: str) -> None:
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"{who} expects x as a torch.Tensor, got {type(x).__name__}")
    if x.dim() != 2 or x.shape[1] != input_size:
        raise ValueError(
            f"{who} expects x of shape (batch, {input_size}), got {tuple(x.shape)}"
        )


def _check_state(h: torch.Tensor, batch: int, hidden_size: int, who: str, name: str = "h") -> None:
    if not isinstance(h, torch.Tensor):
        raise TypeError(f"{who} expects {name} as a torch.Tensor, got {type(h).__name__}")
    if tuple(h.shape) != (batch, hidden_size):
        raise ValueError(
            f"{who} expects {name} of shape ({batch}, {hidden_size}), got {tuple(h.shape)}"
        )


def _check_sizes(input_size: int, hidden_size: int, who: str) -> None:
    for name, v in (("input_size", input_size), ("hidden_size", hidden_size)):
        if isinstance(v, bool) or not isinstance(v, int) or v < 1:
            raise ValueError(f"{who}: {name} must be a positive int, got {v!r}")


class _Cell(nn.Module):
    """Shared machinery: stacked weights for ``n_gates`` gates, uniform init, loading."""

    n_gates = 1
    torch_class: type = nn.Module

    def __init__(self, input_size: int, hidden_size: int):
        super().__init__()
        _check_sizes(input_size, hidden_size, type(self).__name__)
        self.input_size = input_size
        self.hidden_size = hidden_size
        g = self.n_gates * hidden_size
        self.weight_x = nn.Parameter(torch.empty(g, input_size))   # W_x* stacked, (gates*H, I)
        self.weight_h = nn.Parameter(torch.empty(g, hidden_size))  # W_h* stacked, (gates*H, H)
        self.bias = nn.Parameter(torch.empty(g))                    # one bias per gate, (gates*H,)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Uniform in [-1/sqrt(H), 1/sqrt(H)], the same rule PyTorch's cells use."""
        bound = 1.0 / math.sqrt(self.hidden_size)
        for p in self.parameters():
            nn.init.uniform_(p, -bound, bound)

    def init_state(self, batch: int, device=None, dtype=None):
        """The all-zero initial state for a batch."""
        return torch.zeros(batch, self.hidden_size, device=device, dtype=dtype)

    def _preactivation(self, x, h):
        return x @ self.weight_x.T + h @ self.weight_h.T + self.bias  # (batch, gates*H)

    @torch.no_grad()
    def load_torch(self, cell: nn.Module) -> "_Cell":
        """Copy the weights of the matching ``torch.nn`` cell, folding its two biases."""
        if not isinstance(cell, self.torch_class):
            raise TypeError(
                f"{type(self).__name__}.load_torch expects a {self.torch_class.__name__}, "
                f"got {type(cell).__name__}"
            )
        if (cell.input_size, cell.hidden_size) != (self.input_size, self.hidden_size):
            raise ValueError(
                f"size mismatch: this cell is ({self.input_size} -> {self.hidden_size}), "
                f"the torch cell is ({cell.input_size} -> {cell.hidden_size})"
            )
        if cell.bias is False or getattr(cell, "bias_ih", None) is None:
            raise ValueError("load_torch needs a torch cell created with bias=True")
        self.weight_x.copy_(cell.weight_ih)
        self.weight_h.copy_(cell.weight_hh)
        self._load_biases(cell.bias_ih, cell.bias_hh)
        return self

    def _load_biases(self, bias_ih, bias_hh) -> None:
        self.bias.copy_(bias_ih + bias_hh)

    @classmethod
    def from_torch(cls, cell: nn.Module, **kwargs) -> "_Cell":
        """A new cell with the weights of ``cell`` (a ``torch.nn`` cell of the same kind)."""
        new = cls(cell.input_size, cell.hidden_size, **kwargs)
        new = new.to(dtype=cell.weight_ih.dtype, device=cell.weight_ih.device)
        return new.load_torch(cell)

    def extra_repr(self) -> str:
        return f"{self.input_size}, {self.hidden_size}"


class RNNCell(_Cell):
    """Simple (Elman) cell: ``h_t = tanh(W_xh x_t + W_hh h_{t-1} + b_h)``.

    Parameters: ``H*I + H*H + H``. ``nonlinearity`` may be ``"tanh"`` or ``"relu"``.
    """

    n_gates = 1
    torch_class = nn.RNNCell

    def __init__(self, input_size: int, hidden_size: int, nonlinearity: str = "tanh"):
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"nonlinearity must be 'tanh' or 'relu', got {nonlinearity!r}")
        self.nonlinearity = nonlinearity
        super().__init__(input_size, hidden_size)

    def forward(self, x: torch.Tensor, h: torch.Tensor | None = None) -> torch.Tensor:
        _check_input(x, self.input_size, "RNNCell")
        if h is None:
            h = self.init_state(x.shape[0], x.device, x.dtype)
        _check_state(h, x.shape[0], self.hidden_size, "RNNCell")
        a = self._preactivation(x, h)  # (batch, H)
        return torch.tanh(a) if self.nonlinearity == "tanh" else torch.relu(a)

    def load_torch(self, cell: nn.RNNCell) -> "RNNCell":
        if isinstance(cell, nn.RNNCell) and cell.nonlinearity != self.nonlinearity:
            raise ValueError(
                f"nonlinearity mismatch: this cell uses {self.nonlinearity}, "
                f"the torch cell uses {cell.nonlinearity}"
            )
        return super().load_torch(cell)

    @classmethod
    def from_torch(cls, cell: nn.RNNCell) -> "RNNCell":
        return super().from_torch(cell, nonlinearity=cell.nonlinearity)

    def extra_repr(self) -> str:
        return f"{self.input_size}, {self.hidden_size}, nonlinearity={self.nonlinearity!r}"


class LSTMCell(_Cell):
    """Long short-term memory cell (Hochreiter and Schmidhuber 1997, with a forget gate).

    .. math::
        i_t = \\sigma(W_{xi} x_t + W_{hi} h_{t-1} + b_i) \\quad
        f_t = \\sigma(W_{xf} x_t + W_{hf} h_{t-1} + b_f) \\\\
        g_t = \\tanh(W_{xg} x_t + W_{hg} h_{t-1} + b_g) \\quad
        o_t = \\sigma(W_{xo} x_t + W_{ho} h_{t-1} + b_o) \\\\
        c_t = f_t \\odot c_{t-1} + i_t \\odot g_t \\qquad h_t = o_t \\odot \\tanh(c_t)

    Gate order in the stacked weights: i, f, g, o (PyTorch's). Parameters ``4 (H*I + H*H + H)``.
    The state is the pair ``(h, c)``.
    """

    n_gates = 4
    torch_class = nn.LSTMCell

    def init_state(self, batch: int, device=None, dtype=None):
        z = torch.zeros(batch, self.hidden_size, device=device, dtype=dtype)
        return z, z.clone()

    def forward(self, x: torch.Tensor, state=None):
        _check_input(x, self.input_size, "LSTMCell")
        if state is None:
            state = self.init_state(x.shape[0], x.device, x.dtype)
        if not isinstance(state, (tuple, list)) or len(state) != 2:
            raise ValueError("LSTMCell expects the state as a pair (h, c)")
        h, c = state
        _check_state(h, x.shape[0], self.hidden_size, "LSTMCell", "h")
        _check_state(c, x.shape[0], self.hidden_size, "LSTMCell", "c")
        i, f, g, o = self._preactivation(x, h).chunk(4, dim=-1)  # each (batch, H)
        i, f, g, o = torch.sigmoid(i), torch.sigmoid(f), torch.tanh(g), torch.sigmoid(o)
        c = f * c + i * g                                          # (batch, H)
        h = o * torch.tanh(c)                                      # (batch, H)
        return h, c

    def gates(self, x: torch.Tensor, state):
        """The gate activations ``dict(i=..., f=..., g=..., o=...)`` for one step (for plots)."""
        h, _ = state
        i, f, g, o = self._preactivation(x, h).chunk(4, dim=-1)
        return dict(i=torch.sigmoid(i), f=torch.sigmoid(f), g=torch.tanh(g), o=torch.sigmoid(o))


class GRUCell(_Cell):
    """Gated recurrent unit (Cho et al. 2014).

    .. math::
        r_t = \\sigma(W_{xr} x_t + W_{hr} h_{t-1} + b_r) \\quad
        z_t = \\sigma(W_{xz} x_t + W_{hz} h_{t-1} + b_z) \\\\
        \\tilde h_t = \\tanh(W_{xn} x_t + W_{hn} (r_t \\odot h_{t-1}) + b_n) \\qquad
        h_t = (1 - z_t) \\odot \\tilde h_t + z_t \\odot h_{t-1}

    Gate order: r, z, n (PyTorch's). With the default ``reset_after=False`` the reset gate acts
    on ``h_{t-1}`` before the recurrent weights, as in Cho et al. and Keras's
    ``reset_after=False``; parameters ``3 (H*I + H*H + H)``.

    PyTorch (and cuDNN) apply the reset *after* the recurrent weights:
    ``tanh(W_xn x + b_in + r * (W_hn h + b_hn))``. There the bias ``b_hn`` sits inside the
    product with ``r`` and cannot be folded, so ``reset_after=True`` adds that one extra bias
    vector (``H`` more parameters). Only that variant reproduces ``torch.nn.GRUCell`` exactly,
    so :meth:`from_torch` returns a ``reset_after=True`` cell.
    """

    n_gates = 3
    torch_class = nn.GRUCell

    def __init__(self, input_size: int, hidden_size: int, reset_after: bool = False):
        self.reset_after = bool(reset_after)
        super().__init__(input_size, hidden_size)
        if self.reset_after:
            self.bias_hn = nn.Parameter(torch.empty(hidden_size))  # (H,)
            bound = 1.0 / math.sqrt(hidden_size)
            nn.init.uniform_(self.bias_hn, -bound, bound)

    def forward(self, x: torch.Tensor, h: torch.Tensor | None = None) -> torch.Tensor:
        _check_input(x, self.input_size, "GRUCell")
        if h is None:
            h = self.init_state(x.shape[0], x.device, x.dtype)
        _check_state(h, x.shape[0], self.hidden_size, "GRUCell")
        z, n = self._update_and_candidate(x, h)
        return self._mix(z, n, h)

    def _update_and_candidate(self, x: torch.Tensor, h: torch.Tensor):
        """The update gate ``z`` and the candidate ``n`` (= h~) for one step."""
        g = self.gates(x, h)
        return g["z"], g["n"]

    def gates(self, x: torch.Tensor, h: torch.Tensor) -> dict:
        """The reset gate, update gate and candidate ``dict(r=..., z=..., n=...)`` of one step."""
        H = self.hidden_size
        ax = x @ self.weight_x.T + self.bias          # (batch, 3H)
        ax_r, ax_z, ax_n = ax.split(H, dim=-1)
        w_hr, w_hz, w_hn = self.weight_h.split(H, dim=0)
        r = torch.sigmoid(ax_r + h @ w_hr.T)           # (batch, H)
        z = torch.sigmoid(ax_z + h @ w_hz.T)           # (batch, H)
        if self.reset_after:
            n = torch.tanh(ax_n + r * (h @ w_hn.T + self.bias_hn))
        else:
            n = torch.tanh(ax_n + (r * h) @ w_hn.T)
        return dict(r=r, z=z, n=n)

    @staticmethod
    def _mix(z: torch.Tensor, n: torch.Tensor, h: torch.Tensor) -> torch.Tensor:
        """This book's (and PyTorch's) convention: z keeps the old state."""
        return (1 - z) * n + z * h                     # (batch, H)

    def load_torch(self, cell: nn.GRUCell) -> "GRUCell":
        if not self.reset_after:
            raise ValueError(
                "torch.nn.GRUCell applies the reset gate after the recurrent weights; load it "
                "into GRUCell(..., reset_after=True) (or use GRUCell.from_torch)"
            )
        return super().load_torch(cell)

    def _load_biases(self, bias_ih, bias_hh) -> None:
        H = self.hidden_size
        self.bias[: 2 * H].copy_(bias_ih[: 2 * H] + bias_hh[: 2 * H])  # r, z: fold
        self.bias[2 * H:].copy_(bias_ih[2 * H:])                        # n: input bias
        self.bias_hn.copy_(bias_hh[2 * H:])                             # n: inside r * (...)

    @classmethod
    def from_torch(cls, cell: nn.GRUCell) -> "GRUCell":
        return super().from_torch(cell, reset_after=True)

    def extra_repr(self) -> str:
        return f"{self.input_size}, {self.hidden_size}, reset_after={self.reset_after}"


_CELLS = {"rnn": RNNCell, "lstm": LSTMCell, "gru": GRUCell}


def make_cell(kind: str, input_size: int, hidden_size: int, **kwargs) -> _Cell:
    """``make_cell("lstm", 1, 5)``: a cell by name (``"rnn"``, ``"lstm"`` or ``"gru"``)."""
    if kind not in _CELLS:
        raise ValueError(f"unknown cell kind {kind!r}: expected one of {sorted(_CELLS)}")
    return _CELLS[kind](input_size, hidden_size, **kwargs)


class Recurrent(nn.Module):
    """Unrolls cells over a sequence and stacks layers (chapters 3, 6, 7, 8, ...).

    ``Recurrent("lstm", 1, [5, 3])`` is an LSTM layer of 5 units feeding an LSTM layer of 3.
    Input ``x`` has shape ``(batch, time, input_size)``. ``forward`` returns
    ``(outputs, states)``: the last layer's hidden states for every step, shape
    ``(batch, time, hidden_sizes[-1])``, and the list of final states of every layer (``h``,
    or ``(h, c)`` for the LSTM). Pass ``states`` back in to continue a sequence (truncated
    BPTT); detach them first if the gradient should stop there.
    """

    def __init__(self, kind: str, input_size: int, hidden_sizes: Sequence[int] | int, **cell_kwargs):
        super().__init__()
        if isinstance(hidden_sizes, int):
            hidden_sizes = [hidden_sizes]
        hidden_sizes = list(hidden_sizes)
        if not hidden_sizes:
            raise ValueError("Recurrent needs at least one layer: hidden_sizes is empty")
        self.kind = kind
        self.input_size = input_size
        self.hidden_sizes = hidden_sizes
        sizes = [input_size] + hidden_sizes
        self.cells = nn.ModuleList(
            make_cell(kind, sizes[k], sizes[k + 1], **cell_kwargs) for k in range(len(hidden_sizes))
        )

    def forward(self, x: torch.Tensor, states=None):
        if not isinstance(x, torch.Tensor) or x.dim() != 3:
            shape = tuple(x.shape) if isinstance(x, torch.Tensor) else type(x).__name__
            raise ValueError(
                f"Recurrent expects x of shape (batch, time, {self.input_size}), got {shape}"
            )
        if x.shape[1] == 0:
            raise ValueError("Recurrent got an empty sequence (time dimension 0)")
        if x.shape[2] != self.input_size:
            raise ValueError(
                f"Recurrent expects {self.input_size} input features, got x of shape {tuple(x.shape)}"
            )
        if states is None:
            states = [cell.init_state(x.shape[0], x.device, x.dtype) for cell in self.cells]
        elif len(states) != len(self.cells):
            raise ValueError(f"expected {len(self.cells)} layer states, got {len(states)}")
        states = list(states)
        seq = x
        for k, cell in enumerate(self.cells):
            state, outs = states[k], []
            for t in range(seq.shape[1]):
                state = cell(seq[:, t], state)
                outs.append(state[0] if isinstance(state, tuple) else state)
            states[k] = state
            seq = torch.stack(outs, dim=1)  # (batch, time, H_k)
        return seq, states
