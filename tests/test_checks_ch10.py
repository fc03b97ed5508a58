"""The chapter 10 checks pass on the solutions and fail helpfully on the stubs and typical mistakes."""

import pytest
import torch

import rnncourse as rc
from rnncourse.checks import ch10


# ---- exercise 10.1: one step of additive attention -------------------------------------------

def make_attention(mask_it=True, squash=True, softmax=True, zero_after=False, axis=1, swap=False,
                   in_place=False):
    """A student's additive_attention, right by default, with one typical mistake on request."""

    def additive_attention(s, h, W_q, W_k, v, mask):
        pre = h @ W_k.T + (s @ W_q.T)[:, None, :]              # (batch, T, A)
        scores = (torch.tanh(pre) if squash else pre) @ v       # (batch, T)
        if in_place:
            mask.fill_(True)
        if not softmax:                                         # scores used as weights
            weights = scores * mask
        elif mask_it and not zero_after:
            weights = torch.softmax(scores.masked_fill(~mask, float("-inf")), dim=axis)
        else:
            weights = torch.softmax(scores, dim=axis)
        if zero_after:
            weights = weights * mask
        context = (weights[:, :, None] * h).sum(dim=1)          # (batch, Dk)
        return (context, weights) if swap else (weights, context)

    return additive_attention


def attention_with_module(s, h, W_q, W_k, v, mask):
    att = rc.attention.AdditiveAttention(s.shape[1], h.shape[2], v.shape[0]).double()
    with torch.no_grad():
        att.W_q.copy_(W_q)
        att.W_k.copy_(W_k)
        att.v.copy_(v)
    return tuple(t.detach() for t in att(s, h, mask))


def test_attention_step_passes_on_the_solution_and_on_the_module():
    for fn in (make_attention(), attention_with_module):
        result = ch10.attention_step(fn)
        assert result, str(result)
        assert "matches rc.attention" in str(result)


def test_attention_step_stub_reports_not_implemented():
    def stub(s, h, W_q, W_k, v, mask):
        raise NotImplementedError()

    result = ch10.attention_step(stub)
    assert not result and "not implemented yet" in str(result)


@pytest.mark.parametrize("mistake, words", [
    (dict(mask_it=False), "not masked"),
    (dict(zero_after=True), "no longer sums to 1"),
    (dict(squash=False), "tanh is missing"),
    (dict(softmax=False), "apply a softmax"),
    (dict(axis=0), "wrong axis"),
    (dict(swap=True), "(context, weights)"),
    (dict(in_place=True), "in place"),
])
def test_attention_step_names_the_mistake(mistake, words):
    result = ch10.attention_step(make_attention(**mistake))
    assert not result and words in result.message, result.message


def _attention_slip(slip):
    """A student's additive_attention with one more slip, written as a student would."""

    def additive_attention(s, h, W_q, W_k, v, mask):
        query = (s @ W_q.T)[:, None, :]                          # (batch, 1, A)
        if slip == "no broadcast":
            query = s @ W_q.T                                    # (batch, A): no time axis
        if slip == "no query":
            query = 0
        pre = h @ W_k.T + query                                  # (batch, T, A)
        if slip == "relu":
            scores = torch.relu(pre) @ v
        elif slip == "tanh outside":
            scores = torch.tanh(pre @ v)
        else:
            scores = torch.tanh(pre) @ v                         # (batch, T)
        if slip == "scaled":
            scores = scores / W_q.shape[0] ** 0.5
        if slip == "inverted":
            scores = scores.masked_fill(mask, float("-inf"))
        elif slip == "inverted -1e9":
            scores = scores.masked_fill(mask, -1e9)
        elif slip == "times mask":
            scores = scores * mask
        elif slip == "fill 0":
            scores = scores.masked_fill(~mask, 0.0)
        else:
            scores = scores.masked_fill(~mask, float("-inf"))
        weights = torch.sigmoid(scores) if slip == "sigmoid" else torch.softmax(scores, dim=1)
        if slip == "mean":
            context = (weights[:, :, None] * h).mean(dim=1)
        elif slip == "matmul":
            context = weights @ h                                # (batch, batch, Dk)
        elif slip == "unweighted":
            context = h.mean(dim=1)
        elif slip == "no squeeze":
            context = torch.bmm(weights[:, None, :], h)          # (batch, 1, Dk)
        else:
            context = (weights[:, :, None] * h).sum(dim=1)
        return weights, context

    return additive_attention


def test_attention_slip_helper_is_right_without_a_slip():
    assert ch10.attention_step(_attention_slip(None))


@pytest.mark.parametrize("slip, words", [
    ("inverted", "mask is inverted"),
    ("inverted -1e9", "mask is inverted"),
    ("times mask", "set to 0, not -inf"),
    ("fill 0", "set to 0, not -inf"),
    ("no query", "query is missing"),
    ("mean", "mean over the T positions"),
    ("matmul", "every example's weights with every example's h"),
    ("no squeeze", "squeeze it"),
    ("no broadcast", "without a time axis"),
    ("scaled", "divided by sqrt(A)"),
    ("relu", "ReLU where the score needs tanh"),
    ("tanh outside", "The tanh is outside v"),
    ("sigmoid", "sigmoids of the scores"),
    ("unweighted", "plain mean of h"),
])
def test_attention_step_names_more_slips(slip, words):
    result = ch10.attention_step(_attention_slip(slip))
    assert not result and words in result.message, result.message


# ---- exercise 10.2: exact match and per-character accuracy ------------------------------------

def make_scores(any_right=False, counts=False, swap=False, drop_end=False):
    """drop_end: True leaves the end token out of both scores, "exact"/"char" of that one only."""
    def sequence_scores(pred, target):
        right = pred == target                                  # (n, L)
        for_exact = right[:, :-1] if drop_end in (True, "exact") else right
        for_char = right[:, :-1] if drop_end in (True, "char") else right
        per_output = for_exact.any(dim=1) if any_right else for_exact.all(dim=1)
        exact, char = per_output.float().mean().item(), for_char.float().mean().item()
        if counts:
            exact, char = float(per_output.sum()), float(for_char.sum())
        return (char, exact) if swap else (exact, char)

    return sequence_scores


def scores_from_chapter(pred, target):
    from rnncourse.chapters import ch10 as chapter
    s = chapter.scores(pred, target)
    return s["exact"], s["char"]


def test_sequence_scores_passes_on_the_solution_and_on_the_chapter_function():
    for fn in (make_scores(), scores_from_chapter):
        result = ch10.sequence_scores(fn)
        assert result, str(result)
        assert "two very different numbers" in str(result)


def test_sequence_scores_stub_reports_not_implemented():
    def stub(pred, target):
        raise NotImplementedError()

    result = ch10.sequence_scores(stub)
    assert not result and "not implemented yet" in str(result)


@pytest.mark.parametrize("mistake, words", [
    (dict(any_right=True), "*all* right"),
    (dict(counts=True), "a fraction between 0 and 1 (a count?"),
    (dict(swap=True), "swapped"),
    (dict(drop_end=True), "The last position (the end token) was left out"),
    (dict(drop_end="exact"), "exact_match leaves out the last position"),
    (dict(drop_end="char"), "char_accuracy leaves out the last position"),
])
def test_sequence_scores_names_the_mistake(mistake, words):
    result = ch10.sequence_scores(make_scores(**mistake))
    assert not result and words in result.message, result.message


@pytest.mark.parametrize("fn, words", [
    # .all() over the whole batch and over dim 0 both give 0 on the check's data: one message
    (lambda p, t: ((p == t).all().double().item(), (p == t).double().mean().item()), "exact_match is 0"),
    (lambda p, t: ((p == t).all(dim=0).double().mean().item(), (p == t).double().mean().item()),
     "exact_match is 0"),
    (lambda p, t: (1 - (p == t).all(dim=1).double().mean().item(), (p != t).double().mean().item()),
     "error rates"),
    (lambda p, t: ((p != t).all(dim=1).double().mean().item(), (p != t).double().mean().item()),
     "comparison is flipped"),
    (lambda p, t: ((p == t).all(dim=1), (p == t).double().mean()), "one per output (right.all(dim=1) without"),
    (lambda p, t: ((p == t).all(dim=1).double().mean(), (p == t).double().mean(dim=1)), "a mean over dim=1 only"),
])
def test_sequence_scores_names_more_slips(fn, words):
    result = ch10.sequence_scores(fn)
    assert not result and words in result.message, result.message


# the reference answers, by check, that tests/test_checks_garbage.py spoils and replaces
SOLUTIONS = {"attention_step": (make_attention(),), "sequence_scores": (make_scores(),)}
