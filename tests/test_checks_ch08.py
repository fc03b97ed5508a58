"""The chapter 8 checks pass on the solutions and fail helpfully on the stubs and typical mistakes."""

import numpy as np
import pytest
import torch

from rnncourse.checks import ch08


# ---- exercise 8.1: a bidirectional layer from two unidirectional ones ----------------------

def make_bidirectional(flip_input=True, flip_output=True, swap=False):
    """A student's bidirectional(), right by default, with one of the typical mistakes."""

    def bidirectional(forward, backward, x):
        out_f, _ = forward(x)
        out_b, _ = backward(x.flip(1) if flip_input else x)
        out_b = out_b.flip(1) if flip_output else out_b
        return torch.cat([out_b, out_f] if swap else [out_f, out_b], dim=-1)

    return bidirectional


def test_bidirectional_passes_on_the_solution():
    result = ch08.bidirectional(make_bidirectional())
    assert result, str(result)
    assert "matches rc.layers.Recurrent" in str(result)


def test_bidirectional_stub_reports_not_implemented():
    def stub(forward, backward, x):
        raise NotImplementedError()

    result = ch08.bidirectional(stub)
    assert not result and "not implemented yet" in str(result)


@pytest.mark.parametrize("kw, words", [
    (dict(flip_output=False), "reversed time order"),
    (dict(flip_input=False, flip_output=False), "give it x reversed"),
    (dict(flip_input=False), "reverse the input, not only the output"),
    (dict(swap=True), "halves are swapped"),
])
def test_bidirectional_names_the_mistake(kw, words):
    result = ch08.bidirectional(make_bidirectional(**kw))
    assert not result and words in str(result), str(result)


def _forward_twice(forward, backward, x):
    out_f, _ = forward(x)
    out_b, _ = forward(x.flip(1))                  # the slip: forward where backward was meant
    return torch.cat([out_f, out_b.flip(1)], dim=-1)


def _final_state_broadcast(forward, backward, x):
    out_f, _ = forward(x)
    _, states = backward(x.flip(1))                # the slip: the states, not the outputs
    h_b = states[-1]                               # (batch, H), the final state
    return torch.cat([out_f, h_b[:, None, :].expand_as(out_f)], dim=-1)


def _both_final_states(forward, backward, x):
    _, (h_f,) = forward(x)
    _, (h_b,) = backward(x.flip(1))
    T = x.shape[1]
    return torch.cat([h_f, h_b], -1)[:, None, :].repeat(1, T, 1)


def _flip_dims(dim_in, dim_out):
    def bidirectional(forward, backward, x):
        out_f, _ = forward(x)
        out_b, _ = backward(x.flip(dim_in))
        return torch.cat([out_f, out_b if dim_out is None else out_b.flip(dim_out)], dim=-1)
    return bidirectional


@pytest.mark.parametrize("fn, words", [
    (_forward_twice, "forward layer was used for both directions"),
    (lambda f, b, x: torch.cat([f(x)[0], f(x)[0]], -1), "forward layer was used for both directions"),
    (_final_state_broadcast, "final state repeated at every step"),
    (_both_final_states, "final states repeated at every step"),
    (_flip_dims(0, 0), "flipping along dim 0, the batch, both before and after"),  # = no flip at all
    (_flip_dims(0, None), "along the batch (dim 0) instead of time"),
    (_flip_dims(0, 1), "along the batch (dim 0) instead of time"),
    (_flip_dims(1, 0), "along the batch (dim 0) instead of time"),
])
def test_bidirectional_names_more_slips(fn, words):
    result = ch08.bidirectional(fn)
    assert not result and words in str(result), str(result)


def _added(forward, backward, x):
    out_f, _ = forward(x)
    out_b, _ = backward(x.flip(1))
    return out_f + out_b.flip(1)                   # the slip: + where torch.cat was meant


def _cat_along_time(forward, backward, x):
    out_f, _ = forward(x)
    out_b, _ = backward(x.flip(1))
    return torch.cat([out_f, out_b.flip(1)], dim=1)


@pytest.mark.parametrize("fn, words", [
    (_added, "the two halves added"),
    (_cat_along_time, "concatenated along time (dim 1)"),
    (_flip_dims(-1, 1), "along the features (the last dim) instead of time"),
    (_flip_dims(-1, None), "x.flip(-1) and no flip back"),
    (_flip_dims(-1, -1), "x.flip(-1), then .flip(-1)"),
    (_flip_dims(1, -1), "x.flip(1), then .flip(-1) on the outputs"),
])
def test_bidirectional_names_the_sum_and_feature_flips(fn, words):
    result = ch08.bidirectional(fn)
    assert not result and words in str(result), str(result)


def test_bidirectional_messages_are_grammatical():
    result = ch08.bidirectional(lambda f, b, x: torch.zeros(x.shape[0], x.shape[1], 8,
                                                            dtype=torch.float64))
    assert not result and "your output tensor is not right" in str(result), str(result)
    result = ch08.bidirectional(lambda f, b, x: torch.zeros(x.shape[0], x.shape[1], 5,
                                                            dtype=torch.float64))
    assert not result and "your output tensor has shape" in str(result), str(result)


def test_bidirectional_refuses_the_pair_and_in_place_flips():
    def returns_pair(forward, backward, x):
        out = make_bidirectional()(forward, backward, x)
        return out, None

    result = ch08.bidirectional(returns_pair)
    assert not result and "outputs alone" in str(result)

    def in_place(forward, backward, x):
        out = make_bidirectional()(forward, backward, x)
        x.mul_(-1)
        return out

    result = ch08.bidirectional(in_place)
    assert not result and "in place" in str(result)


# ---- exercise 8.2: the Bayes bound by hand --------------------------------------------------

def make_bound(chance=False, strict=False, no_max=False):
    def causal_bound(agree, p_distance, delay):
        q = 0.5 if chance else (agree if no_max else max(agree, 1 - agree))
        return sum(p * (1.0 if (j < delay if strict else j <= delay) else q)
                   for j, p in enumerate(p_distance, start=1))

    return causal_bound


def test_causal_bound_passes_on_the_solution():
    result = ch08.causal_bound(make_bound())
    assert result, str(result)


def test_causal_bound_stub_reports_not_implemented():
    def stub(agree, p_distance, delay):
        raise NotImplementedError()

    assert "not implemented yet" in str(ch08.causal_bound(stub))


@pytest.mark.parametrize("kw, words", [
    (dict(chance=True), "not 0.5"),
    (dict(strict=True), "use <=, not <"),
    (dict(no_max=True), "max(agree, 1 - agree)"),
])
def test_causal_bound_names_the_mistake(kw, words):
    result = ch08.causal_bound(make_bound(**kw))
    assert not result and words in str(result), str(result)


def test_causal_bound_names_the_forgotten_guess_term_and_the_off_by_one():
    # the in-reach fraction only: an int 0 at delay 0 (the review's misdiagnosed case) ...
    only_reach = lambda agree, p, d: sum(pj for j, pj in enumerate(p, start=1) if j <= d)  # noqa: E731
    result = ch08.causal_bound(only_reach)
    assert not result and "modifiers out of reach still count" in str(result), str(result)
    # ... and the same as floats
    result = ch08.causal_bound(lambda agree, p, d: float(only_reach(agree, p, d)) + 0.0 * agree)
    assert not result and "still" in str(result), str(result)
    from rnncourse.checks.ch08 import _bound
    result = ch08.causal_bound(lambda agree, p, d: _bound(agree, p, d, from_zero=True))
    assert not result and "off by one" in str(result), str(result)



def test_causal_bound_names_the_agree_term_only_and_an_unweighted_mean():
    def agree_term_only(agree, p_distance, delay):       # the within-reach term forgotten
        best = max(agree, 1 - agree)
        return sum(p * best for j, p in enumerate(p_distance, start=1) if j > delay)

    result = ch08.causal_bound(agree_term_only)          # an int 0 where every word is in reach
    assert not result and "agree term only" in str(result), str(result)
    result = ch08.causal_bound(lambda a, p, d: float(agree_term_only(a, p, d)))
    assert not result and "agree term only" in str(result), str(result)
    result = ch08.causal_bound(lambda a, p, d: max(a, 1 - a))
    assert not result and "agree term alone" in str(result), str(result)

    def unweighted(agree, p_distance, delay):
        best = max(agree, 1 - agree)
        return float(np.mean([1.0 if j <= delay else best for j in range(1, len(p_distance) + 1)]))

    result = ch08.causal_bound(unweighted)
    assert not result and "unweighted mean" in str(result), str(result)


def test_causal_bound_names_the_worse_guess():
    def worse(agree, p_distance, delay):
        q = min(agree, 1 - agree)                  # the slip: min where max was meant
        return sum(p * (1.0 if j <= delay else q) for j, p in enumerate(p_distance, start=1))

    result = ch08.causal_bound(worse)
    assert not result and "min(agree, 1 - agree), the worse" in str(result), str(result)


def test_causal_bound_refuses_a_non_probability_and_a_wrong_number():
    result = ch08.causal_bound(lambda agree, p, d: 75.0)
    assert not result and "not a probability" in str(result)
    result = ch08.causal_bound(lambda agree, p, d: 0.8)
    assert not result and "largest difference" in str(result)
    assert "the bound you return in the 7 test cases is not right" in str(result), str(result)


# the reference answers, by check, that tests/test_checks_garbage.py spoils and replaces
SOLUTIONS = {"bidirectional": (make_bidirectional(),), "causal_bound": (make_bound(),)}
