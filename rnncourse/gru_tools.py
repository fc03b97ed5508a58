"""The two conventions for the GRU's update gate (chapter 7).

Papers write the GRU's last line in one of two ways:

- Cho et al. (2014), PyTorch, Keras: ``h_t = z_t * h_{t-1} + (1 - z_t) * h~_t``;
  the update gate ``z`` says how much of the *old* state to keep. This is
  :class:`rnncourse.cells.GRUCell`.
- Chung et al. (2014) and many tutorials: ``h_t = (1 - z_t) * h_{t-1} + z_t * h~_t``;
  ``z`` says how much of the *new* candidate to let in. This is :class:`ChungGRUCell`.

They are the same model: since ``1 - sigmoid(a) = sigmoid(-a)``, a cell in one convention
computes exactly what a cell in the other computes once the update gate's weights and bias
are negated. :func:`switch_convention` does that conversion, in either direction.
"""

from __future__ import annotations

import copy

import torch
from torch import nn

from .cells import GRUCell, _check_input, _check_state

__all__ = ["ChungGRUCell", "switch_convention", "update_gate_rows", "cell_from_layer", "run_with_gates"]


class ChungGRUCell(GRUCell):
    """A GRU cell whose update gate admits the candidate (Chung et al. 2014's convention).

    .. math::
        r_t = \\sigma(W_{xr} x_t + W_{hr} h_{t-1} + b_r) \\quad
        z_t = \\sigma(W_{xz} x_t + W_{hz} h_{t-1} + b_z) \\\\
        \\tilde h_t = \\tanh(W_{xn} x_t + W_{hn} (r_t \\odot h_{t-1}) + b_n) \\qquad
        h_t = (1 - z_t) \\odot h_{t-1} + z_t \\odot \\tilde h_t

    Same parameters, gate order (r, z, n) and ``reset_after`` option as
    :class:`rnncourse.cells.GRUCell`; only the last line differs.
    """

    def forward(self, x: torch.Tensor, h: torch.Tensor | None = None) -> torch.Tensor:
        _check_input(x, self.input_size, "ChungGRUCell")
        if h is None:
            h = self.init_state(x.shape[0], x.device, x.dtype)
        _check_state(h, x.shape[0], self.hidden_size, "ChungGRUCell")
        z, n = self._update_and_candidate(x, h)  # the same gates and candidate as GRUCell
        return (1 - z) * h + z * n               # (batch, H): only this line differs

    def load_torch(self, cell):
        raise TypeError(
            "torch.nn.GRUCell uses the other convention (z keeps the old state); load it with "
            "GRUCell.from_torch(cell) and convert with switch_convention"
        )


def update_gate_rows(hidden_size: int) -> slice:
    """The rows of the stacked weights and bias that belong to the update gate ``z``."""
    if isinstance(hidden_size, bool) or not isinstance(hidden_size, int) or hidden_size < 1:
        raise ValueError(f"hidden_size must be a positive int, got {hidden_size!r}")
    return slice(hidden_size, 2 * hidden_size)  # gate order r, z, n


@torch.no_grad()
def switch_convention(cell: GRUCell) -> GRUCell:
    """The same GRU in the other convention for ``z``: a new cell with the z rows negated.

    A :class:`rnncourse.cells.GRUCell` (z keeps the old state) becomes a
    :class:`ChungGRUCell` (z admits the candidate) and vice versa. The two compute the same
    ``h_t`` for every input, because ``1 - sigmoid(a) = sigmoid(-a)``. The input cell is not
    changed; applying the function twice gives back the original weights.
    """
    if not isinstance(cell, GRUCell):
        raise TypeError(f"switch_convention expects a GRUCell or ChungGRUCell, "
                        f"got {type(cell).__name__}")
    target = GRUCell if isinstance(cell, ChungGRUCell) else ChungGRUCell
    new = target(cell.input_size, cell.hidden_size, reset_after=cell.reset_after)
    new = new.to(dtype=cell.weight_x.dtype, device=cell.weight_x.device)
    new.load_state_dict(copy.deepcopy(cell.state_dict()))
    rows = update_gate_rows(cell.hidden_size)
    new.weight_x[rows] *= -1  # W_xz -> -W_xz
    new.weight_h[rows] *= -1  # W_hz -> -W_hz
    new.bias[rows] *= -1      # b_z  -> -b_z
    return new


@torch.no_grad()
def cell_from_layer(layer: nn.GRU) -> GRUCell:
    """The from-scratch cell (``reset_after=True``) holding the weights of a one-layer ``nn.GRU``.

    Used to look inside a trained :class:`rnncourse.models.FastSequenceRegressor`: the fused
    layer gives the speed, the cell gives access to the gates (see :func:`run_with_gates`).
    """
    if not isinstance(layer, nn.GRU):
        raise TypeError(f"cell_from_layer expects a torch.nn.GRU, got {type(layer).__name__}")
    if layer.num_layers != 1 or layer.bidirectional or not layer.bias:
        raise ValueError("cell_from_layer expects a one-layer, one-directional nn.GRU with biases")
    ref = nn.GRUCell(layer.input_size, layer.hidden_size).to(
        dtype=layer.weight_ih_l0.dtype, device=layer.weight_ih_l0.device)
    for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
        getattr(ref, name).copy_(getattr(layer, name + "_l0"))
    return GRUCell.from_torch(ref)


@torch.no_grad()
def run_with_gates(cell: GRUCell, x: torch.Tensor) -> dict:
    """Run ``cell`` over ``x`` (batch, time, input) from a zero state and record every step.

    Returns ``dict(h=..., r=..., z=..., n=...)``, each of shape ``(batch, time, hidden)``: the
    states, the reset and update gates and the candidate. Works for :class:`GRUCell` (either
    ``reset_after``) and :class:`ChungGRUCell`.
    """
    if not isinstance(cell, GRUCell):
        raise TypeError(f"run_with_gates expects a GRUCell, got {type(cell).__name__}")
    if not isinstance(x, torch.Tensor) or x.dim() != 3 or x.shape[2] != cell.input_size:
        shape = tuple(x.shape) if isinstance(x, torch.Tensor) else type(x).__name__
        raise ValueError(f"run_with_gates expects x of shape (batch, time, {cell.input_size}), "
                         f"got {shape}")
    h = cell.init_state(x.shape[0], x.device, x.dtype)                  # (batch, H)
    record = {k: [] for k in ("h", "r", "z", "n")}
    for x_t in x.unbind(1):                                             # each (batch, input)
        g = cell.gates(x_t, h)                                          # r, z, n: (batch, H)
        r, z, n = g["r"], g["z"], g["n"]
        h_next = cell(x_t, h)                                           # the cell's own step
        for k, v in (("h", h_next), ("r", r), ("z", z), ("n", n)):
            record[k].append(v)
        h = h_next
    return {k: torch.stack(v, dim=1) for k, v in record.items()}       # each (batch, time, H)
