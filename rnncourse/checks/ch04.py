"""Exercise checks for chapter 04 (backpropagation through time)."""

from __future__ import annotations

import numpy as np

from . import unpack  # validates answers
from . import as_array, call, check, compare, describe, fail, reject  # noqa: F401
from ..chapters.ch04 import PARAM_NAMES, Params, backward_step, forward

__all__ = ["bptt_step", "central_difference", "bptt"]


def _step_data(seed: int = 4):
    """Random inputs for one backward step; W_hh is far from symmetric so a transpose shows."""
    rng = np.random.default_rng(seed)
    B, H, I = 3, 4, 2
    h_prev = np.tanh(rng.normal(size=(B, H)))     # (batch, hidden)
    h = np.tanh(rng.normal(size=(B, H)))          # (batch, hidden)
    x = rng.normal(size=(B, I))                   # (batch, input)
    dh_out = rng.normal(size=(B, H))              # (batch, hidden)
    dh_next = rng.normal(size=(B, H))             # (batch, hidden)
    W_hh = rng.normal(size=(H, H)) + 2.0 * np.triu(np.ones((H, H)), 1)  # (hidden, hidden)
    return dh_out, dh_next, h, h_prev, x, W_hh


@check("4.1", expects="bptt_step(dh_out, dh_next, h, h_prev, x, W_hh) returning the four "
       "arrays (dW_xh, dW_hh, db_h, dh_prev), shaped like W_xh, W_hh, b_h and h_prev",
       accepts=("numbers", "tuple of 4", "batch"))
def bptt_step(student_fn):
    """Exercise 4.1: bptt_step(dh_out, dh_next, h, h_prev, x, W_hh) -> (dW_xh, dW_hh, db_h, dh_prev)."""
    dh_out, dh_next, h, h_prev, x, W_hh = _step_data()
    args = [a.copy() for a in (dh_out, dh_next, h, h_prev, x, W_hh)]
    got = call(student_fn, *args)
    for a, b in zip(args, (dh_out, dh_next, h, h_prev, x, W_hh)):
        if not np.array_equal(a, b):
            fail("your function changed one of its inputs in place; compute new arrays instead "
                 "(e.g. `dh = dh_out + dh_next`, not `dh_out += dh_next`)")
    got = unpack(got, 4, "bptt_step", ("dW_xh", "dW_hh", "db_h", "dh_prev"),
                 form="the four arrays")
    dW_xh, dW_hh, db_h, dh_prev = backward_step(dh_out, dh_next, h, h_prev, x, W_hh)

    # what the typical mistakes produce
    no_tanh = backward_step(dh_out, dh_next, np.zeros_like(h), h_prev, x, W_hh)
    no_future = backward_step(dh_out, np.zeros_like(dh_next), h, h_prev, x, W_hh)
    da = (dh_out + dh_next) * (1 - h ** 2)
    tanh_hint = ("You left out the derivative of tanh: multiply dL/dh_t by (1 - h_t**2) "
                 "(elementwise) before using it.")
    future_hint = ("You forgot the gradient arriving from the future step: dL/dh_t is "
                   "dh_out + dh_next, not dh_out alone.")
    prev_hint = ("You used (1 - h_prev**2); the derivative of h_t = tanh(a_t) is 1 - h_t**2, "
                 "with the state of *this* step.")
    wrong_prev = backward_step(dh_out, dh_next, h_prev, h_prev, x, W_hh)

    def from_da(da_wrong, dh_prev_wrong=None):
        """The four arrays a step computes from a (wrong) da."""
        return (da_wrong.T @ x, da_wrong.T @ h_prev, da_wrong.sum(axis=0),
                da_wrong @ W_hh if dh_prev_wrong is None else dh_prev_wrong)

    # the lecture-notes slip: tanh' on the path from the output only, not on dh_next
    output_only = from_da(dh_out * (1 - h ** 2) + dh_next)
    output_only_hint = ("You applied tanh' = 1 - h_t**2 to dh_out only and added dh_next after "
                        "it: the derivative multiplies the *whole* dL/dh_t, "
                        "da = (dh_out + dh_next) * (1 - h**2) (the slip the chapter warns about).")
    # tanh applied twice: h is already tanh(a_t)
    double_tanh = from_da((dh_out + dh_next) * (1 - np.tanh(h) ** 2))
    double_tanh_hint = ("You wrote 1 - tanh(h)**2, but h is already tanh(a_t): the derivative "
                        "is 1 - h**2, with no second tanh.")
    # the previous step's derivative applied again to dh_prev
    extra_prev_hint = ("dh_prev must be W_hh^T da (`da @ W_hh`) with no factor (1 - h_prev**2): "
                       "that derivative is applied at step t-1, when dh_prev arrives there as "
                       "dh_next. Applying it here counts it twice.")
    for k, name in ((2, "db_h"), (0, "dW_xh"), (1, "dW_hh"), (3, "dh_prev")):
        mistakes = {tanh_hint: no_tanh[k], future_hint: no_future[k], prev_hint: wrong_prev[k],
                    output_only_hint: output_only[k], double_tanh_hint: double_tanh[k]}
        if name == "dW_hh":
            mistakes["dW_hh is transposed: it is sum over the batch of da_t h_{t-1}^T, "
                     "i.e. `da.T @ h_prev` with batches as rows."] = h_prev.T @ da
            mistakes["dW_hh multiplies da_t by h_{t-1} (the input of W_hh at step t), "
                     "not by h_t."] = da.T @ h
        if name == "dh_prev":
            mistakes["The gradient to the previous state is W_hh^T da_t; with batches as rows "
                     "that is `da @ W_hh`, not `da @ W_hh.T`."] = da @ W_hh.T
            mistakes[extra_prev_hint] = (da @ W_hh) * (1 - h_prev ** 2)
        if name == "db_h":
            mistakes["db_h must be summed over the batch (axis 0), not averaged."] = da.mean(axis=0)
        compare(got[k], (dW_xh, dW_hh, db_h, dh_prev)[k], name, mistakes=mistakes)
    return "all four arrays match BPTT's reference step"


def _test_function():
    rng = np.random.default_rng(7)
    A = rng.normal(size=(3, 4))
    M = rng.normal(size=(4, 4))

    def f(theta):
        theta = np.asarray(theta, dtype=np.float64)
        return float(np.sum(A * np.sin(theta)) + np.sum(np.tanh(theta @ M) ** 2))

    def grad(theta):
        t = np.tanh(theta @ M)
        return A * np.cos(theta) + (2 * t * (1 - t ** 2)) @ M.T

    theta = rng.normal(size=(3, 4))
    return f, grad, theta


@check("4.2", expects="central_difference(f, theta, eps) returning an array of the "
       "shape of theta: (f(theta + eps e_i) - f(theta - eps e_i)) / (2 eps) in each entry",
       accepts=("numbers",))
def central_difference(student_fn):
    """Exercise 4.2: central_difference(f, theta, eps) -> array like theta."""
    f, grad, theta = _test_function()
    eps = 1e-4
    before = theta.copy()
    got = call(student_fn, f, theta, eps)
    if not np.array_equal(theta, before):
        if np.allclose(theta, before, rtol=0, atol=1e-12):
            fail("theta was changed by your function, by rounding error only (about "
                 f"{np.abs(theta - before).max():.0e}): adding eps and subtracting it again does not "
                 "always give the old value back in floating point. Save the old value "
                 "(`old = theta[i]`) and assign it back (`theta[i] = old`).")
        fail("theta was changed by your function: after perturbing an entry, put its old value "
             "back (or perturb a copy)")
    low = {"float32": 32, "float16": 16, "bfloat16": 16}.get(
        str(getattr(got, "dtype", "")).replace("torch.", ""))
    if low:
        fail(f"your gradient array is float{low if low == 32 else '16'}: its entries are rounded "
             f"to about {1e-7 if low == 32 else 1e-3:.0e} relative error, so it cannot match "
             "BPTT to 1e-9; expected float64 values: allocate it in float64, e.g. "
             "`np.zeros(theta.shape)` or `np.zeros_like(theta, dtype=float)`.")
    exact = grad(theta)
    forward = np.zeros_like(theta)
    for i in np.ndindex(theta.shape):
        t = theta.copy()
        t[i] += eps
        forward[i] = (f(t) - f(theta)) / eps
    compare(got, exact, "the numerical gradient", rtol=1e-6, atol=1e-7, mistakes={
        "It is off by a factor 2: divide f(theta + eps) - f(theta - eps) by 2 * eps.": 2 * exact,
        "It is half the gradient: the two points theta + eps and theta - eps are 2 * eps apart, "
        "so divide by 2 * eps (not 4 * eps).": exact / 2,
        "Every entry holds the same number: you perturbed all entries of theta at once. "
        "Perturb one entry at a time (loop over np.ndindex(theta.shape)).":
            np.full_like(exact, (f(theta + eps) - f(theta - eps)) / (2 * eps)),
        "That is the one-sided (forward) difference (f(theta + eps) - f(theta)) / eps; its "
        "error shrinks only like eps. Use the central difference "
        "(f(theta + eps) - f(theta - eps)) / (2 eps), whose error shrinks like eps**2.": forward,
    })
    return "matches the exact gradient to about 1e-9 (central differences, error ~ eps**2)"


def _bptt_data(seed: int = 5):
    """A small RNN (2 inputs, 4 hidden, 3 outputs: every matrix non-square), its forward cache on
    a batch of 3 sequences of 5 steps from a nonzero h_0, and a random dL/do."""
    rng = np.random.default_rng(seed)
    params = Params.init(2, 4, 3, seed=seed, scale=0.8)
    x = rng.normal(size=(6, 5, 2))                         # (batch, time, input)
    h0 = np.tanh(rng.normal(size=(6, 4)))                  # (batch, hidden)
    _, cache = forward(params, x, h0)
    d_out = rng.normal(size=(6, 5, 3))                     # (batch, time, output)
    return params, cache, d_out


def _walk(params: Params, cache, d_out, order="backward", carry=True, accumulate=True,
          shift=0, hy_states=slice(1, None)):
    """BPTT over the cache, with one of the typical slips switched on; returns (grads, dh0)."""
    x, h = cache.x, cache.h
    T = x.shape[1]
    g = {k: np.zeros_like(v) for k, v in params.items()}
    g["W_hy"] = np.einsum("bto,bth->oh", d_out, h[:, hy_states])
    g["b_y"] = d_out.sum(axis=(0, 1))
    dh_next = np.zeros_like(h[:, 0])
    steps = range(T - 1, -1, -1) if order == "backward" else range(T)
    for t in steps:
        dh_out = d_out[:, t] @ params.W_hy
        dW_xh, dW_hh, db_h, dh_prev = backward_step(dh_out, dh_next if carry else 0 * dh_next,
                                                    h[:, t + 1 - shift], h[:, t - shift],
                                                    x[:, t], params.W_hh)
        for k, v in (("W_xh", dW_xh), ("W_hh", dW_hh), ("b_h", db_h)):
            g[k] = g[k] + v if accumulate else v
        dh_next = dh_prev
    return g, dh_next


@check("4.3", expects="bptt(params, cache, d_out) returning the pair (grads, dh0): grads a dict "
       "with the keys W_xh, W_hh, b_h, W_hy, b_y (arrays shaped like the weights) and dh0 = "
       "dL/dh_0 of shape (batch, hidden)", accepts=("numbers", "tuple of 2", "batch"))
def bptt(student_fn):
    """Exercise 4.3: the whole backward pass, bptt(params, cache, d_out) -> (grads, dh0)."""
    params, cache, d_out = _bptt_data()
    given = (params.copy(), type(cache)(cache.x.copy(), cache.h.copy(), cache.o.copy()),
             d_out.copy())
    got = call(student_fn, *given)
    if not (np.array_equal(given[0].vector(), params.vector()) and
            np.array_equal(given[1].h, cache.h) and np.array_equal(given[1].x, cache.x) and
            np.array_equal(given[2], d_out)):
        fail("your function changed the params, the cache or d_out in place; compute new arrays "
             "instead (e.g. `grads[k] = grads[k] + dW`, on arrays you created)")
    grads, dh0 = unpack(got, 2, "bptt", ("grads", "dh0"), form="the pair")
    if isinstance(grads, Params):
        grads = dict(grads.items())
    if not isinstance(grads, dict) or set(grads) != set(PARAM_NAMES):
        reject(f"grads should be a dict with the keys {list(PARAM_NAMES)}, got {describe(grads)}")
    for k in PARAM_NAMES:
        as_array(grads[k], f"grads['{k}']")
    ref, ref_dh0 = _walk(params, cache, d_out)
    slips = {
        "Your loop runs forward in time. BPTT walks from the last step back to the first: the "
        "gradient reaching h_t from step t+1 (dh_next) is only known after step t+1 is done, "
        "so loop over `range(T - 1, -1, -1)`.": _walk(params, cache, d_out, order="forward"),
        "You did not pass the gradient back from step to step: the dh_prev that one step returns "
        "is the dh_next of the step before it (with dh_next = 0 for every step this is the "
        "truncation k = 1 of the chapter).": _walk(params, cache, d_out, carry=False),
        "Your weight gradients keep only the last step you visited (t = 0): the same weights "
        "act at every step, so the step contributions add up (`+=`, from zeros).":
            _walk(params, cache, d_out, accumulate=False),
        "The states are off by one: the cache's h has T + 1 rows, h[:, 0] is h_0 and h[:, t + 1] "
        "is the state after step t, so step t uses h = h[:, t + 1] and h_prev = h[:, t].":
            _walk(params, cache, d_out, shift=1),
        "dW_hy pairs each output's gradient with the state that produced it: h_1 ... h_T, "
        "`cache.h[:, 1:]`, not h_0 ... h_{T-1}.": _walk(params, cache, d_out,
                                                         hy_states=slice(0, -1)),
    }
    for k in ("b_y", "W_hy", "b_h", "W_xh", "W_hh"):
        compare(grads[k], ref[k], f"grads['{k}']",
                mistakes={hint: wrong[0][k] for hint, wrong in slips.items()})
    compare(dh0, ref_dh0, "dh0", mistakes={
        **{hint: wrong[1] for hint, wrong in slips.items()},
        "dh0 is the gradient that leaves the first step (the dh_prev of step t = 0), not the "
        "gradient arriving at h_T.": np.zeros_like(ref_dh0),
    })
    return "your backward pass matches BPTT: every weight's gradient and dL/dh_0"
