"""Exercise checks for chapter 12 (RNNs today)."""

from __future__ import annotations

import numpy as np
import torch
from torch.overrides import TorchFunctionMode

from . import BadAnswer, as_array, call, check, compare, describe, fail, reject, unpack

__all__ = ["combine", "scan"]


def _inputs(shape, seed):
    g = torch.Generator().manual_seed(seed)
    a = torch.rand(*shape, generator=g, dtype=torch.float64) * 0.8 + 0.2   # (..., ) in (0.2, 1)
    b = torch.randn(*shape, generator=g, dtype=torch.float64)
    return a, b


@check("12.1", expects="combine(first, second) returning the pair (a, b) of the composed map, "
       "two tensors shaped like the inputs",
       accepts=("numbers", "tuple of 2", "tensor"))
def combine(student_fn):
    """Exercise 12.1: ``combine((a1, b1), (a2, b2))`` is the map ``h -> a1 h + b1`` followed by
    ``h -> a2 h + b2``."""
    a1, b1 = _inputs((4, 6), 1)
    a2, b2 = _inputs((4, 6), 2)
    args = [(a1.clone(), b1.clone()), (a2.clone(), b2.clone())]
    got = call(student_fn, *args)
    if not (torch.equal(args[0][0], a1) and torch.equal(args[0][1], b1)
            and torch.equal(args[1][0], a2) and torch.equal(args[1][1], b2)):
        fail("combine changed one of its inputs in place; compute new tensors instead")
    a, b = unpack(got, 2, "combine", ("a", "b"))
    a_arr = as_array(a, "a", tensor=True, finite=False)
    b_arr = as_array(b, "b", tensor=True, finite=False)
    with np.errstate(invalid="ignore"):
        swapped = (a_arr.shape == b_arr.shape == tuple(a1.shape)
                   and np.allclose(a_arr, (a2 * b1 + b2).numpy()) and np.allclose(b_arr, (a2 * a1).numpy()))
    if swapped:
        fail("The pair is in the wrong order: expected (a, b), the slope first; your first "
             "value is the offset a2 b1 + b2 and your second the slope a2 a1.")
    compare(a, a2 * a1, "a (the slope of the composed map)",
            mistakes={"You added the slopes; composing h -> a1 h + b1 and h -> a2 h + b2 "
                      "multiplies them: a = a2 a1.": a1 + a2,
                      "The slope is a2 alone: expected a = a2 a1, since h -> a2 (a1 h + b1) + b2 "
                      "multiplies h by both slopes.": a2,
                      "The slope is a1 alone: expected a = a2 a1, since h -> a2 (a1 h + b1) + b2 "
                      "multiplies h by both slopes.": a1})
    compare(b, a2 * b1 + b2, "b (the offset of the composed map)", mistakes={
        "The order is reversed: you applied `second` first. `first` acts on h first, so its "
        "offset b1 is the one multiplied by the second slope: b = a2 b1 + b2.": a1 * b2 + b1,
        "The offset of the first map must pass through the second map's slope: b = a2 b1 + b2, "
        "not b1 + b2.": b1 + b2,
        "You multiplied the new offset by a2 as well: b = a2 b1 + b2, not a2 (b1 + b2).": a2 * (b1 + b2),
        "The first offset is multiplied by its own slope: expected b = a2 b1 + b2 (b1 passes "
        "through the second map's slope a2); yours is a1 b1 + b2.": a1 * b1 + b2,
        "Each offset is multiplied by the other map's slope: expected b = a2 b1 + b2, where b1 "
        "passes through the slope a2 applied after it and b2 is added as it is; yours is "
        "a2 b1 + a1 b2.":
            a2 * b1 + a1 * b2,
        "The second map's offset is missing: h -> a2 (a1 h + b1) + b2 adds b2 after the slope, "
        "so b = a2 b1 + b2, not a2 b1.": a2 * b1,
    })
    # associativity on three maps, with the student's own function
    p, q, r = [_inputs((3,), s) for s in (3, 4, 5)]
    left = unpack(call(student_fn, unpack(call(student_fn, p, q), 2, "combine"), r), 2, "combine")
    right = unpack(call(student_fn, p, unpack(call(student_fn, q, r), 2, "combine")), 2, "combine")
    for u, v, name in zip(left, right, ("a", "b")):
        compare(u, as_array(v, name), f"{name} of combine(combine(p, q), r) against "
                "combine(p, combine(q, r))")
    return "your operator composes the two maps in the right order, and it is associative"


def _loop(a, b):
    h, out = torch.zeros_like(b[:, 0]), []
    for a_t, b_t in zip(a.unbind(1), b.unbind(1)):   # each (batch, D)
        h = a_t * h + b_t
        out.append(h)
    return torch.stack(out, 1)                        # (batch, time, D)


def _doubling(a, b, *, roll=False, max_steps=None, sequential=False, self_first=False,
              b_pad=0.0, from_right=False):
    """Doubling scans with the usual slips: ``roll`` wraps around instead of padding,
    ``sequential`` updates b with the already updated a, ``self_first`` combines in the wrong
    order (combine(self, left)), ``b_pad`` pads b's left edge with another value than 0,
    ``from_right`` takes the neighbours k steps to the right."""
    T, k, steps = a.shape[1], 1, 0
    while k < T and (max_steps is None or steps < max_steps):
        if roll:
            a_left, b_left = a.roll(k, 1), b.roll(k, 1)
        elif from_right:
            a_left = torch.cat([a[:, k:], torch.ones_like(a[:, :k])], 1)
            b_left = torch.cat([b[:, k:], torch.zeros_like(b[:, :k])], 1)
        else:
            a_left = torch.cat([torch.ones_like(a[:, :k]), a[:, :-k]], 1)
            b_left = torch.cat([torch.full_like(b[:, :k], b_pad), b[:, :-k]], 1)
        if sequential:
            a = a * a_left
            b = a * b_left + b
        elif self_first:
            a, b = a * a_left, a_left * b + b_left
        else:
            a, b = a * a_left, a * b_left + b
        k, steps = 2 * k, steps + 1
    return b


class _CountOps(TorchFunctionMode):
    """Counts the torch operations (functions and tensor methods) called inside it."""

    def __init__(self):
        super().__init__()
        self.count = 0

    def __torch_function__(self, func, types, args=(), kwargs=None):
        self.count += 1
        return func(*args, **(kwargs or {}))


# a long sequence: ceil(log2 T) = 11 rounds of a scan, but 2000 steps of a loop over time, and
# products of 2000 slopes in (0.2, 1) far below the smallest float64 (about 1e-308)
LONG_T = 2000


_ESCAPED = (f"for T = {LONG_T} your result is not computed from a and b by torch operations "
            "(it has no autograd history leading back to both): a detour through NumPy, "
            ".tolist(), .item() or Python numbers hides a loop over time from this check, and "
            "it cuts the gradient that training needs. Write the scan with whole-tensor torch "
            "operations on a and b: ceil(log2 T) rounds of torch.cat and products, no loop "
            "over the time steps.")


def _from_inputs(h, a, b) -> bool:
    """Whether ``h`` depends on both ``a`` and ``b`` through autograd."""
    if not isinstance(h, torch.Tensor) or not h.requires_grad or h.grad_fn is None:
        return False
    try:
        grads = torch.autograd.grad(h.sum(), (a, b), allow_unused=True)
    except RuntimeError:
        return False
    return all(g is not None for g in grads)


@check("12.2", expects="scan(a, b) returning all states h_t, one tensor of shape (batch, time, D) "
       "in the inputs' dtype (float64)",
       accepts=("numbers", "tensor"))
def scan(student_fn):
    """Exercise 12.2: ``scan(a, b)`` returns ``h_t = a_t h_{t-1} + b_t`` from ``h_0 = 0``."""
    for T in (13, 64, 1):
        a, b = _inputs((3, T, 4), 10 + T)                 # (batch, time, D)
        args = (a.clone(), b.clone())
        got = call(student_fn, *args)
        if not (torch.equal(args[0], a) and torch.equal(args[1], b)):
            fail("scan changed a or b in place; compute new tensors instead (out-of-place "
                 "operations also keep autograd working)")
        if isinstance(got, (tuple, list)):
            reject(f"scan should return the states h alone (one tensor), got {describe(got)}")
        as_array(got, f"h for T = {T}", tensor=True, shape=(3, T, 4), finite=False)
        if torch.isnan(got).any() and (b < 0).any():
            fail(f"for T = {T} your states contain NaN; expected finite numbers. b has "
                 "negative entries here: if you took logs (the log-space form, cumsum of log a "
                 "and logcumsumexp of log b), real logs of negative numbers are NaN, so that "
                 "form needs positive b (or complex logs). Combine the pairs (a, b) with the "
                 "doubling scan instead; it works for any sign.")
        expected = _loop(a, b)
        shifted = torch.cat([torch.zeros_like(b[:, :1]), expected[:, :-1]], 1)
        mistakes = {
            "Your states are shifted by one step (an exclusive scan): h_t must include b_t, "
            "so h_1 = b_1.": shifted,
            "a and b are swapped: the recurrence is h_t = a_t h_{t-1} + b_t.": _loop(b, a),
            "torch.roll wraps the end of the sequence around to its start; the first k "
            "positions have nothing on their left and must be combined with the identity "
            "(a = 1, b = 0), e.g. by padding.": _doubling(a, b, roll=True),
            "You stopped one doubling step too early: repeat while the shift k is smaller "
            "than T (ceil(log2 T) steps).": _doubling(a, b, max_steps=max((T - 1).bit_length() - 1, 0)),
            "You returned the products of the a's (the slopes), not the states: h_t is the "
            "offset b of the composed map.": torch.cumprod(a, 1),
            "b was updated with the new a: `a = a * a_left` on its own line comes first, so "
            "`b = a * b_left + b` uses the composed slope. Expected both from the old values, "
            "a, b = a * a_left, a * b_left + b (one assignment).": _doubling(a, b, sequential=True),
            "The pairs are combined in the wrong order: expected combine(left, self), "
            "b = a * b_left + b (the left map acts first); yours looks like combine(self, "
            "left), a_left * b + b_left.": _doubling(a, b, self_first=True),
            "The left edge of b is padded with ones: expected the identity pair (a = 1, b = 0), "
            "so b_left starts with zeros (torch.zeros_like), not ones.": _doubling(a, b, b_pad=1.0),
            "The neighbours come from the right (a[:, k:], b[:, k:]): expected those k steps "
            "to the left, a[:, :-k] and b[:, :-k] after the identity padding, since h_t "
            "depends on the past.": _doubling(a, b, from_right=True),
        }
        compare(got, expected, f"h for T = {T}", rtol=1e-10, atol=1e-12, mistakes=mistakes)
    # the long case: a loop over time and the cumprod / cumsum closed form both fail here. The
    # inputs require gradients, so that a detour through NumPy or Python numbers (where a loop
    # over time would escape the count of torch operations) shows as a result without autograd
    # history.
    a, b = _inputs((2, LONG_T, 3), 7)
    a.requires_grad_(True), b.requires_grad_(True)
    try:
        with _CountOps() as counter:
            got = call(student_fn, a, b)
    except BadAnswer as e:
        if "numpy" in str(e).lower():
            fail(_ESCAPED + f" (Your code called .numpy() on an input; torch said: {e})")
        raise
    if isinstance(got, (tuple, list)):
        reject(f"scan should return the states h alone (one tensor), got {describe(got)}")
    as_array(got, f"h for T = {LONG_T}", tensor=True, shape=(2, LONG_T, 3), finite=False)
    if not torch.isfinite(got).all():
        fail(f"for T = {LONG_T} your states contain inf or nan. The closed form with "
             f"torch.cumprod and torch.cumsum divides by products of {LONG_T} slopes, which "
             "underflow to 0 long before the end of the sequence (the chapter's float32 "
             "experiment shows it); combine the pairs (a, b) with the doubling scan instead.")
    if counter.count > LONG_T // 4:
        fail(f"for T = {LONG_T} your scan called {counter.count} torch operations, which "
             f"grows with T: it loops over time. The doubling scan needs ceil(log2 T) = "
             f"{(LONG_T - 1).bit_length()} rounds of a few whole-tensor operations each; loop "
             "over the rounds (k = 1, 2, 4, ...), not over the time steps.")
    if not _from_inputs(got, a, b):
        fail(_ESCAPED)
    compare(got.detach(), _loop(a.detach(), b.detach()), f"h for T = {LONG_T}", rtol=1e-9,
            atol=1e-12)
    return (f"your scan equals the loop in float64 for T = 13, 64, 1 and {LONG_T}, in "
            f"{counter.count} torch operations for T = {LONG_T}")
