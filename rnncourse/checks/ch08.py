"""Exercise checks for chapter 8 (deep and bidirectional RNNs)."""

from __future__ import annotations

import numpy as np
import torch

from . import as_array, as_number, call, check, compare, describe, fail, reject

__all__ = ["bidirectional", "causal_bound"]


@check("8.1", expects="bidirectional(forward, backward, x) returning one tensor of shape "
       "(batch, time, 2H): [forward outputs; backward outputs] at every step",
       accepts=("numbers", "tensor"))
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
    arr = as_array(got, "your output tensor", tensor=True)
    with torch.no_grad():
        expected = Recurrent([(f_cell, b_cell)], bidirectional=True)(x)[0]   # (batch, time, 2H)
        out_f = fwd(x)[0]                                                   # (batch, time, H)
        out_b_rev = bwd(x.flip(1))[0]                # backward outputs in reversed time order
        out_b_fwd = bwd(x)[0]                        # the "backward" cell run forward in time
        out_f_rev = fwd(x.flip(1))[0].flip(1)        # the forward layer used backward too
        out_b_batch = bwd(x.flip(0))[0]              # flipped along the batch, not time
        out_b_feat = bwd(x.flip(-1))[0]              # flipped along the features, not time
        T_ = x.shape[1]
        last_b = out_b_rev[:, -1:].expand(-1, T_, -1)    # the backward layer's final state
        last_f = out_f[:, -1:].expand(-1, T_, -1)
    H_ = out_f.shape[-1]
    shape = arr.shape
    if shape == tuple(out_f.shape):                  # (batch, time, H): one half's width
        for summed in (out_f + out_b_rev.flip(1), out_f + out_b_rev, out_f + out_b_fwd):
            if np.allclose(arr, summed.numpy(), rtol=1e-6, atol=1e-9):
                fail(f"Your output has width {H_}: it is the two halves added (h_fwd + h_bwd). "
                     f"A bidirectional layer concatenates them, torch.cat([out_f, out_b], "
                     f"dim=-1), width 2H = {2 * H_}, so that the readout sees both directions "
                     "separately.")
    if shape == (x.shape[0], 2 * T_, H_):
        for wrong_cat in (torch.cat([out_f, out_b_rev.flip(1)], 1), torch.cat([out_f, out_b_rev], 1)):
            if np.allclose(arr, wrong_cat.numpy(), rtol=1e-6, atol=1e-9):
                fail(f"Your output has shape {shape}: the halves are concatenated along time "
                     "(dim 1). Concatenate along the features, torch.cat([...], dim=-1), for "
                     f"shape (batch, time, 2H) = {(x.shape[0], T_, 2 * H_)}.")
    batch_flip = ("A flip is along the batch (dim 0) instead of time: x has shape (batch, "
                  "time, input), so expected x.flip(1) for the backward layer's input and "
                  ".flip(1) on its outputs; your answer matches ")
    feature_flip = ("A flip is along the features (the last dim) instead of time: x has "
                    "shape (batch, time, input), so expected x.flip(1) for the backward layer's "
                    "input and .flip(1) on its outputs; your answer matches ")
    mistakes = {
        "The backward outputs are still in reversed time order: flip them back (.flip(1)) so "
        "that step t holds the state that has read x_T ... x_t.": torch.cat([out_f, out_b_rev], -1),
        "The backward layer read the sequence forward: give it x reversed in time, x.flip(1) "
        "(flipping along dim 0, the batch, both before and after gives this too: time is "
        "dim 1).": torch.cat([out_f, out_b_fwd], -1),
        "The backward layer read the sequence forward, then its outputs were flipped: reverse "
        "the input, not only the output.": torch.cat([out_f, out_b_fwd.flip(1)], -1),
        "The halves are swapped: the forward outputs come first, [h_fwd; h_bwd].":
            torch.cat([out_b_rev.flip(1), out_f], -1),
        "The forward layer was used for both directions: expected the second half from "
        "`backward` run on x.flip(1); your second half is `forward` run on the reversed "
        "sequence.": torch.cat([out_f, out_f_rev], -1),
        "The forward layer was used for both directions: expected the second half from "
        "`backward` run on x.flip(1); your two halves are the same forward outputs.":
            torch.cat([out_f, out_f], -1),
        "The backward half is the backward layer's final state repeated at every step: "
        "expected its outputs (the first item that a Recurrent layer returns), flipped back "
        "with .flip(1), one per step.": torch.cat([out_f, last_b], -1),
        "Both halves are the final states repeated at every step: expected the outputs (the "
        "first item that a Recurrent layer returns), one per step, not the states.":
            torch.cat([last_f, last_b], -1),
        batch_flip + "x.flip(0) and no flip back.": torch.cat([out_f, out_b_batch], -1),
        batch_flip + "x.flip(0), then .flip(1) on the outputs.":
            torch.cat([out_f, out_b_batch.flip(1)], -1),
        batch_flip + "x.flip(1), then .flip(0) on the outputs.":
            torch.cat([out_f, out_b_rev.flip(0)], -1),
        feature_flip + "x.flip(-1), then .flip(1) on the outputs.":
            torch.cat([out_f, out_b_feat.flip(1)], -1),
        feature_flip + "x.flip(-1) and no flip back.": torch.cat([out_f, out_b_feat], -1),
        feature_flip + "x.flip(-1), then .flip(-1) on the outputs.":
            torch.cat([out_f, out_b_feat.flip(-1)], -1),
        feature_flip + "x.flip(1), then .flip(-1) on the outputs (the features of each step "
        "reversed, the steps still in reversed order).": torch.cat([out_f, out_b_rev.flip(-1)], -1),
    }
    compare(got, expected, "your output tensor", rtol=1e-6, atol=1e-9, mistakes=mistakes)
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
           from_zero=False, guess_only=False, unweighted=False, constant=False, use_min=False):
    q = 0.5 if chance else (agree if no_max else min(agree, 1 - agree) if use_min
                            else max(agree, 1 - agree))
    if constant:                                 # the agree term alone, whatever the delay
        return q
    total = 0.0
    for j, pj in enumerate(p, start=0 if from_zero else 1):
        seen = j < delay if strict else j <= delay
        term = (0.0 if guess_only else 1.0) if seen else (0.0 if reach_only else q)
        total += (1.0 / len(p) if unweighted else pj) * term
    return total


_CASES = [(0.75, [2 / 3, 1 / 3], 0), (0.75, [2 / 3, 1 / 3], 1), (0.75, [2 / 3, 1 / 3], 2),
          (0.9, [0.5, 0.3, 0.2], 1), (0.6, [0.1, 0.2, 0.3, 0.4], 2), (0.3, [0.5, 0.5], 1),
          (0.8, [0.25, 0.25, 0.5], 5)]


@check("8.2", expects="causal_bound(agree, p_distance, delay) returning one number: the best "
       "accuracy of a left-to-right tagger on the modifiers",
       accepts=("numbers", "integers named"))
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
        if _whole(raw) and raw == 0 and d >= len(p):
            fail(f"{what} returned 0: at delay {d} every sentiment word is within reach, so "
                 "expected 1.0 (each such modifier is tagged for sure); your 0 looks like the "
                 "agree term only, summed over the distances beyond the delay (none here). Add "
                 "p_distance[j - 1] for every distance j <= delay.")
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
        "You took min(agree, 1 - agree), the worse of the two guesses: the best guess "
        "follows whichever is more likely (the rating, or its opposite when agree < 0.5), "
        "right with probability max(agree, 1 - agree).": variant(use_min=True),
        "You counted only the modifiers within reach: those beyond the delay are still tagged "
        "by the rating, right with probability max(agree, 1 - agree).": variant(reach_only=True),
        "Your distances are off by one: p_distance[0] is the fraction at distance 1 "
        "(enumerate(p_distance, start=1)).": variant(from_zero=True),
        "You kept the agree term only: expected the modifiers within reach (distance <= "
        "delay) to count too, each tagged for sure, sum of p_distance[j - 1] * 1.0; your "
        "bound counts only those beyond the delay.": variant(guess_only=True),
        "Your bound is the agree term alone, max(agree, 1 - agree), whatever the delay: "
        "expected it only for the modifiers beyond the delay, and 1 for those within reach, "
        "each weighted by p_distance.": variant(constant=True),
        "Your bound is agree alone, whatever the delay: expected max(agree, 1 - agree) for "
        "the modifiers beyond the delay and 1 for those within reach, each weighted by "
        "p_distance.": variant(constant=True, no_max=True),
        "Your bound is an unweighted mean over the distances: expected each distance's "
        "accuracy weighted by the fraction p_distance[j - 1] of modifiers at that distance "
        "(a sum of p * accuracy, not a mean).": variant(unweighted=True),
    }
    compare(got, expected, f"the bound you return in the {len(_CASES)} test cases", rtol=1e-9, atol=1e-9,
            mistakes=mistakes)
    return f"your bound matches the reference in {len(_CASES)} cases (0.75 at delay 0)"
