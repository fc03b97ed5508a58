"""Exercise checks for chapter 9 (a character-level language model).

- :func:`sample_next`: draw one character per row from ``softmax(logits / T)``; checked
  statistically (20,000 draws per temperature against the exact probabilities), and
  temperature 0 must give the arg-max. The check names the distribution a wrong answer
  matches (temperature ignored, multiplied instead of divided, always the arg-max, uniform).
- :func:`bits_and_perplexity`: a loss in nats as bits per character and as perplexity.
- :func:`bigram_cross_entropy`: the bigram baseline, compared with
  :func:`rnncourse.chapters.ch09.ngram_cross_entropy`.
"""

from __future__ import annotations

import math

import numpy as np
import torch

from . import as_array, as_number, call, check, compare, describe, fail, reject, unpack

__all__ = ["sample_next", "bits_and_perplexity", "bigram_cross_entropy"]

_LOGITS = torch.tensor([2.0, 1.0, 0.5, 0.0, -1.0], dtype=torch.float64)
_DRAWS = 20_000
_TOLERANCE = 0.02       # total variation; the sampling noise of 20,000 draws is about 0.005


def _ids(got, what: str, batch: int, vocab: int) -> np.ndarray:
    """The student's draw as an int array of shape (batch,), or a rejection saying why not."""
    if isinstance(got, (list, tuple)):
        reject(f"{what} is {describe(got)}; expected a tensor of {batch} ids, one per row "
               "(torch.multinomial(probs, 1).squeeze(1))")
    if isinstance(got, torch.Tensor) and got.is_floating_point():
        reject(f"{what} holds floats ({str(got.dtype).replace('torch.', '')}); expected int64 "
               "character ids, such as torch.multinomial returns, not probabilities")
    arr = as_array(got, what, floats=False)
    if arr.shape == (batch, 1):
        reject(f"{what} has shape {arr.shape}; expected shape ({batch},): one id per row "
               "(squeeze the last axis)")
    if arr.shape != (batch,):
        reject(f"{what} has shape {arr.shape}; expected shape ({batch},): one id per row of logits")
    if np.any(arr != np.round(arr)) or arr.min() < 0 or arr.max() >= vocab:
        reject(f"{what} holds values outside the ids 0..{vocab - 1}; expected character ids")
    return arr.astype(np.int64)


def _fraction(value, what: str) -> float:
    """One float; an int (a rounded answer) is refused, since these answers have fractions."""
    number = as_number(value, what)
    if isinstance(value, (int, np.integer)) or (
            isinstance(value, (np.ndarray, torch.Tensor)) and not _is_float_dtype(value)):
        reject(f"{what} is the whole number {value!r}, so the fractions were lost; expected a "
               "floating-point number (no int(...), no round(...))")
    return number


def _is_float_dtype(a) -> bool:
    return a.is_floating_point() if isinstance(a, torch.Tensor) else a.dtype.kind == "f"


def _tv(p: np.ndarray, q: np.ndarray) -> float:
    return 0.5 * float(np.abs(p - q).sum())


@check("9.1", expects="sample_next(logits, temperature, generator) returning a (batch,) int64 "
       "tensor: one id per row of logits (batch, vocab), drawn from softmax(logits / "
       "temperature), and the arg-max when temperature is 0")
def sample_next(student_fn):
    """Exercise 9.1: ``sample_next(logits, temperature, generator) -> ids``."""
    V = _LOGITS.shape[0]
    logits = _LOGITS.repeat(_DRAWS, 1)                                  # (draws, vocab)
    for T in (1.0, 0.5, 2.0):
        gen = torch.Generator().manual_seed(9)
        got = call(student_fn, logits.clone(), T, gen)
        ids = _ids(got, f"sample_next(logits, {T}, generator)", _DRAWS, V)
        freq = np.bincount(ids, minlength=V) / _DRAWS
        want = torch.softmax(_LOGITS / T, -1).numpy()
        if _tv(freq, want) <= _TOLERANCE:
            continue
        suspects = {
            "the temperature is ignored: divide the logits by it before the softmax":
                torch.softmax(_LOGITS, -1).numpy(),
            "the logits are multiplied by the temperature; divide them by it (a low temperature "
            "must sharpen the distribution)": torch.softmax(_LOGITS * T, -1).numpy(),
            "every draw is the most likely character (arg-max); at a temperature above 0, draw "
            "at random with torch.multinomial": np.eye(V)[int(_LOGITS.argmax())],
            "the draws are uniform: sample from the softmax of the logits, not uniformly":
                np.full(V, 1 / V),
        }
        if T == 1.0:
            suspects.pop("the temperature is ignored: divide the logits by it before the softmax")
            suspects.pop("the logits are multiplied by the temperature; divide them by it (a low "
                         "temperature must sharpen the distribution)")
        for hint, dist in suspects.items():
            if _tv(freq, dist) <= _TOLERANCE:
                fail(f"at temperature {T} the frequencies of your draws are "
                     f"{np.round(freq, 3).tolist()}: {hint}")
        fail(f"at temperature {T} the frequencies of your draws over {_DRAWS} rows are "
             f"{np.round(freq, 3).tolist()}, but softmax(logits / {T}) is "
             f"{np.round(want, 3).tolist()} (total variation {_tv(freq, want):.3f} > {_TOLERANCE})")
    # temperature 0: the arg-max of every row, for rows with different maxima
    gen = torch.Generator().manual_seed(3)
    rows = torch.randn(40, V, generator=gen, dtype=torch.float64)
    got = call(student_fn, rows.clone(), 0.0, torch.Generator().manual_seed(0))
    ids = _ids(got, "sample_next(logits, 0.0, generator)", 40, V)
    if not np.array_equal(ids, rows.argmax(-1).numpy()):
        fail("at temperature 0 every row must give its most likely character (the arg-max of "
             "that row); dividing by 0 is not possible, so treat 0 as a special case")
    return (f"your draws match softmax(logits / T) at T = 1, 0.5 and 2 (total variation <= "
            f"{_TOLERANCE} over {_DRAWS} draws), and T = 0 gives the arg-max")


@check("9.2", expects="bits_and_perplexity(loss) returning the pair (bits, perplexity) for a "
       "cross-entropy loss in nats per character")
def bits_and_perplexity(student_fn):
    """Exercise 9.2: ``bits_and_perplexity(loss_nats) -> (bits, perplexity)``."""
    losses = [1.58, math.log(76), 0.5, 2.5]
    got_bits, got_ppl = [], []
    for loss in losses:
        bits, ppl = unpack(call(student_fn, loss), 2, f"bits_and_perplexity({loss:.3f})",
                           ("bits", "perplexity"))
        got_bits.append(_fraction(bits, "bits"))
        got_ppl.append(_fraction(ppl, "perplexity"))
    if len(set(got_bits)) == 1 or len(set(got_ppl)) == 1:
        reject(f"bits_and_perplexity returned the same {'bits' if len(set(got_bits)) == 1 else 'perplexity'} "
               f"for the losses {[round(v, 3) for v in losses]}; it must depend on the loss")
    L = np.array(losses)
    compare(got_bits, L / math.log(2), f"the bits for the losses {[round(v, 3) for v in losses]}",
            mistakes={"You multiplied by ln 2; a bit is ln 2 nats, so divide by ln 2.": L * math.log(2),
                      "You took log2 of the loss; the loss is already a logarithm: bits = nats / "
                      "ln 2.": np.log2(L)})
    compare(got_ppl, np.exp(L), f"the perplexities for the losses {[round(v, 3) for v in losses]}",
            mistakes={"You computed 2 ** loss; the loss is in nats, so perplexity = e ** loss "
                      "(or 2 ** bits).": 2.0 ** L,
                      "You computed e ** bits; perplexity is e ** nats = 2 ** bits.":
                          np.exp(L / math.log(2))})
    return "bits = nats / ln 2 and perplexity = e ** nats (ln 76 nats: perplexity 76, uniform guessing)"


def _bigram_reference(train, val, V, alpha, *, transpose=False, log=np.log, denominator=True):
    counts = np.zeros((V, V))
    np.add.at(counts, (train[:-1], train[1:]), 1)
    if transpose:
        counts = counts.T
    row = counts.sum(1, keepdims=True) + (alpha * V if denominator else 0)
    p = (counts + alpha) / row
    return float(-log(p[val[:-1], val[1:]]).mean())


@check("9.3", expects="bigram_cross_entropy(train_ids, val_ids, vocab_size, alpha) returning one "
       "number: the mean of -ln p(c_t | c_{t-1}) over the validation text, p counted on the "
       "training text with add-alpha smoothing")
def bigram_cross_entropy(student_fn):
    """Exercise 9.3: ``bigram_cross_entropy(train_ids, val_ids, vocab_size, alpha)``."""
    gen = torch.Generator().manual_seed(9)
    V = 6
    # a Markov chain with a strong preference, so that a bigram model beats the unigram one
    P = torch.softmax(3 * torch.randn(V, V, generator=gen, dtype=torch.float64), -1)
    def chain(n):
        ids = [0]
        for _ in range(n - 1):
            ids.append(int(torch.multinomial(P[ids[-1]], 1, generator=gen)))
        return torch.tensor(ids)
    train, val = chain(3000), chain(600)
    alpha = 0.5
    got = call(student_fn, train.clone(), val.clone(), V, alpha)
    value = _fraction(got, "bigram_cross_entropy(...)")
    tr, va = train.numpy(), val.numpy()
    expected = _bigram_reference(tr, va, V, alpha)
    unigram = np.bincount(tr, minlength=V) + alpha
    unigram = -np.log(unigram / unigram.sum())
    mistakes = {
        "The counts are transposed: p(c_t | c_{t-1}) is the row of the previous character "
        "c_{t-1}, normalised over the next character c_t.": _bigram_reference(tr, va, V, alpha, transpose=True),
        "This is in bits (log2); the chapter measures cross-entropy in nats (natural log).":
            _bigram_reference(tr, va, V, alpha, log=np.log2),
        "The smoothing is incomplete: with alpha added to each of the V counts of a row, add "
        "alpha * V to the row's total.": _bigram_reference(tr, va, V, alpha, denominator=False),
        "This is the unigram cross-entropy: condition on the previous character.":
            float(unigram[va[1:]].mean()),
        "This is the unigram cross-entropy (over every character): condition on the previous "
        "character.": float(unigram[va].mean()),
    }
    compare(value, expected, "your bigram cross-entropy", rtol=1e-6, mistakes=mistakes)
    return f"your bigram cross-entropy matches the reference ({expected:.4f} nats on a test chain)"
