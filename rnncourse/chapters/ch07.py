"""Chapter 7 (GRU): the two conventions for the GRU's update gate.

Papers write the GRU's last line in one of two ways:

- Cho et al. (2014), PyTorch, Keras: ``h_t = z_t * h_{t-1} + (1 - z_t) * h~_t``;
  the update gate ``z`` says how much of the *old* state to keep. This is
  :class:`rnncourse.cells.GRUCell`.
- Chung et al. (2014) and many tutorials: ``h_t = (1 - z_t) * h_{t-1} + z_t * h~_t``;
  ``z`` says how much of the *new* candidate to let in. This is :class:`ChungGRUCell`, a
  :class:`rnncourse.cells.GRUCell` with that last line changed (this chapter's demonstration).

They are the same model: since ``1 - sigmoid(a) = sigmoid(-a)``, a cell in one convention
computes exactly what a cell in the other computes once the update gate's weights and bias
are negated. :func:`switch_convention` does that conversion, in either direction.
"""

from __future__ import annotations

import copy

import torch

from .._validate import positive_int
from ..cells import GRUCell

__all__ = ["ChungGRUCell", "switch_convention", "update_gate_rows", "gru_cell_diagram"]


class ChungGRUCell(GRUCell):
    """A GRU cell whose update gate admits the candidate (Chung et al. 2014's convention).

    ``h_t = (1 - z_t) * h_{t-1} + z_t * h~_t``. Same parameters, gate order (r, z, n) and
    ``reset_after`` option as :class:`GRUCell`; only the last line differs. It computes what a
    :class:`GRUCell` computes once the update gate's weights and bias are negated, since
    ``1 - sigmoid(a) = sigmoid(-a)``.
    """

    torch_class = None

    @staticmethod
    def _mix(z, n, h):
        return (1 - z) * h + z * n                                        # (batch, H)

    def load_torch(self, cell):
        raise TypeError(
            "torch.nn.GRUCell uses the other convention (z keeps the old state); load it with "
            "GRUCell.from_torch(cell) and convert with ch07.switch_convention")


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


def gru_cell_diagram():
    """A drawing of one GRU step (this chapter's equations, reset before ``W_hn``), in the
    style of chapter 6's LSTM diagram. Returns the figure."""
    import matplotlib.patheffects as pe
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(9, 4.6))
    ax.set(xlim=(0, 10), ylim=(0, 6.2), title="One GRU step")
    ax.axis("off")
    arrow = dict(arrowstyle="-|>", color="k", lw=1.3, shrinkA=0, shrinkB=0)

    def box(x, y, text, colour, w=0.9, h=0.6):
        ax.add_patch(plt.Rectangle((x - w / 2, y - h / 2), w, h, fc=colour, ec="k", lw=1.2))
        ax.text(x, y, text, ha="center", va="center", fontsize=12)

    def node(x, y, text):
        ax.add_patch(plt.Circle((x, y), 0.28, fc="white", ec="k", lw=1.2))
        ax.text(x, y, text, ha="center", va="center", fontsize=11)

    def line(a, b, **kw):
        ax.annotate("", xy=b, xytext=a, arrowprops={**arrow, **kw})

    colours = {"r": "#f4b6b6", "z": "#b6d7f4", "n": "#c9f4b6"}
    # the state path along the top: keep a share z_t of the old state, add the rest
    ax.text(0.3, 5.25, "$h_{t-1}$", fontsize=13)
    ax.plot([0.3, 3.22], [5, 5], color="k", lw=1.3)
    node(3.5, 5, "×"); line((3.78, 5), (6.22, 5))
    node(6.5, 5, "+"); line((6.78, 5), (9.7, 5)); ax.text(9.2, 5.25, "$h_t$", fontsize=13)
    # the gates, fed by [h_{t-1}, x_t]
    ax.plot([0.3, 3.5], [1.0, 1.0], color="k", lw=1.3)
    ax.text(0.3, 0.55, "$h_{t-1}$, $x_t$", fontsize=13)
    for x, name in ((2.0, "r"), (3.5, "z")):
        line((x, 1.0), (x, 1.95))
        box(x, 2.25, "$\\sigma$", colours[name])
    ax.text(2.5, 2.65, "$r_t$", fontsize=12)
    ax.text(3.05, 2.75, "$z_t$", fontsize=12, ha="right")        # clear of the arrow to 1−
    ax.annotate("", xy=(3.5, 4.72), xytext=(3.5, 2.55), arrowprops=arrow, zorder=1)  # z_t keeps h_{t-1}
    # the reset acts on h_{t-1} before W_hn; the candidate also reads x_t
    ax.plot([1.2, 1.2], [5, 3.6], color="k", lw=1.3); line((1.2, 3.6), (1.72, 3.6))
    node(2.0, 3.6, "×"); line((2.0, 2.55), (2.0, 3.32))
    crossing = ax.annotate("", xy=(5.55, 2.4), xytext=(2.28, 3.6), arrowprops=arrow, zorder=3)
    crossing.arrow_patch.set_path_effects([pe.Stroke(linewidth=7, foreground="white"), pe.Normal()])
    ax.text(2.62, 3.52, "$W_{hn}$", fontsize=11, color="0.2")   # the reset acts before W_hn
    box(6.0, 2.25, "tanh", colours["n"])
    ax.text(6.5, 2.65, "$\\tilde h_t$", fontsize=12)
    ax.text(6.0, 0.55, "$x_t$", fontsize=13, ha="center"); line((6.0, 0.85), (6.0, 1.95))
    ax.text(6.1, 1.3, "$W_{xn}$", fontsize=11, color="0.2")
    # (1 - z_t) times the candidate, added to the kept state
    node(4.8, 3.1, "1−"); line((3.95, 2.45), (4.55, 2.95))
    node(6.5, 3.7, "×"); line((6.0, 2.55), (6.3, 3.48)); line((5.08, 3.2), (6.22, 3.62))
    line((6.5, 3.98), (6.5, 4.72))
    ax.text(3.8, 5.45, "keep: $z_t \\odot h_{t-1}$", fontsize=10, color="0.3")
    ax.text(6.85, 4.25, "write: $+\\,(1 - z_t) \\odot \\tilde h_t$", fontsize=10, color="0.3")
    ax.text(0.25, 3.9, "reset: $r_t \\odot h_{t-1}$", fontsize=10, color="0.3")
    legend = [plt.Rectangle((0, 0), 1, 1, fc=c, ec="k") for c in colours.values()]
    ax.legend(legend, ["reset gate", "update gate", "candidate"], loc="lower right", fontsize=9)
    return fig
