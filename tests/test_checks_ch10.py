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


# ---- exercise 10.2: exact match and per-character accuracy ------------------------------------

def make_scores(any_right=False, counts=False, swap=False, drop_end=False):
    def sequence_scores(pred, target):
        right = pred == target                                  # (n, L)
        if drop_end:
            right = right[:, :-1]
        per_output = right.any(dim=1) if any_right else right.all(dim=1)
        exact, char = per_output.float().mean().item(), right.float().mean().item()
        if counts:
            exact, char = float(per_output.sum()), float(right.sum())
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
    (dict(drop_end=True), "end token"),
])
def test_sequence_scores_names_the_mistake(mistake, words):
    result = ch10.sequence_scores(make_scores(**mistake))
    assert not result and words in result.message, result.message
