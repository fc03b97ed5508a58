"""Exercise checks for chapter 7 (gated recurrent units)."""

from __future__ import annotations

import torch

from . import as_array, call, check, compare, describe, fail, reject

__all__ = ["gru_step", "time_constants"]


def _gru_variant(x, h, W_x, W_h, b, *, convention="cho", reset_after=False, gate_bias=True,
                 candidate_bias=True, swap_activations=False, swap_rz=False,
                 untransposed=False, no_reset=False, reset_input=False):
    """One GRU step with switches that reproduce the usual mistakes (the reference: defaults)."""
    H = h.shape[1]
    gate = torch.tanh if swap_activations else torch.sigmoid
    squash = torch.sigmoid if swap_activations else torch.tanh
    W_xr, W_xz, W_xn = W_x.split(H)  # each (H, I)
    W_hr, W_hz, W_hn = W_h.split(H)  # each (H, H)
    b_r, b_z, b_n = b.split(H)       # each (H,)
    if swap_rz:
        W_xr, W_xz, W_hr, W_hz, b_r, b_z = W_xz, W_xr, W_hz, W_hr, b_z, b_r
    if not gate_bias:
        b_r, b_z = 0 * b_r, 0 * b_z
    if not candidate_bias:
        b_n = 0 * b_n
    if untransposed:                 # h @ W_h instead of h @ W_h.T
        W_hr, W_hz, W_hn = W_hr.T, W_hz.T, W_hn.T
    r = gate(x @ W_xr.T + h @ W_hr.T + b_r)  # (batch, H)
    z = gate(x @ W_xz.T + h @ W_hz.T + b_z)  # (batch, H)
    if no_reset:
        n = squash(x @ W_xn.T + h @ W_hn.T + b_n)
    elif reset_input:
        n = squash(r * (x @ W_xn.T) + h @ W_hn.T + b_n)
    elif reset_after:
        n = squash(x @ W_xn.T + r * (h @ W_hn.T) + b_n)
    else:
        n = squash(x @ W_xn.T + (r * h) @ W_hn.T + b_n)
    if convention == "cho":
        return z * h + (1 - z) * n            # (batch, H)
    return (1 - z) * h + z * n


@check("7.1", expects="gru_step(x, h, W_x, W_h, b) returning the new state h_t alone: one "
       "tensor of shape (batch, H), in the inputs' dtype (float64)")
def gru_step(student_fn):
    """Exercise 7.1: ``gru_step(x, h, W_x, W_h, b)`` returns ``h_t`` (z keeps the old state)."""
    g = torch.Generator().manual_seed(7)
    batch, I, H = 4, 3, 5
    x = torch.randn(batch, I, generator=g, dtype=torch.float64)        # (batch, I)
    h = torch.randn(batch, H, generator=g, dtype=torch.float64) * 0.8  # (batch, H)
    W_x = torch.randn(3 * H, I, generator=g, dtype=torch.float64)      # (3H, I), rows r, z, n
    W_h = torch.randn(3 * H, H, generator=g, dtype=torch.float64) * 0.7
    b = torch.randn(3 * H, generator=g, dtype=torch.float64)           # (3H,)
    args = [a.clone() for a in (x, h, W_x, W_h, b)]
    got = call(student_fn, *args)
    for a, a0 in zip(args, (x, h, W_x, W_h, b)):
        if not torch.equal(a, a0):
            fail("gru_step changed one of its inputs in place; compute new tensors instead")
    if isinstance(got, (tuple, list)):
        reject(f"gru_step should return the new state h_t alone (one tensor), not a tuple or "
               f"a list; got {describe(got)}")
    as_array(got, "h_t", tensor=True, finite=False)
    expected = _gru_variant(x, h, W_x, W_h, b)
    mistakes = {
        "You used the other convention for z: with this chapter's equations z keeps the old "
        "state, h_t = z * h_{t-1} + (1 - z) * h~_t.": _gru_variant(x, h, W_x, W_h, b, convention="chung"),
        "The reset gate is applied after W_hn (r * (W_hn h), PyTorch's variant); here it acts "
        "on h_{t-1} before the weights: W_hn (r * h_{t-1}).": _gru_variant(x, h, W_x, W_h, b, reset_after=True),
        "tanh and sigmoid are swapped: the gates r and z use the sigmoid, the candidate uses "
        "tanh.": _gru_variant(x, h, W_x, W_h, b, swap_activations=True),
        "A bias is missing: none of b_r, b_z, b_n was added.": _gru_variant(
            x, h, W_x, W_h, b, gate_bias=False, candidate_bias=False),
        "A bias is missing: the candidate's bias b_n (the last H entries of b) was not added.":
            _gru_variant(x, h, W_x, W_h, b, candidate_bias=False),
        "A bias is missing: the gates' biases b_r and b_z were not added.":
            _gru_variant(x, h, W_x, W_h, b, gate_bias=False),
        "r and z are swapped: the rows are stacked in the order r, z, n (the first H rows "
        "belong to the reset gate).": _gru_variant(x, h, W_x, W_h, b, swap_rz=True),
        "The recurrent weights are used untransposed: batches are rows, so the recurrent "
        "term is h @ W_h*.T, not h @ W_h*.": _gru_variant(x, h, W_x, W_h, b, untransposed=True),
        "The reset gate is missing (forgotten): the candidate must see r * h_{t-1}, not "
        "h_{t-1}.": _gru_variant(x, h, W_x, W_h, b, no_reset=True),
        "The reset gate multiplies the input term: it acts on the old state, "
        "W_hn (r * h_{t-1}), and the input term W_xn x_t is not reset.":
            _gru_variant(x, h, W_x, W_h, b, reset_input=True),
        "r and z are swapped and the other convention for z is used.":
            _gru_variant(x, h, W_x, W_h, b, swap_rz=True, convention="chung"),
    }
    compare(got, expected, "h_t", rtol=1e-6, atol=1e-9, mistakes=mistakes)
    return "your GRU step matches the reference on random weights and states"


@check("7.2", expects="time_constants(z) returning a tensor of z's shape (batch, time, H), "
       "in z's dtype: the time constant tau_t = 1 / (1 - z_t) of every unit at every step")
def time_constants(student_fn):
    """Exercise 7.2: ``time_constants(z)`` turns recorded update gates into ``1 / (1 - z)``."""
    g = torch.Generator().manual_seed(72)
    z = torch.rand(2, 7, 4, generator=g, dtype=torch.float64) * 0.98 + 0.01   # (batch, time, H)
    z0 = z.clone()
    got = call(student_fn, z)
    if not torch.equal(z, z0):
        fail("time_constants changed z in place; compute a new tensor instead")
    if isinstance(got, (tuple, list)):
        reject(f"time_constants should return one tensor, got {describe(got)}")
    arr = as_array(got, "tau", tensor=True, finite=False)
    if arr.shape != tuple(z.shape):
        hint = ""
        if arr.shape in ((2, 4), (2, 7), (7, 4), (4,), ()):
            hint = ": it looks averaged over an axis; keep one value per unit and per step"
        reject(f"tau has shape {arr.shape} but z has shape {tuple(z.shape)}{hint}")
    if isinstance(got, torch.Tensor) and got.dtype != z.dtype:
        reject(f"tau is {got.dtype} but z is {z.dtype}: keep z's dtype (float64), or float32 "
               "precision loses the digits that matter where z is close to 1")
    expected = 1 / (1 - z)
    mistakes = {
        "You computed 1 / z: that is the time constant in Chung et al.'s convention, where z "
        "admits the candidate. In this chapter z_t is the share of the old state kept, so "
        "tau_t = 1 / (1 - z_t).": 1 / z,
        "You computed 1 - z_t, the share of the candidate written each step; that is 1 / tau, "
        "so invert it.": 1 - z,
        "You computed z / (1 - z), which is tau - 1: the time constant is 1 / (1 - z_t).":
            z / (1 - z),
        "You computed 1 / (1 + z); the time constant is 1 / (1 - z_t).": 1 / (1 + z),
        "You computed -1 / log(z), the decay time of z^t: close to tau for z near 1, but the "
        "leaky unit's time constant is exactly 1 / (1 - z_t).": -1 / torch.log(z),
    }
    compare(got, expected, "tau", rtol=1e-9, atol=1e-12, mistakes=mistakes)
    return "your time constants match 1 / (1 - z) at every unit and step"
