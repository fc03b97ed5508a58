"""Exercise checks for chapter 7 (gated recurrent units)."""

from __future__ import annotations

import torch

from . import as_array, call, check, compare, describe, fail, reject

__all__ = ["gru_step", "after_pulse_and_at_rest"]


def _gru_variant(x, h, W_x, W_h, b, *, convention="cho", reset_after=False, gate_bias=True,
                 candidate_bias=True, swap_activations=False, swap_rz=False,
                 untransposed=False, no_reset=False, reset_input=False, reset_after_bias=False,
                 linear_candidate=False, reset_in_mix=False, candidate_untransposed=False,
                 no_mix=False):
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
    if candidate_untransposed:       # only the candidate's W_hn used untransposed
        W_hn = W_hn.T
    r = gate(x @ W_xr.T + h @ W_hr.T + b_r)  # (batch, H)
    z = gate(x @ W_xz.T + h @ W_hz.T + b_z)  # (batch, H)
    if linear_candidate:             # the candidate's tanh forgotten
        squash = lambda a: a  # noqa: E731
    if no_reset or reset_in_mix:
        n = squash(x @ W_xn.T + h @ W_hn.T + b_n)
    elif reset_input:
        n = squash(r * (x @ W_xn.T) + h @ W_hn.T + b_n)
    elif reset_after_bias:           # PyTorch's form with the one bias inside the reset
        n = squash(x @ W_xn.T + r * (h @ W_hn.T + b_n))
    elif reset_after:
        n = squash(x @ W_xn.T + r * (h @ W_hn.T) + b_n)
    else:
        n = squash(x @ W_xn.T + (r * h) @ W_hn.T + b_n)
    if no_mix:                       # the candidate returned, the mix with h_{t-1} forgotten
        return n
    if reset_in_mix:                 # r moved from the candidate to the final mix
        h = r * h
    if convention == "cho":
        return z * h + (1 - z) * n            # (batch, H)
    return (1 - z) * h + z * n


@check("7.1", expects="gru_step(x, h, W_x, W_h, b) returning the new state h_t alone: one "
       "tensor of shape (batch, H), in the inputs' dtype (float64)",
       accepts=("numbers", "batch", "tensor"))
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
        "The reset gate multiplies W_hn h_{t-1} + b_n, PyTorch's reset-after form with the "
        "bias inside; here it acts on h_{t-1} before the weights, W_hn (r * h_{t-1}) + b_n.":
            _gru_variant(x, h, W_x, W_h, b, reset_after_bias=True),
        "The candidate looks linear: expected h~_t = tanh(W_xn x_t + W_hn (r * h_{t-1}) + "
        "b_n); your answer matches the same sum without the tanh.":
            _gru_variant(x, h, W_x, W_h, b, linear_candidate=True),
        "The reset gate is applied in the final mix instead of the candidate: expected "
        "h~_t = tanh(W_xn x_t + W_hn (r * h_{t-1}) + b_n) and h_t = z * h_{t-1} + (1 - z) * "
        "h~_t; your answer matches h~_t computed from h_{t-1} and h_t = z * (r * h_{t-1}) + "
        "(1 - z) * h~_t.": _gru_variant(x, h, W_x, W_h, b, reset_in_mix=True),
        "You returned the candidate h~_t: the new state mixes it with the old one, h_t = "
        "z * h_{t-1} + (1 - z) * h~_t.": _gru_variant(x, h, W_x, W_h, b, no_mix=True),
        "The candidate's recurrent weights are used untransposed: batches are rows, so the "
        "candidate's term is (r * h_{t-1}) @ W_hn.T, not @ W_hn.":
            _gru_variant(x, h, W_x, W_h, b, candidate_untransposed=True),
        "r and z are swapped and the other convention for z is used.":
            _gru_variant(x, h, W_x, W_h, b, swap_rz=True, convention="chung"),
    }
    compare(got, expected, "h_t", rtol=1e-6, atol=1e-9, mistakes=mistakes)
    return "your GRU step matches the reference on random weights and states"


def _after_and_rest(z, x, window, *, tau="exact", include_pulse=False, rest_all_quiet=False,
                    stat="median", window_plus_one=False, late=False, no_cut=False):
    """Exercise 7.2's reference, with switches that reproduce the usual mistakes."""
    t = {"exact": 1 / (1 - z), "chung": 1 / z}[tau]                    # (time, H)
    quiet = x == 0                                                     # (time,)
    ends = torch.zeros_like(quiet)
    ends[1:] = quiet[1:] & ~quiet[:-1]                                 # first quiet step after a pulse
    after = torch.zeros_like(quiet)
    span = window + 1 if window_plus_one else window
    for e in ends.nonzero().flatten().tolist():
        e += 1 if late else 0
        after[e:e + span] = True
    if include_pulse:                                                  # the pulse itself counted too
        after = after | ~quiet
    elif no_cut:                                                       # pulse steps inside a window kept
        pass
    else:
        after = after & quiet                                          # a new pulse cuts the window
    rest = quiet if rest_all_quiet else quiet & ~after
    reduce = (lambda v: v.median(dim=0).values) if stat == "median" else (lambda v: v.mean(dim=0))
    return reduce(t[after]), reduce(t[rest])                           # each (H,)


@check("7.2", expects="after_pulse_and_at_rest(z, x, window) returning two tensors (tau_after, "
       "tau_rest), each of shape (H,): every unit's median time constant 1 / (1 - z_t) over the "
       "window steps after each pulse, and over the other steps with zero input",
       accepts=("numbers", "tuple of 2", "tensor"))
def after_pulse_and_at_rest(student_fn):
    """Exercise 7.2: ``after_pulse_and_at_rest(z, x, window)`` -> ``(tau_after, tau_rest)``."""
    g = torch.Generator().manual_seed(72)
    T, H, window = 70, 4, 6
    z = torch.rand(T, H, generator=g, dtype=torch.float64) * 0.98 + 0.01   # (time, H)
    x = torch.zeros(T, dtype=torch.float64)                                # (time,)
    for start, stop, height in ((4, 9, 0.7), (22, 27, -0.4), (30, 33, 0.9), (55, 60, 0.5)):
        x[start:stop] = height                     # the third pulse starts inside a window
    z0, x0 = z.clone(), x.clone()
    got = call(student_fn, z, x, window)
    if not (torch.equal(z, z0) and torch.equal(x, x0)):
        fail("after_pulse_and_at_rest changed z or x in place; compute new tensors instead")
    if not isinstance(got, (tuple, list)) or len(got) != 2:
        reject(f"after_pulse_and_at_rest should return two tensors (tau_after, tau_rest), got "
               f"{describe(got)}")
    for name, v in zip(("tau_after", "tau_rest"), got):
        arr = as_array(v, name, tensor=True, finite=False)
        if arr.shape != (H,):
            hint = ": keep one value per unit (reduce over time only)" if arr.size in (1, T) else ""
            reject(f"{name} has shape {arr.shape}, expected ({H},), one value per unit{hint}")
    ref = _after_and_rest(z, x, window)
    swapped = (ref[1], ref[0])
    variants = {
        "You used tau = 1 / z, Chung et al.'s convention; in this chapter z_t is the share of "
        "the old state kept, so tau_t = 1 / (1 - z_t).": _after_and_rest(z, x, window, tau="chung"),
        "The two results are in the wrong order: return (tau_after, tau_rest).": swapped,
        "Your window includes the pulse itself: it should start at the first step with zero "
        "input after a pulse ends.": _after_and_rest(z, x, window, include_pulse=True),
        "Your resting steps include the windows after the pulses: at rest means zero input "
        "and no pulse ended within the last window steps.":
            _after_and_rest(z, x, window, rest_all_quiet=True),
        "You took the mean over the steps; take the median (a few steps with z near 1 give "
        "huge tau and dominate a mean).": _after_and_rest(z, x, window, stat="mean"),
        "Your window starts one step late: its first step is the first quiet step after the "
        "pulse (where x[t] == 0 and x[t - 1] != 0), not the step after it.":
            _after_and_rest(z, x, window, late=True),
        "A new pulse does not end your window: steps with non-zero input inside a window "
        "must be left out (after & quiet).": _after_and_rest(z, x, window, no_cut=True),
        "Your window is one step too long: window steps, starting at the first quiet step "
        "(t = e, ..., e + window - 1).": _after_and_rest(z, x, window, window_plus_one=True),
    }
    for k, name in enumerate(("tau_after", "tau_rest")):
        compare(got[k], ref[k], name, rtol=1e-9, atol=1e-12,
                mistakes={m: v[k] for m, v in variants.items()})
    return "your time constants after the pulses and at rest match the reference"
