"""Recurrent cells written from their equations (chapters 3 to 8).

Each cell has **one bias vector per gate**, as in the lecture and in Keras, so that parameter
counts match the lecture's tables (:func:`param_count` is the formula). PyTorch's cells carry
two bias vectors per gate (``bias_ih`` and ``bias_hh``); ``load_torch`` folds them into one
where that is exact.

Notation (see the book's notation page): ``x_t`` input, ``h_t`` hidden state, ``c_t`` LSTM cell
state; ``W_x*`` input weights of shape ``(hidden, input)``, ``W_h*`` recurrent weights of shape
``(hidden, hidden)``. Gates are stacked in PyTorch's order so that loading is a plain copy.

A cell computes one step in two parts, so that a sequence layer can do the input part for all
steps at once:

- ``project_input(x)``: ``W_x x + b`` for every gate, for ``x`` of shape ``(batch, input)`` or
  ``(batch, time, input)``;
- ``step(ax, state, record=None)``: the recurrent part, from that projection and the previous
  state to the next state. If ``record`` is a dict, the gate activations of the step are
  written into it (for plots).

``cell(x, state)`` does both for one step and checks its arguments. The state is a tensor
``(batch, hidden)``, or a tuple whose first entry is the output ``h_t`` (the LSTM's ``(h, c)``,
chapter 5's skip cell's ``(h_{t-1}, ..., h_{t-d})``); :meth:`output` reads ``h_t`` from any state.
:class:`rnncourse.layers.Recurrent` runs any cell over a sequence.
"""

from __future__ import annotations

import math
from typing import Callable, Sequence

import torch
from torch import nn

from ._validate import positive_int

__all__ = ["ACTIVATIONS", "activation", "RNNCell", "LSTMCell", "GRUCell", "CELLS", "make_cell",
           "param_count", "output_of"]

ACTIVATIONS: dict[str, Callable[[torch.Tensor], torch.Tensor]] = {
    "tanh": torch.tanh,
    "relu": torch.relu,
    "sigmoid": torch.sigmoid,
    "linear": lambda a: a,
}


def activation(name: str) -> Callable[[torch.Tensor], torch.Tensor]:
    """The activation function called ``name`` (``"tanh"``, ``"relu"``, ``"sigmoid"``, ``"linear"``)."""
    if name not in ACTIVATIONS:
        raise ValueError(f"unknown activation {name!r}: expected one of {sorted(ACTIVATIONS)}")
    return ACTIVATIONS[name]


def output_of(state):
    """The output ``h_t`` of a cell state: the state itself, or the first entry of a tuple."""
    return state[0] if isinstance(state, (tuple, list)) else state


def _check_input(x, input_size: int, who: str) -> None:
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"{who} expects x as a torch.Tensor of shape (batch, {input_size}), "
                        f"got {type(x).__name__}")
    if x.dim() != 2 or x.shape[1] != input_size:
        hint = " (one example? add the batch axis with x.unsqueeze(0))" if x.dim() == 1 else ""
        raise ValueError(f"{who} expects x of shape (batch, {input_size}), got {tuple(x.shape)}{hint}")


def _check_state(h, batch: int, hidden_size: int, who: str, name: str = "h") -> None:
    if not isinstance(h, torch.Tensor):
        raise TypeError(f"{who} expects {name} as a torch.Tensor of shape ({batch}, {hidden_size}), "
                        f"got {type(h).__name__}")
    if tuple(h.shape) != (batch, hidden_size):
        raise ValueError(f"{who} expects {name} of shape ({batch}, {hidden_size}), got {tuple(h.shape)}")


class _Cell(nn.Module):
    """Shared machinery: stacked weights for ``n_gates`` gates, uniform init, loading."""

    n_gates = 1
    torch_class: type | None = None
    state_names: tuple[str, ...] = ("h",)   # the parts of the state, for error messages

    def __init__(self, input_size: int, hidden_size: int):
        super().__init__()
        who = type(self).__name__
        self.input_size = positive_int(input_size, f"{who}: input_size")
        self.hidden_size = positive_int(hidden_size, f"{who}: hidden_size")
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

    # ------------------------------------------------------------------ state
    def init_state(self, batch: int, device=None, dtype=None):
        """The all-zero initial state for a batch."""
        return torch.zeros(batch, self.hidden_size, device=device, dtype=dtype)

    def check_state(self, state, batch: int) -> None:
        """Raise a clear error unless ``state`` is a valid state of this cell for ``batch``."""
        who = type(self).__name__
        if len(self.state_names) == 1:
            _check_state(state, batch, self.hidden_size, who, self.state_names[0])
            return
        if not isinstance(state, (tuple, list)) or len(state) != len(self.state_names):
            n = len(self.state_names)
            kind = "a pair (a tuple of 2 tensors)" if n == 2 else f"a tuple of {n} tensors"
            raise ValueError(f"{who} expects the state as {kind} ({', '.join(self.state_names)}), "
                             f"got {type(state).__name__}"
                             + (f" of length {len(state)}" if isinstance(state, (tuple, list)) else ""))
        for part, name in zip(state, self.state_names):
            _check_state(part, batch, self.hidden_size, who, name)

    @staticmethod
    def output(state) -> torch.Tensor:
        """``h_t`` from a state of this cell."""
        return output_of(state)

    # ------------------------------------------------------------------ computing
    def project_input(self, x: torch.Tensor) -> torch.Tensor:
        """``W_x x + b`` for every gate: ``(..., input)`` -> ``(..., gates*H)``."""
        return torch.nn.functional.linear(x, self.weight_x, self.bias)

    def step(self, ax: torch.Tensor, state, record: dict | None = None):
        raise NotImplementedError

    def forward(self, x: torch.Tensor, state=None):
        _check_input(x, self.input_size, type(self).__name__)
        if state is None:
            state = self.init_state(x.shape[0], x.device, x.dtype)
        self.check_state(state, x.shape[0])
        return self.step(self.project_input(x), state)

    # ------------------------------------------------------------------ loading torch.nn
    @classmethod
    def _check_torch_cell(cls, cell, who: str) -> None:
        if cls.torch_class is None:
            raise TypeError(f"{cls.__name__} has no torch.nn counterpart to load")
        if isinstance(cell, (nn.RNN, nn.LSTM, nn.GRU)):
            raise TypeError(
                f"{who} expects a single torch.nn.{cls.torch_class.__name__}, got a whole "
                f"torch.nn.{type(cell).__name__} layer; load layers with "
                "rc.layers.Recurrent.from_torch(layer)")
        if not isinstance(cell, cls.torch_class):
            match = {nn.RNNCell: "RNNCell", nn.LSTMCell: "LSTMCell", nn.GRUCell: "GRUCell"}.get(type(cell))
            hint = f"; use rc.cells.{match}.from_torch for it" if match else ""
            raise TypeError(f"{who} expects a torch.nn.{cls.torch_class.__name__}, "
                            f"got {type(cell).__name__}{hint}")
        if getattr(cell, "bias_ih", None) is None:
            raise ValueError(f"{who} needs a torch cell created with bias=True")

    @torch.no_grad()
    def load_torch(self, cell: nn.Module) -> "_Cell":
        """Copy the weights of the matching ``torch.nn`` cell, folding its two biases."""
        self._check_torch_cell(cell, f"{type(self).__name__}.load_torch")
        if (cell.input_size, cell.hidden_size) != (self.input_size, self.hidden_size):
            raise ValueError(
                f"size mismatch: this cell is ({self.input_size} -> {self.hidden_size}), "
                f"the torch cell is ({cell.input_size} -> {cell.hidden_size})")
        self.load_weights(cell.weight_ih, cell.weight_hh, cell.bias_ih, cell.bias_hh)
        return self

    @torch.no_grad()
    def load_weights(self, weight_ih, weight_hh, bias_ih, bias_hh) -> "_Cell":
        """Copy PyTorch-layout weights (also one layer and direction of ``torch.nn.LSTM`` etc.)."""
        self.weight_x.copy_(weight_ih)
        self.weight_h.copy_(weight_hh)
        self.bias.copy_(bias_ih + bias_hh)
        return self

    @classmethod
    def _kwargs_from_torch(cls, cell) -> dict:
        return {}

    @classmethod
    def from_torch(cls, cell: nn.Module) -> "_Cell":
        """A new cell with the weights of ``cell`` (a ``torch.nn`` cell of the same kind)."""
        cls._check_torch_cell(cell, f"{cls.__name__}.from_torch")
        new = cls(cell.input_size, cell.hidden_size, **cls._kwargs_from_torch(cell))
        new = new.to(dtype=cell.weight_ih.dtype, device=cell.weight_ih.device)
        return new.load_torch(cell)

    def extra_repr(self) -> str:
        return f"{self.input_size}, {self.hidden_size}"


class RNNCell(_Cell):
    """Simple (Elman) cell: ``h_t = g(W_xh x_t + W_hh h_{t-1} + b_h)`` (chapter 3).

    ``nonlinearity`` ``g`` is ``"tanh"`` (default) or ``"relu"``. Parameters: ``H*I + H*H + H``.
    """

    torch_class = nn.RNNCell

    def __init__(self, input_size: int, hidden_size: int, nonlinearity: str = "tanh"):
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"nonlinearity must be 'tanh' or 'relu', got {nonlinearity!r}")
        self.nonlinearity = nonlinearity
        super().__init__(input_size, hidden_size)

    def step(self, ax, h, record=None):
        return ACTIVATIONS[self.nonlinearity](torch.addmm(ax, h, self.weight_h.T))  # (batch, H)

    def load_torch(self, cell: nn.RNNCell) -> "RNNCell":
        if isinstance(cell, nn.RNNCell) and cell.nonlinearity != self.nonlinearity:
            raise ValueError(f"nonlinearity mismatch: this cell uses {self.nonlinearity}, "
                             f"the torch cell uses {cell.nonlinearity}")
        return super().load_torch(cell)

    @classmethod
    def _kwargs_from_torch(cls, cell) -> dict:
        return {"nonlinearity": cell.nonlinearity}

    def extra_repr(self) -> str:
        return f"{self.input_size}, {self.hidden_size}, nonlinearity={self.nonlinearity!r}"


class LSTMCell(_Cell):
    """Long short-term memory cell (Hochreiter and Schmidhuber 1997, with a forget gate; chapter 6).

    .. math::
        i_t = \\sigma(W_{xi} x_t + W_{hi} h_{t-1} + b_i) \\quad
        f_t = \\sigma(W_{xf} x_t + W_{hf} h_{t-1} + b_f) \\\\
        g_t = \\tanh(W_{xg} x_t + W_{hg} h_{t-1} + b_g) \\quad
        o_t = \\sigma(W_{xo} x_t + W_{ho} h_{t-1} + b_o) \\\\
        c_t = f_t \\odot c_{t-1} + i_t \\odot g_t \\qquad h_t = o_t \\odot \\tanh(c_t)

    Gate order in the stacked weights: i, f, g, o (PyTorch's). Parameters ``4 (H*I + H*H + H)``.
    The state is the pair ``(h, c)``; a recorded step holds ``i, f, g, o`` and ``c``.
    """

    n_gates = 4
    torch_class = nn.LSTMCell
    state_names = ("h", "c")

    def init_state(self, batch: int, device=None, dtype=None):
        z = torch.zeros(batch, self.hidden_size, device=device, dtype=dtype)
        return z, z.clone()

    def step(self, ax, state, record=None):
        h, c = state
        i, f, g, o = torch.addmm(ax, h, self.weight_h.T).chunk(4, dim=-1)  # each (batch, H)
        i, f, g, o = torch.sigmoid(i), torch.sigmoid(f), torch.tanh(g), torch.sigmoid(o)
        c = f * c + i * g                                                  # (batch, H)
        h = o * torch.tanh(c)                                              # (batch, H)
        if record is not None:
            record.update(i=i, f=f, g=g, o=o, c=c)
        return h, c


class GRUCell(_Cell):
    """Gated recurrent unit (Cho et al. 2014; chapter 7).

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
    so :meth:`from_torch` returns a ``reset_after=True`` cell. A recorded step holds ``r, z``
    and the candidate ``n``.
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

    def gates(self, ax, h):
        """The reset gate ``r``, update gate ``z`` and candidate ``n`` of one step."""
        H = self.hidden_size
        ax_r, ax_z, ax_n = ax.split(H, dim=-1)
        hr, hz = (h @ self.weight_h[: 2 * H].T).split(H, dim=-1)       # (batch, H) each
        w_hn = self.weight_h[2 * H:]
        r = torch.sigmoid(ax_r + hr)                                     # (batch, H)
        z = torch.sigmoid(ax_z + hz)                                     # (batch, H)
        if self.reset_after:
            n = torch.tanh(ax_n + r * (h @ w_hn.T + self.bias_hn))      # (batch, H)
        else:
            n = torch.tanh(ax_n + (r * h) @ w_hn.T)                      # (batch, H)
        return r, z, n

    def step(self, ax, h, record=None):
        r, z, n = self.gates(ax, h)
        if record is not None:
            record.update(r=r, z=z, n=n)
        return self._mix(z, n, h)

    @staticmethod
    def _mix(z, n, h):
        """This book's (and PyTorch's) convention: z keeps the old state."""
        return z * h + (1 - z) * n                                        # (batch, H)

    def load_torch(self, cell: nn.GRUCell) -> "GRUCell":
        if not self.reset_after:
            raise ValueError(
                "torch.nn.GRUCell applies the reset gate after the recurrent weights; load it "
                "into GRUCell(..., reset_after=True) (or use GRUCell.from_torch)")
        return super().load_torch(cell)

    @torch.no_grad()
    def load_weights(self, weight_ih, weight_hh, bias_ih, bias_hh) -> "GRUCell":
        if not self.reset_after:
            raise ValueError("torch.nn GRU weights load only into GRUCell(..., reset_after=True)")
        H = self.hidden_size
        self.weight_x.copy_(weight_ih)
        self.weight_h.copy_(weight_hh)
        self.bias[: 2 * H].copy_(bias_ih[: 2 * H] + bias_hh[: 2 * H])  # r, z: fold
        self.bias[2 * H:].copy_(bias_ih[2 * H:])                        # n: input bias
        self.bias_hn.copy_(bias_hh[2 * H:])                             # n: inside r * (...)
        return self

    @classmethod
    def _kwargs_from_torch(cls, cell) -> dict:
        return {"reset_after": True}

    def extra_repr(self) -> str:
        return f"{self.input_size}, {self.hidden_size}, reset_after={self.reset_after}"


CELLS: dict[str, type] = {"rnn": RNNCell, "lstm": LSTMCell, "gru": GRUCell}


def make_cell(kind, input_size: int, hidden_size: int, **kwargs) -> nn.Module:
    """A cell by name (a key of :data:`CELLS`, e.g. ``"lstm"``) or by class: ``make_cell("lstm", 1, 5)``."""
    if isinstance(kind, type) and issubclass(kind, nn.Module):
        return kind(input_size, hidden_size, **kwargs)
    if kind not in CELLS:
        raise ValueError(f"unknown cell kind {kind!r}: expected one of {sorted(CELLS)} or a cell class")
    return CELLS[kind](input_size, hidden_size, **kwargs)


_GATES = {"rnn": 1, "lstm": 4, "gru": 3}


def param_count(kind: str, input_size: int, hidden_sizes: Sequence[int] | int,
                output_size: int = 0, *, bidirectional: bool = False,
                reset_after: bool = False) -> int:
    """Trainable weights of stacked ``kind`` layers plus a linear readout, with one bias per gate.

    Per layer and direction: ``gates * (H*I + H*H + H)`` (``+ H`` for a ``reset_after`` GRU),
    where ``I`` is the layer's input width; the readout has ``O * (H_last + 1)``. The lecture's
    "41 weights" of a simple RNN with 5 units is ``param_count("rnn", 1, 5, 1)``.
    """
    if kind not in _GATES:
        raise ValueError(f"param_count knows the kinds {sorted(_GATES)}, got {kind!r}")
    hs = [hidden_sizes] if isinstance(hidden_sizes, int) else list(hidden_sizes)
    if not hs:
        raise ValueError("hidden_sizes is empty: give at least one layer")
    dirs = 2 if bidirectional else 1
    total, width = 0, positive_int(input_size, "input_size")
    for H in hs:
        H = positive_int(H, "hidden size")
        per = _GATES[kind] * (H * width + H * H + H) + (H if reset_after and "gru" in kind else 0)
        total += dirs * per
        width = dirs * H
    if output_size:
        total += positive_int(output_size, "output_size") * (width + 1)
    return total


# Cells that rnncourse 0.2 kept here and that now live with the one chapter that uses them.
_MOVED = {"LeakyRNNCell": "rnncourse.chapters.ch05", "SkipRNNCell": "rnncourse.chapters.ch05",
          "ChungGRUCell": "rnncourse.chapters.ch07"}


def __getattr__(name: str):
    if name in _MOVED:
        raise AttributeError(f"rnncourse.cells.{name} has moved to {_MOVED[name]}.{name} "
                             f"(from {_MOVED[name].rsplit('.', 1)[0]} import "
                             f"{_MOVED[name].rsplit('.', 1)[1]})")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
