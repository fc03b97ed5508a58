"""Exercise checks for chapter 10 (sequence to sequence)."""

from __future__ import annotations

import numpy as np
import torch

from . import as_array, as_number, call, check, compare, describe, fail, reject, unpack

_INTEGER = (torch.int8, torch.int16, torch.int32, torch.int64, torch.uint8,
            np.dtype("int8"), np.dtype("int16"), np.dtype("int32"), np.dtype("int64"))

__all__ = ["attention_step", "sequence_scores"]


def _attention_variant(s, h, W_q, W_k, v, mask, *, use_mask=True, squash=True, normalise=True,
                       renormalise_after_mask=True, axis=1):
    """One additive-attention step with switches for the usual mistakes (defaults: right)."""
    e = (torch.tanh if squash else (lambda a: a))(h @ W_k.T + (s @ W_q.T)[:, None, :]) @ v  # (B, T)
    if not normalise:
        w = e.masked_fill(~mask, 0.0) if use_mask else e
    elif use_mask and renormalise_after_mask:
        w = torch.softmax(e.masked_fill(~mask, float("-inf")), dim=axis)
    else:
        w = torch.softmax(e, dim=axis)
        if use_mask:
            w = w * mask                                   # zeroed but no longer sums to 1
    return w, torch.bmm(w[:, None, :], h)[:, 0]             # (B, T), (B, Dk)


@check("10.1", expects="additive_attention(s, h, W_q, W_k, v, mask) returning the pair "
       "(weights, context): tensors of shapes (batch, T) and (batch, Dk), in float64")
def attention_step(student_fn):
    """Exercise 10.1: one step of additive attention, checked against ``rc.attention``."""
    from ..attention import additive_attention

    g = torch.Generator().manual_seed(10)
    B, T, Dq, Dk, A = 4, 7, 5, 6, 3
    r = lambda *shape: torch.randn(*shape, generator=g, dtype=torch.float64)  # noqa: E731
    s, h, W_q, W_k, v = r(B, Dq), r(B, T, Dk), r(A, Dq), r(A, Dk), r(A)
    mask = torch.ones(B, T, dtype=torch.bool)
    mask[1, 5:] = False                                    # two sequences are shorter
    mask[3, 2:] = False
    args = (s, h, W_q, W_k, v, mask)
    copies = [a.clone() for a in args]
    got = unpack(call(student_fn, *copies), 2, "additive_attention", ("weights", "context"))
    if any(not torch.equal(a, b) for a, b in zip(args, copies)):
        fail("additive_attention changed one of its inputs in place; compute new tensors instead")
    shapes = [tuple(getattr(x, "shape", ())) for x in got]
    if shapes == [(B, Dk), (B, T)]:
        fail("You returned (context, weights); return the pair the other way round: (weights, context).")
    as_array(got[0], "weights", tensor=True, shape=(B, T), finite=False)
    as_array(got[1], "context", tensor=True, shape=(B, Dk), finite=False)
    ref_w, ref_c = additive_attention(*args)
    joined = torch.cat([torch.as_tensor(x).detach().reshape(B, -1) for x in got], 1)  # keeps float32 visible
    variants = {
        "The padding is not masked: positions where mask is False must get weight 0 (set their "
        "scores to -inf before the softmax).": dict(use_mask=False),
        "You zeroed the masked weights after the softmax, so a row no longer sums to 1; set "
        "the masked scores to -inf before the softmax instead.": dict(renormalise_after_mask=False),
        "The tanh is missing: the score is v . tanh(W_q s + W_k h_j).": dict(squash=False),
        "The scores were not turned into weights: apply a softmax over the positions j.":
            dict(normalise=False),
        "The softmax runs over the wrong axis: the weights of one example, over its T "
        "positions, must sum to 1 (dim=1 of the (batch, T) scores).": dict(axis=0),
    }
    mistakes = {hint: torch.cat(_attention_variant(*args, **kw), 1) for hint, kw in variants.items()}
    compare(joined, torch.cat([ref_w, ref_c], 1), "(weights, context)", rtol=1e-7, atol=1e-9,
            mistakes=mistakes)
    return "your attention step matches rc.attention.additive_attention, masking included"


def _scores_variant(pred, y, *, fraction=True, exact_any=False, swap=False, drop_end=False):
    right = pred == y
    if drop_end:
        right = right[:, :-1]
    exact = right.any(dim=1) if exact_any else right.all(dim=1)
    e, c = exact.double().sum(), right.double().sum()
    if fraction:
        e, c = e / right.shape[0], c / right.numel()
    return (c, e) if swap else (e, c)


@check("10.2", expects="sequence_scores(pred, target) returning the pair (exact_match, "
       "char_accuracy): two numbers between 0 and 1")
def sequence_scores(student_fn):
    """Exercise 10.2: exact match and per-character accuracy of generated outputs."""
    g = torch.Generator().manual_seed(11)
    n, L = 40, 11
    y = torch.randint(2, 13, (n, L), generator=g)
    y[:, -1] = 0                                           # every target ends with END
    pred = y.clone()
    wrong = torch.rand(n, L, generator=g) < 0.08           # a few characters wrong
    pred[wrong] = (pred[wrong] + 1) % 13
    pred[:3, -1] = 5                                       # three outputs miss the end
    args = (pred, y)
    copies = [a.clone() for a in args]
    got = unpack(call(student_fn, *copies), 2, "sequence_scores", ("exact_match", "char_accuracy"))
    if any(not torch.equal(a, b) for a, b in zip(args, copies)):
        fail("sequence_scores changed pred or target in place; compute new tensors instead")
    numbers = []
    for x, name in zip(got, ("exact_match", "char_accuracy")):
        number = as_number(x, name)
        if not isinstance(x, bool) and (isinstance(x, (int, np.integer)) or (
                isinstance(x, (torch.Tensor, np.ndarray)) and x.dtype in _INTEGER)):
            reject(f"{name} is an integer ({describe(x)}), so the fraction was lost; expected a "
                   "floating-point number (use .float() or .double() before .mean())")
        if not 0 <= number <= 1:
            reject(f"{name} is {number:g}; expected a fraction between 0 and 1 (a count? divide "
                   "it by the number of outputs, or of characters)")
        numbers.append(number)
    got = numbers
    expected = [float(x) for x in _scores_variant(pred, y)]
    mistakes = {
        "The two numbers are swapped: return (exact_match, char_accuracy).": _scores_variant(pred, y, swap=True),
        "exact_match counts outputs with *some* right character; it must count outputs whose "
        "characters are *all* right.": _scores_variant(pred, y, exact_any=True),
        "The last position (the end token) was left out; it is part of the output and must be "
        "compared too.": _scores_variant(pred, y, drop_end=True),
    }
    compare(got, expected, "(exact_match, char_accuracy)", rtol=1e-6, atol=1e-7,
            mistakes={k: [float(x) for x in v] for k, v in mistakes.items()})
    return (f"exact match {expected[0]:.3f} and per-character accuracy {expected[1]:.3f}: "
            "the same outputs, two very different numbers")
