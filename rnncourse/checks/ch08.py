"""Exercise checks for chapter 8 (deep and bidirectional RNNs)."""

from __future__ import annotations

import numpy as np
import torch

from . import as_array, as_number, call, check, compare, describe, fail, reject

__all__ = ["bidirectional", "causal_bound"]


@check("8.1", expects="bidirectional(forward, backward, x) returning one tensor of shape "
       "(batch, time, 2H): [forward outputs; backward outputs] at every step")
def bidirectional(student_fn):
    """Exercise 8.1: a bidirectional layer from two unidirectional ``rc.layers.Recurrent`` layers."""
    from ..cells import make_cell
    from ..layers import Recurrent

    g = torch.Generator().manual_seed(8)
    batch, T, I, H = 3, 7, 2, 4
    torch.manual_seed(8)
    f_cell = make_cell("gru", I, H).double()
    b_cell = make_cell("gru", I, H).double()
    x = torch.randn(batch, T, I, generator=g, dtype=torch.float64)      # (batch, time, input)
    fwd, bwd = Recurrent(f_cell), Recurrent(b_cell)
    x_in = x.clone()
    got = call(student_fn, fwd, bwd, x_in)
    if not torch.equal(x_in, x):
        fail("bidirectional changed x in place; flip a copy (x.flip(1) returns a new tensor)")
    if isinstance(got, (tuple, list)):
        reject(f"bidirectional should return the outputs alone (one tensor), got {describe(got)}; "
               "a Recurrent layer returns (outputs, states): keep the outputs")
    as_array(got, "the outputs", tensor=True)
    with torch.no_grad():
        expected = Recurrent([(f_cell, b_cell)], bidirectional=True)(x)[0]   # (batch, time, 2H)
        out_f = fwd(x)[0]                                                   # (batch, time, H)
        out_b_rev = bwd(x.flip(1))[0]                # backward outputs in reversed time order
        out_b_fwd = bwd(x)[0]                        # the "backward" cell run forward in time
    mistakes = {
        "The backward outputs are still in reversed time order: flip them back (.flip(1)) so "
        "that step t holds the state that has read x_T ... x_t.": torch.cat([out_f, out_b_rev], -1),
        "The backward layer read the sequence forward: give it x reversed in time, x.flip(1).":
            torch.cat([out_f, out_b_fwd], -1),
        "The backward layer read the sequence forward, then its outputs were flipped: reverse "
        "the input, not only the output.": torch.cat([out_f, out_b_fwd.flip(1)], -1),
        "The halves are swapped: the forward outputs come first, [h_fwd; h_bwd].":
            torch.cat([out_b_rev.flip(1), out_f], -1),
    }
    compare(got, expected, "the outputs", rtol=1e-6, atol=1e-9, mistakes=mistakes)
    return "your layer matches rc.layers.Recurrent(..., bidirectional=True) with the same cells"


def _whole(value) -> bool:
    """An integer answer (int, NumPy or torch integer): its fractions were lost."""
    if isinstance(value, bool):
        return False
    if isinstance(value, (int, np.integer)):
        return True
    if isinstance(value, torch.Tensor):
        return not value.dtype.is_floating_point and value.dtype != torch.bool
    return isinstance(value, np.ndarray) and value.dtype.kind in "iu"


def _bound(agree, p, delay, *, chance=False, strict=False, no_max=False, reach_only=False,
           from_zero=False):
    q = 0.5 if chance else (agree if no_max else max(agree, 1 - agree))
    total = 0.0
    for j, pj in enumerate(p, start=0 if from_zero else 1):
        seen = j < delay if strict else j <= delay
        total += pj * (1.0 if seen else (0.0 if reach_only else q))
    return total


_CASES = [(0.75, [2 / 3, 1 / 3], 0), (0.75, [2 / 3, 1 / 3], 1), (0.75, [2 / 3, 1 / 3], 2),
          (0.9, [0.5, 0.3, 0.2], 1), (0.6, [0.1, 0.2, 0.3, 0.4], 2), (0.3, [0.5, 0.5], 1),
          (0.8, [0.25, 0.25, 0.5], 5)]


@check("8.2", expects="causal_bound(agree, p_distance, delay) returning one number: the best "
       "accuracy of a left-to-right tagger on the modifiers")
def causal_bound(student_fn):
    """Exercise 8.2: ``causal_bound(agree, p_distance, delay)``, the Bayes bound by hand."""
    got = []
    for agree, p, d in _CASES:
        raw = call(student_fn, agree, list(p), d)
        what = f"causal_bound({agree}, {p}, {d})"
        if _whole(raw) and raw == 0 and d == 0:
            fail(f"{what} returned 0: at delay 0 no sentiment word is within reach, but the "
                 "modifiers out of reach still count: each is tagged by the rating, right with "
                 "probability max(agree, 1 - agree). Add that term for every distance beyond "
                 "the delay.")
        if _whole(raw):
            reject(f"{what} returned the whole number {raw!r}, so the fractions were lost; "
                   "expected a floating-point accuracy such as 0.75")
        value = as_number(raw, what)
        if not 0 <= value <= 1:
            fail(f"causal_bound({agree}, {p}, {d}) returned {value}, which is not a probability; "
                 "an accuracy lies between 0 and 1")
        got.append(value)
    expected = [_bound(a, p, d) for a, p, d in _CASES]

    def variant(**kw):
        return [_bound(a, p, d, **kw) for a, p, d in _CASES]

    mistakes = {
        "A modifier whose word is out of reach is not a coin toss: the rating predicts it, so "
        "the best guess is right with probability max(agree, 1 - agree), not 0.5.": variant(chance=True),
        "A word at distance exactly `delay` is within reach: a tagger that answers `delay` "
        "steps late has read it (use <=, not <).": variant(strict=True),
        "With agree < 0.5 the best guess is the opposite of the rating, right with "
        "probability 1 - agree: use max(agree, 1 - agree).": variant(no_max=True),
        "You counted only the modifiers within reach: those beyond the delay are still tagged "
        "by the rating, right with probability max(agree, 1 - agree).": variant(reach_only=True),
        "Your distances are off by one: p_distance[0] is the fraction at distance 1 "
        "(enumerate(p_distance, start=1)).": variant(from_zero=True),
    }
    compare(got, expected, f"your bounds for {len(_CASES)} cases", rtol=1e-9, atol=1e-9,
            mistakes=mistakes)
    return f"your bound matches the reference in {len(_CASES)} cases (0.75 at delay 0)"
