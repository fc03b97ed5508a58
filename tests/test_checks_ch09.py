"""The chapter 9 checks pass on the solutions and fail helpfully on the stubs and typical mistakes."""

import math

import numpy as np
import pytest
import torch

from rnncourse.checks import ch09
from rnncourse.chapters.ch09 import ngram_cross_entropy


# ---- exercise 9.1: sampling with a temperature ----------------------------------------------

def sample_next(logits, temperature, generator=None):
    if temperature == 0:
        return logits.argmax(-1)
    probs = torch.softmax(logits / temperature, -1)
    return torch.multinomial(probs, 1, generator=generator).squeeze(1)


def _sampler(transform):
    def fn(logits, temperature, generator=None):
        if temperature == 0:
            return logits.argmax(-1)
        return torch.multinomial(torch.softmax(transform(logits, temperature), -1), 1,
                                 generator=generator).squeeze(1)
    return fn


def test_sample_next_passes_on_the_solution():
    result = ch09.sample_next(sample_next)
    assert result, str(result)
    assert "T = 0 gives the arg-max" in str(result)


def test_sample_next_stub_reports_not_implemented():
    def stub(logits, temperature, generator=None):
        raise NotImplementedError()
    result = ch09.sample_next(stub)
    assert not result and "not implemented yet" in str(result)


@pytest.mark.parametrize("fn, words", [
    (_sampler(lambda l, T: l), "temperature is ignored"),
    (_sampler(lambda l, T: l * T), "multiplied by the temperature"),
    (lambda l, T, g=None: l.argmax(-1), "arg-max"),
    (_sampler(lambda l, T: torch.zeros_like(l)), "uniform"),
    (_sampler(lambda l, T: l / (T + 0.4)), "total variation"),
    (lambda l, T, g=None: sample_next(l, T if T else 1.0, g), "temperature 0"),
    (lambda l, T, g=None: torch.softmax(l / max(T, 1e-3), -1), "floats"),
    (lambda l, T, g=None: sample_next(l, T, g)[:, None], "squeeze"),
    (lambda l, T, g=None: sample_next(l, T, g) + 10, "outside the ids"),
    (lambda l, T, g=None: sample_next(l, T, g).tolist(), "expected a tensor"),
    (lambda l, T, g=None: sample_next(l, T, None), "pass generator"),
])
def test_sample_next_names_the_mistake(fn, words):
    result = ch09.sample_next(fn)
    assert not result
    assert words in str(result), str(result)


def _no_zero_case(logits, temperature, generator=None):
    probs = torch.softmax(logits / temperature, -1)        # T = 0: inf / nan, multinomial raises
    return torch.multinomial(probs, 1, generator=generator).squeeze(1)


def _inverse_temperature(logits, temperature, generator=None):
    beta = 1 / temperature                                 # T = 0: ZeroDivisionError
    probs = torch.softmax(logits * beta, -1)
    return torch.multinomial(probs, 1, generator=generator).squeeze(1)


def _top_k(k):
    def sample_next(logits, temperature, generator=None):
        if temperature == 0:
            return logits.argmax(-1)
        z = logits / temperature
        kth = z.topk(k, dim=-1).values[:, -1:]
        z = z.masked_fill(z < kth, float("-inf"))         # keeps only the k most likely
        return torch.multinomial(torch.softmax(z, -1), 1, generator=generator).squeeze(1)
    return sample_next


def _max_pair(logits, temperature, generator=None):
    if temperature == 0:
        return torch.max(logits, dim=-1)                   # (values, indices)
    return sample_next(logits, temperature, generator)


@pytest.mark.parametrize("fn, words", [
    (_no_zero_case, "at temperature 0 your code raised RuntimeError"),
    (_inverse_temperature, "at temperature 0 your code raised ZeroDivisionError"),
    (_top_k(2), "top-k sampling with k = 2"),
    (_top_k(3), "top-k sampling with k = 3"),
    (_top_k(4), "top-k sampling with k = 4"),
    (_max_pair, "pair of tensors (float values, int indices)"),
    (lambda l, T, g=None: sample_next(l, T, g) if T else l.topk(1, dim=-1), "pair of tensors (float values, int indices)"),
])
def test_sample_next_names_the_zero_temperature_crash_and_top_k(fn, words):
    result = ch09.sample_next(fn)
    assert not result
    assert words in str(result), str(result)
    if "temperature 0" in words:
        assert "treat `temperature == 0` as its own case" in str(result)


# ---- exercise 9.2: bits and perplexity --------------------------------------------------------

def bits_and_perplexity(loss):
    return loss / math.log(2), math.exp(loss)


def test_bits_and_perplexity_passes_and_fails_helpfully():
    assert ch09.bits_and_perplexity(bits_and_perplexity)
    assert "not implemented" in str(ch09.bits_and_perplexity(lambda l: (_ for _ in ()).throw(NotImplementedError())))
    for fn, words in [
        (lambda l: (l * math.log(2), math.exp(l)), "divide by ln 2"),
        (lambda l: (math.log2(l), math.exp(l)), "log2 of the loss"),
        (lambda l: (l / math.log(2), 2 ** l), "2 ** loss"),
        (lambda l: (l / math.log(2), math.exp(l / math.log(2))), "e ** bits"),
        (lambda l: (l, math.exp(l)), "largest difference"),
        (lambda l: math.exp(l), "should return the pair"),
    ]:
        result = ch09.bits_and_perplexity(fn)
        assert not result and words in str(result), str(result)


@pytest.mark.parametrize("fn, words", [
    (lambda l: (math.exp(l), l / math.log(2)), "wrong order: expected (bits, perplexity)"),
    (lambda l: (l / math.log(10), math.exp(l)), "divided by ln 10"),
    (lambda l: (l / math.log10(2), math.exp(l)), "divided by log10(2)"),
    (lambda l: (l / math.log(2), 10 ** l), "10 ** loss"),
])
def test_bits_and_perplexity_names_the_swapped_pair_and_log10(fn, words):
    result = ch09.bits_and_perplexity(fn)
    assert not result and words in str(result), str(result)


# ---- exercise 9.3: the bigram baseline --------------------------------------------------------

def bigram_cross_entropy(train_ids, val_ids, vocab_size, alpha):
    V = vocab_size
    counts = torch.zeros(V, V, dtype=torch.float64)
    counts.index_put_((train_ids[:-1], train_ids[1:]), torch.ones(len(train_ids) - 1,
                      dtype=torch.float64), accumulate=True)
    p = (counts + alpha) / (counts.sum(1, keepdim=True) + alpha * V)
    return float(-torch.log(p[val_ids[:-1], val_ids[1:]]).mean())


def _bigram(transpose=False, log=torch.log, denominator=True, axis=1):
    def fn(train_ids, val_ids, V, alpha):
        counts = torch.zeros(V, V, dtype=torch.float64)
        counts.index_put_((train_ids[:-1], train_ids[1:]), torch.ones(len(train_ids) - 1,
                          dtype=torch.float64), accumulate=True)
        if transpose:
            counts = counts.T
        total = counts.sum(axis).reshape(-1, 1)
        p = (counts + alpha) / (total + (alpha * V if denominator else 0))
        return float(-log(p[val_ids[:-1], val_ids[1:]]).mean())
    return fn


def test_bigram_passes_and_agrees_with_the_chapter_module():
    result = ch09.bigram_cross_entropy(bigram_cross_entropy)
    assert result, str(result)
    g = torch.Generator().manual_seed(1)
    tr, va = torch.randint(0, 7, (500,), generator=g), torch.randint(0, 7, (100,), generator=g)
    assert bigram_cross_entropy(tr, va, 7, 0.3) == pytest.approx(ngram_cross_entropy(tr, va, 7, 2, 0.3))
    result = ch09.bigram_cross_entropy(lambda *a: ngram_cross_entropy(*a[:3], 2, a[3]))
    assert result, str(result)


@pytest.mark.parametrize("fn, words", [
    (_bigram(transpose=True), "transposed"),
    (_bigram(log=torch.log2), "in bits"),
    (_bigram(denominator=False), "smoothing is incomplete"),
    (_bigram(axis=0), "wrong axis"),
    (lambda tr, va, V, a: ngram_cross_entropy(tr, va, V, 1, a), "unigram"),
    (lambda tr, va, V, a: 2.0, "largest difference"),
])
def test_bigram_names_the_mistake(fn, words):
    result = ch09.bigram_cross_entropy(fn)
    assert not result and words in str(result), str(result)


def _bigram_slip(accumulate=True, sign=-1, reduce="mean", lookup_swapped=False, alpha_used=True,
                 dim=1, joint=False, count_on_val=False):
    """A student's bigram_cross_entropy with one slip, written as a student would."""
    def fn(train_ids, val_ids, V, alpha):
        a = alpha if alpha_used else 0.0
        src = val_ids if count_on_val else train_ids
        counts = torch.zeros(V, V, dtype=torch.float64)
        if accumulate:
            for prev, nxt in zip(src[:-1].tolist(), src[1:].tolist()):
                counts[prev, nxt] += 1
        else:
            counts[src[:-1], src[1:]] += 1      # repeated pairs counted once
        if joint:
            p = (counts + a) / (counts.sum() + a * V * V)
        else:
            p = (counts + a) / (counts.sum(dim, keepdim=True) + a * V)
        logp = torch.log(p[val_ids[1:], val_ids[:-1]] if lookup_swapped else p[val_ids[:-1], val_ids[1:]])
        terms = -logp if sign < 0 else logp
        return float(terms.sum() if reduce == "sum" else terms.mean())
    return fn


def test_bigram_slip_helper_is_right_by_default():
    assert ch09.bigram_cross_entropy(_bigram_slip())


@pytest.mark.parametrize("kw, words", [
    (dict(accumulate=False), "Repeated pairs were counted once"),
    (dict(sign=1), "The sign is wrong"),
    (dict(reduce="sum"), "This is the sum over the"),
    (dict(lookup_swapped=True), "looked up the other way round"),
    (dict(alpha_used=False), "smoothing left out"),
    (dict(dim=0), "column's total: counts.sum(0, keepdim=True)"),
    (dict(joint=True), "joint probability"),
    (dict(count_on_val=True), "come from the validation text"),
])
def test_bigram_names_more_slips(kw, words):
    result = ch09.bigram_cross_entropy(_bigram_slip(**kw))
    assert not result and words in str(result), str(result)


# ---- exercise 9.4: the sampling loop ----------------------------------------------------------

def _sample_text(pick=None, carry=True, reread_last=False, first=False, stack=True,
                 keep_prompt=False, use_generator=True):
    def pick_default(z, T, g):
        if T == 0:
            return z.argmax(-1)
        return torch.multinomial(torch.softmax(z / T, -1), 1, generator=g).squeeze(1)
    pick = pick or pick_default

    def fn(model, prompt_ids, length, temperature=1.0, generator=None):
        g = generator if use_generator else None
        with torch.no_grad():
            logits, state = model(prompt_ids)
            if reread_last:
                logits, state = model(prompt_ids[:, -1:], state)
            out = []
            for _ in range(length):
                z = logits[:, 0] if first and not out else logits[:, -1]
                nxt = pick(z, temperature, g)
                out.append(nxt)
                logits, state = model(nxt[:, None], state if carry else None)
        if not stack:
            return out
        ids = torch.stack(out, 1)
        return torch.cat([prompt_ids, ids], 1) if keep_prompt else ids
    return fn


def _multinomial(transform):
    def pick(z, T, g):
        if T == 0:
            return z.argmax(-1)
        return torch.multinomial(transform(z, T), 1, generator=g).squeeze(1)
    return pick


def test_sample_text_passes_on_the_solution():
    result = ch09.sample_text(_sample_text())
    assert result, str(result)


def test_sample_text_accepts_rereading_the_whole_text_each_step():
    def slow(model, prompt_ids, length, temperature=1.0, generator=None):
        ids = prompt_ids
        for _ in range(length):
            z = model(ids)[0][:, -1]
            nxt = z.argmax(-1) if temperature == 0 else torch.multinomial(
                torch.softmax(z / temperature, -1), 1, generator=generator).squeeze(1)
            ids = torch.cat([ids, nxt[:, None]], 1)
        return ids[:, prompt_ids.shape[1]:]
    assert ch09.sample_text(slow)


def test_sample_text_stub_reports_not_implemented():
    def stub(model, prompt_ids, length, temperature=1.0, generator=None):
        raise NotImplementedError()
    result = ch09.sample_text(stub)
    assert not result and "not implemented yet" in str(result)


@pytest.mark.parametrize("fn, words", [
    (_sample_text(carry=False), "the state is not carried"),
    (_sample_text(reread_last=True), "read twice"),
    (_sample_text(first=True), "logits[:, -1]"),
    (_sample_text(pick=_multinomial(lambda z, T: z / T)), "not their softmax"),
    (_sample_text(pick=_multinomial(lambda z, T: torch.softmax(z * T, -1))), "multiplied by the temperature"),
    (_sample_text(pick=_multinomial(lambda z, T: torch.softmax(z, -1))), "temperature is ignored"),
    (_sample_text(pick=_multinomial(lambda z, T: torch.softmax(z / T, 0))), "uniform"),
    (_sample_text(pick=lambda z, T, g: z.argmax(-1)), "most likely character"),
    (_sample_text(use_generator=False), "pass generator"),
    (_sample_text(stack=False), "torch.stack"),
    (_sample_text(keep_prompt=True), "includes the prompt"),
    (_sample_text(pick=lambda z, T, g: torch.multinomial(torch.softmax(z / T, -1), 1,
                                                         generator=g).squeeze(1)),
     "treat `temperature == 0` as its own case"),
])
def test_sample_text_names_the_mistake(fn, words):
    result = ch09.sample_text(fn)
    assert not result
    assert words in str(result), str(result)


# the reference answers, by check, that tests/test_checks_garbage.py spoils and replaces
SOLUTIONS = {"sample_next": (sample_next,), "bits_and_perplexity": (bits_and_perplexity,),
             "bigram_cross_entropy": (bigram_cross_entropy,), "sample_text": (_sample_text(),)}
