"""Measuring gradients through time (chapters 5 and 6).

- :func:`gradient_norms_by_lag`: ``||dL_T/dh_t||`` against the lag ``T - t``, on a real backward
  pass of any cell;
- :func:`log_slope`: the measured decay or growth of such a curve per step of lag.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from .layers import run_cell
from .utils import to_numpy

__all__ = ["gradient_norms_by_lag", "log_slope"]


def gradient_norms_by_lag(cell: nn.Module, x: torch.Tensor, direction: torch.Tensor | None = None,
                          seed: int = 0) -> np.ndarray:
    """Measure ``||dL_T/dh_t||`` for every lag ``T - t`` on a real backward pass.

    The cell runs over ``x`` ``(batch, time, input)`` (:func:`rnncourse.layers.run_cell`); the
    loss is the projection of the last state on a fixed unit vector ``u``,
    ``L_T = sum_batch u . h_T``, so ``dL_T/dh_T = u`` has norm 1 and
    ``||dL_T/dh_t|| = ||(dh_T/dh_t)^T u||`` is exactly the size of the Jacobian product. To
    read ``dL_T/dh_t`` inside the recursion, a zero *probe* ``p_t`` is added to every ``h_t``:
    the values do not change, and ``dL_T/dp_t = dL_T/dh_t``. Returns the mean over the batch
    of those norms as an array of length ``time``: entry ``k`` is the lag ``k`` (entry 0 is 1).
    ``direction`` sets ``u`` (normalised); by default it is drawn with ``seed``.
    """
    if not isinstance(cell, nn.Module) or not isinstance(getattr(cell, "hidden_size", None), int):
        raise TypeError(f"gradient_norms_by_lag expects a cell (an nn.Module with hidden_size, e.g. "
                        f"rc.cells.RNNCell), got {type(cell).__name__}")
    H = cell.hidden_size
    if direction is None:
        direction = torch.randn(H, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)
    u = torch.as_tensor(direction).flatten()
    if u.numel() != H or not torch.isfinite(u).all() or float(u.norm()) == 0:
        raise ValueError(f"direction must be a non-zero vector of {H} numbers")
    if not isinstance(x, torch.Tensor) or x.dim() != 3 or x.shape[1] == 0:
        raise ValueError(f"x must have shape (batch, time, input) with time >= 1, got "
                         f"{tuple(x.shape) if isinstance(x, torch.Tensor) else type(x).__name__}")
    u = (u / u.norm()).to(device=x.device, dtype=x.dtype)  # (H,)
    B, T, _ = x.shape
    probes = torch.zeros(T, B, H, device=x.device, dtype=x.dtype, requires_grad=True)
    pending = iter(probes.unbind(0))                       # one (batch, H) probe per step

    class Probed(nn.Module):
        """The cell, with the next probe added to the output h_t of every step."""

        hidden_size = H

        def init_state(self, batch, device=None, dtype=None):
            return cell.init_state(batch, device, dtype)

        def forward(self, x_t, state):
            state, p = cell(x_t, state), next(pending)
            if isinstance(state, tuple):
                return (state[0] + p,) + state[1:]
            return state + p

    with torch.enable_grad():
        outputs, _, _ = run_cell(Probed(), x)               # (batch, time, H)
        loss = (outputs[:, -1] @ u).sum()
        (grads,) = torch.autograd.grad(loss, probes)        # (time, batch, H)
    norms = grads.norm(dim=-1).mean(dim=-1).flip(0)         # entry k: lag k
    return to_numpy(norms)


def log_slope(norms, start: int = 0, stop: int | None = None, base: float = 10.0) -> float:
    """The least-squares slope of ``log_base(norms[k])`` against the lag ``k``, for ``start <= k < stop``.

    A slope ``s`` means the gradient norm is multiplied by about ``base**s`` per step of lag;
    for a linear RNN it tends to ``log_base(spectral radius)``.
    """
    if isinstance(base, bool) or not isinstance(base, (int, float)) or not base > 0 or base == 1 \
            or not np.isfinite(base):
        raise ValueError(f"base must be a positive number other than 1 (a logarithm's base), got {base!r}")
    n = np.asarray(norms, dtype=np.float64)
    if n.ndim != 1:
        raise ValueError(f"norms must be a 1-d array, got shape {n.shape}")
    stop = len(n) if stop is None else stop
    k = np.arange(len(n))[start:stop]
    v = n[start:stop]
    if len(v) < 2:
        raise ValueError(f"need at least two lags to fit a slope, got {len(v)}")
    if np.any(v <= 0) or not np.all(np.isfinite(v)):
        raise ValueError("norms must be positive and finite to take their logarithm")
    return float(np.polyfit(k, np.log(v) / np.log(base), 1)[0])
