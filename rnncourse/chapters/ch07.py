"""Chapter 7 (GRU): the two conventions for the GRU's update gate.

Papers write the GRU's last line in one of two ways:

- Cho et al. (2014), PyTorch, Keras: ``h_t = z_t * h_{t-1} + (1 - z_t) * h~_t``;
  the update gate ``z`` says how much of the *old* state to keep. This is
  :class:`rnncourse.cells.GRUCell`.
- Chung et al. (2014) and many tutorials: ``h_t = (1 - z_t) * h_{t-1} + z_t * h~_t``;
  ``z`` says how much of the *new* candidate to let in. This is
  :class:`rnncourse.cells.ChungGRUCell`.

They are the same model: since ``1 - sigmoid(a) = sigmoid(-a)``, a cell in one convention
computes exactly what a cell in the other computes once the update gate's weights and bias
are negated. :func:`switch_convention` does that conversion, in either direction.
"""

from __future__ import annotations

import copy

import torch

from .._validate import positive_int
from ..cells import ChungGRUCell, GRUCell

__all__ = ["switch_convention", "update_gate_rows"]


def update_gate_rows(hidden_size: int) -> slice:
    """The rows of the stacked weights and bias that belong to the update gate ``z``."""
    positive_int(hidden_size, "hidden_size")
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
