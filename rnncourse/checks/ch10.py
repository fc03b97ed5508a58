"""Exercise checks for chapter 10 (sequence to sequence)."""

from __future__ import annotations

import numpy as np
import torch

from . import BadAnswer, as_array, as_number, call, check, compare, describe, fail, reject, unpack

_INTEGER = (torch.int8, torch.int16, torch.int32, torch.int64, torch.uint8,
            np.dtype("int8"), np.dtype("int16"), np.dtype("int32"), np.dtype("int64"))

__all__ = ["attention_step", "sequence_scores"]


def _attention_variant(s, h, W_q, W_k, v, mask, *, use_mask=True, squash=True, normalise=True,
                       renormalise_after_mask=True, axis=1, fill=float("-inf"), query=True,
                       context="sum", act="tanh", scale=False):
    """One additive-attention step with switches for the usual mistakes (defaults: right).

    ``act``: "tanh", "relu" or "outside" (tanh applied to v . (W_q s + W_k h_j)); ``scale``:
    the scores divided by sqrt(A); ``normalise="sigmoid"``: sigmoid weights, not a softmax;
    ``context``: "sum" (right), "mean" (the weighted sum divided by T) or "unweighted" (the
    plain mean of h over the positions).
    """
    pre = h @ W_k.T + ((s @ W_q.T)[:, None, :] if query else 0)                    # (B, T, A)
    if not squash:
        e = pre @ v                                                                # (B, T)
    elif act == "relu":
        e = torch.relu(pre) @ v
    elif act == "outside":
        e = torch.tanh(pre @ v)
    else:
        e = torch.tanh(pre) @ v
    if scale:
        e = e / v.shape[0] ** 0.5
    if normalise == "sigmoid":
        w = torch.sigmoid(e.masked_fill(~mask, float("-inf")))
    elif not normalise:
        w = e.masked_fill(~mask, 0.0) if use_mask else e
    elif use_mask and renormalise_after_mask:
        w = torch.softmax(e.masked_fill(~mask, fill), dim=axis)
    else:
        w = torch.softmax(e, dim=axis)
        if use_mask:
            w = w * mask                                   # zeroed but no longer sums to 1
    c = torch.bmm(w[:, None, :], h)[:, 0]                  # (B, Dk)
    if context == "unweighted":
        c = h.mean(dim=1)                                  # the weights are not used
    return w, (c / h.shape[1] if context == "mean" else c)  # (B, T), (B, Dk)


@check("10.1", expects="additive_attention(s, h, W_q, W_k, v, mask) returning the pair "
       "(weights, context): tensors of shapes (batch, T) and (batch, Dk), in float64",
       accepts=("numbers", "tuple of 2", "batch", "tensor"))
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
    try:
        answer = call(student_fn, *copies)
    except BadAnswer as e:
        if "must match the size" in str(e) and f"({B})" in str(e) and f"({T})" in str(e):
            fail(f"{e}. That looks like the query term W_q s, shape (batch, A), added to the "
                 "keys' term W_k h, shape (batch, T, A), without a time axis: expected "
                 "(s @ W_q.T)[:, None, :], which broadcasts the query over the T positions.")
        raise
    got = unpack(answer, 2, "additive_attention", ("weights", "context"))
    if any(not torch.equal(a, b) for a, b in zip(args, copies)):
        fail("additive_attention changed one of its inputs in place; compute new tensors instead")
    shapes = [tuple(getattr(x, "shape", ())) for x in got]
    if shapes == [(B, Dk), (B, T)]:
        fail("You returned (context, weights); return the pair the other way round: (weights, context).")
    if shapes[1] == (B, B, Dk):
        fail(f"context has shape {shapes[1]}, expected ({B}, {Dk}): weights @ h with weights "
             f"of shape (batch, T) multiplies every example's weights with every example's h. "
             "Expected one weighted sum per example: (weights[:, :, None] * h).sum(1), or "
             "torch.bmm(weights[:, None, :], h)[:, 0].")
    if shapes[1] == (B, 1, Dk):
        fail(f"context has shape {shapes[1]}, expected ({B}, {Dk}): the bmm's middle axis of "
             "size 1 is still there; squeeze it (torch.bmm(weights[:, None, :], h)[:, 0]).")
    w = as_array(got[0], "weights", tensor=True, shape=(B, T), finite=False)
    as_array(got[1], "context", tensor=True, shape=(B, Dk), finite=False)
    padded = ~mask.numpy()
    rows = padded.any(1)                                   # the shorter sequences
    with np.errstate(invalid="ignore"):
        if (np.all(np.isfinite(w[rows])) and np.allclose(w[rows][~padded[rows]], 0, atol=1e-9)
                and np.allclose(w[rows].sum(1), 1)):
            fail("The mask is inverted: in the shorter sequences all the weight is on the "
                 "padding. mask is True at the real positions, so expected the padding (where "
                 "mask is False) filled with -inf: scores.masked_fill(~mask, float('-inf')).")
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
        "The padding's scores were set to 0, not -inf: exp(0) = 1 still gives the padding "
        "weight. Expected weight 0 there: scores.masked_fill(~mask, float('-inf')) before "
        "the softmax (multiplying the scores by the mask does not do it).": dict(fill=0.0),
        "The query is missing: expected the score v . tanh(W_q s + W_k h_j); yours matches "
        "v . tanh(W_k h_j), the same for every decoder state.": dict(query=False),
        "The context is a mean over the T positions (divided by T): expected the weighted "
        "sum, sum over j of weights_j h_j (the weights already sum to 1).": dict(context="mean"),
        "The scores are divided by sqrt(A), as in the Transformer's scaled dot product; additive "
        "attention has no scaling: e = v . tanh(W_q s + W_k h_j).": dict(scale=True),
        "You used ReLU where the score needs tanh: e = v . tanh(W_q s + W_k h_j).":
            dict(act="relu"),
        "The tanh is outside v: you computed tanh(v . (W_q s + W_k h_j)); expected "
        "v . tanh(W_q s + W_k h_j), the tanh on the A-vector before the dot product with v.":
            dict(act="outside"),
        "The weights are sigmoids of the scores, each on its own, so a row does not sum to 1; "
        "expected a softmax over the positions j.": dict(normalise="sigmoid"),
        "The context is the plain mean of h over the positions, which ignores the weights: "
        "expected the weighted sum, sum over j of weights_j h_j.": dict(context="unweighted"),
    }
    mistakes = {hint: torch.cat(_attention_variant(*args, **kw), 1) for hint, kw in variants.items()}
    compare(joined, torch.cat([ref_w, ref_c], 1), "(weights, context)", rtol=1e-7, atol=1e-9,
            mistakes=mistakes)
    return "your attention step matches rc.attention.additive_attention, masking included"


def _scores_variant(pred, y, *, fraction=True, exact_any=False, swap=False, drop_end=False,
                    exact_all="outputs", errors=False):
    """The two scores with switches for the usual mistakes (defaults: right). ``drop_end``:
    True leaves the end token out of both, "exact" or "char" out of that one only."""
    right = pred != y if errors else pred == y
    for_exact = right[:, :-1] if drop_end in (True, "exact") else right
    for_char = right[:, :-1] if drop_end in (True, "char") else right
    exact = for_exact.any(dim=1) if exact_any or errors == "complement" else for_exact.all(dim=1)
    if exact_all == "batch":                                # .all() without dim: one bool
        exact = for_exact.all().expand(right.shape[0])
    e, c = exact.double().sum(), for_char.double().sum()
    if fraction:
        e, c = e / right.shape[0], c / for_char.numel()
    return (c, e) if swap else (e, c)


@check("10.2", expects="sequence_scores(pred, target) returning the pair (exact_match, "
       "char_accuracy): two numbers between 0 and 1",
       accepts=("numbers", "tuple of 2"))
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
    n_out = {"exact_match": "output (right.all(dim=1) without .mean()?)",
             "char_accuracy": "output (a mean over dim=1 only?)"}
    numbers = []
    for x, name in zip(got, ("exact_match", "char_accuracy")):
        if tuple(getattr(x, "shape", ())) == (n,) or (isinstance(x, list) and len(x) == n):
            reject(f"{name} has {n} values, one per {n_out[name]}; expected one number, the "
                   "mean over all outputs" + (" and positions" if name == "char_accuracy" else ""))
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
        "exact_match leaves out the last position (the end token): an output that misses its "
        "end is not exactly right; compare all L positions, as char_accuracy does.":
            _scores_variant(pred, y, drop_end="exact"),
        "char_accuracy leaves out the last position (the end token); it is a character of the "
        "output like the others: average over all L positions, as exact_match does.":
            _scores_variant(pred, y, drop_end="char"),
        "exact_match is 0: that looks like .all() over the whole batch (no dim) or over dim=0 "
        "(the positions), which asks whether every output is right; expected the fraction of "
        "outputs that are all right, right.all(dim=1) then the mean.":
            _scores_variant(pred, y, exact_all="batch"),
        "These are error rates: expected the fractions that are right (pred == target); yours "
        "are 1 minus them, the fractions that are wrong.": _scores_variant(pred, y, errors="complement"),
        "The comparison is flipped: expected right = pred == target; with pred != target "
        "your char_accuracy is the fraction of wrong tokens and your exact_match the fraction "
        "of outputs that are all wrong.": _scores_variant(pred, y, errors="flipped"),
    }
    compare(got, expected, "(exact_match, char_accuracy)", rtol=1e-6, atol=1e-7,
            mistakes={k: [float(x) for x in v] for k, v in mistakes.items()})
    return (f"exact match {expected[0]:.3f} and per-character accuracy {expected[1]:.3f}: "
            "the same outputs, two very different numbers")
