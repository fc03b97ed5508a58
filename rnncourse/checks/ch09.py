"""Exercise checks for chapter 9 (a character-level language model).

- :func:`sample_next`: draw one character per row from ``softmax(logits / T)``; checked
  statistically (20,000 draws per temperature against the exact probabilities), and
  temperature 0 must give the arg-max. The check names the distribution a wrong answer
  matches (temperature ignored, multiplied instead of divided, always the arg-max, uniform,
  cut to the k most likely ids as in top-k sampling) and a crash at temperature 0.
- :func:`bits_and_perplexity`: a loss in nats as bits per character and as perplexity (names
  the pair swapped and ln 10 or log10(2) for ln 2).
- :func:`bigram_cross_entropy`: the bigram baseline, compared with
  :func:`rnncourse.chapters.ch09.ngram_cross_entropy` (names, among others, repeated pairs
  counted once, the sign, a sum for the mean, the pair looked up backwards, no smoothing).
- :func:`sample_text`: the generation loop (read the prompt, then draw a character and feed it
  back, carrying the state), run on two toy language models: one whose next character depends
  on how many characters it has read (greedy decoding must match exactly), and one with a fixed
  distribution (the draws' frequencies at T = 0.5, 1 and 2). It names the usual slips: the state
  not carried, the last prompt character read twice, the first step's logits used, no softmax,
  the temperature multiplied or ignored, the generator not passed on.
"""

from __future__ import annotations

import math

import numpy as np
import torch

from . import BadAnswer, as_array, as_number, call, check, compare, describe, fail, reject, unpack

__all__ = ["sample_next", "bits_and_perplexity", "bigram_cross_entropy", "sample_text"]

_LOGITS = torch.tensor([2.0, 1.0, 0.5, 0.0, -1.0], dtype=torch.float64)
_DRAWS = 20_000
_TOLERANCE = 0.02       # total variation; the sampling noise of 20,000 draws is about 0.005


def _ids(got, what: str, batch: int, vocab: int) -> np.ndarray:
    """The student's draw as an int array of shape (batch,), or a rejection saying why not."""
    if (isinstance(got, tuple) and len(got) == 2 and all(isinstance(v, torch.Tensor) for v in got)
            and got[0].is_floating_point() and not got[1].is_floating_point()):
        reject(f"{what} is a pair of tensors (float values, int indices), which looks like what "
               "torch.max(logits, dim) and torch.topk return; expected the indices alone, a "
               f"tensor of {batch} ids (logits.argmax(-1))")
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
       "temperature), and the arg-max when temperature is 0",
       accepts=("count",))
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
        ranked = np.sort(want)[::-1]
        for k in range(2, V):                     # sampling cut to the k most likely ids
            cut = np.where(want >= ranked[k - 1], want, 0.0)
            if _tv(cut / cut.sum(), want) <= _TOLERANCE:
                continue                          # too close to the right answer to tell
            suspects[f"only the {k} most likely ids were ever drawn, as in top-k sampling with "
                     f"k = {k}; expected draws from the whole softmax(logits / T), every id "
                     "with its own probability (no top_k cut)"] = cut / cut.sum()
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
    try:
        got = call(student_fn, rows.clone(), 0.0, torch.Generator().manual_seed(0))
    except BadAnswer as e:
        fail(f"at temperature 0 {e}. Dividing by a temperature of 0 gives inf and NaN; "
             "expected the arg-max of each row at temperature 0, as the exercise says: treat "
             "`temperature == 0` as its own case (return logits.argmax(-1)) before dividing")
    ids = _ids(got, "sample_next(logits, 0.0, generator)", 40, V)
    if not np.array_equal(ids, rows.argmax(-1).numpy()):
        fail("at temperature 0 every row must give its most likely character (the arg-max of "
             "that row); dividing by 0 is not possible, so treat 0 as a special case")
    # the generator: the same seed gives the same draws, whatever the global random state
    draws = []
    for global_seed in (1, 2):
        torch.manual_seed(global_seed)
        got = call(student_fn, _LOGITS.repeat(200, 1), 1.0, torch.Generator().manual_seed(4))
        draws.append(_ids(got, "sample_next(logits, 1.0, generator)", 200, V))
    if not np.array_equal(*draws):
        fail("two calls with generators seeded alike gave different draws: pass generator on to "
             "torch.multinomial (generator=generator), so that a seed fixes the sample")
    return (f"your draws match softmax(logits / T) at T = 1, 0.5 and 2 (total variation <= "
            f"{_TOLERANCE} over {_DRAWS} draws), and T = 0 gives the arg-max")


@check("9.2", expects="bits_and_perplexity(loss) returning the pair (bits, perplexity) for a "
       "cross-entropy loss in nats per character",
       accepts=("numbers", "tuple of 2"))
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
    if (np.allclose(got_bits, np.exp(L), rtol=1e-6)
            and np.allclose(got_ppl, L / math.log(2), rtol=1e-6)):
        fail("The pair is in the wrong order: expected (bits, perplexity); your first value is "
             "the perplexity e ** loss and your second the bits, loss / ln 2.")
    compare(got_bits, L / math.log(2), f"the bits for the losses {[round(v, 3) for v in losses]}",
            mistakes={"You multiplied by ln 2; a bit is ln 2 nats, so divide by ln 2.": L * math.log(2),
                      "You took log2 of the loss; the loss is already a logarithm: bits = nats / "
                      "ln 2.": np.log2(L),
                      "You divided by ln 10 (a log10 for log2 slip): expected bits = loss / ln 2, "
                      "since a bit is ln 2 nats (math.log(2), not math.log(10)).": L / math.log(10),
                      "You divided by log10(2): expected bits = loss / ln 2, the natural log of "
                      "2 (math.log(2), not math.log10(2)).": L / math.log10(2)})
    compare(got_ppl, np.exp(L), f"the perplexities for the losses {[round(v, 3) for v in losses]}",
            mistakes={"You computed 2 ** loss; the loss is in nats, so perplexity = e ** loss "
                      "(or 2 ** bits).": 2.0 ** L,
                      "You computed e ** bits; perplexity is e ** nats = 2 ** bits.":
                          np.exp(L / math.log(2)),
                      "You computed 10 ** loss: expected perplexity = e ** loss, since the loss "
                      "is in nats (natural log), not in decimal digits.": 10.0 ** L})
    return "bits = nats / ln 2 and perplexity = e ** nats (ln 76 nats: perplexity 76, uniform guessing)"


def _bigram_reference(train, val, V, alpha, *, transpose=False, log=np.log, denominator=True,
                      axis=1, accumulate=True, sign=-1, reduce="mean", lookup_swapped=False,
                      column_totals=False, joint=False):
    counts = np.zeros((V, V))
    if accumulate:
        np.add.at(counts, (train[:-1], train[1:]), 1)
    else:                                        # counts[prev, next] += 1: each pair once
        counts[train[:-1], train[1:]] += 1
    if transpose:
        counts = counts.T
    row = counts.sum(axis, keepdims=True).reshape(-1, 1) + (alpha * V if denominator else 0)
    if column_totals:                            # counts.sum(0, keepdim=True), broadcast: (1, V)
        row = counts.sum(0, keepdims=True) + alpha * V
    if joint:                                    # p(prev, next) over all pairs
        row = counts.sum() + alpha * V * V
    p = (counts + alpha) / row
    looked_up = p[val[1:], val[:-1]] if lookup_swapped else p[val[:-1], val[1:]]
    terms = sign * log(looked_up)
    return float(terms.sum() if reduce == "sum" else terms.mean())


@check("9.3", expects="bigram_cross_entropy(train_ids, val_ids, vocab_size, alpha) returning one "
       "number: the mean of -ln p(c_t | c_{t-1}) over the validation text, p counted on the "
       "training text with add-alpha smoothing",
       accepts=("numbers",))
def bigram_cross_entropy(student_fn):
    """Exercise 9.3: ``bigram_cross_entropy(train_ids, val_ids, vocab_size, alpha)``."""
    gen = torch.Generator().manual_seed(9)
    V = 6
    # a Markov chain with a strong preference, so that a bigram model beats the unigram one
    P = torch.softmax(3 * torch.randn(V, V, generator=gen, dtype=torch.float64), -1)
    def chain(n, first):
        ids = [first]
        for _ in range(n - 1):
            ids.append(int(torch.multinomial(P[ids[-1]], 1, generator=gen)))
        return torch.tensor(ids)
    # the first and last training ids differ, so that a row's total (how often an id is
    # followed) and a column's total (how often it follows) are not the same
    train, val = chain(3000, 0), chain(600, 3)
    while train[-1] == train[0]:
        train = train[:-1]
    alpha = 0.5
    got = call(student_fn, train.clone(), val.clone(), V, alpha)
    number = as_number(got, "bigram_cross_entropy(...)", finite=False)
    if number == float("inf"):
        fail("your bigram cross-entropy is infinite: some pair of the validation text never "
             "occurs in the training text, so its probability is 0 and -ln 0 = inf. That looks "
             "like the smoothing left out: expected p = (n(prev, next) + alpha) / (n(prev) + "
             "alpha * V), which is never 0.")
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
        "The counts are normalised over the wrong axis: divide by the total of the previous "
        "character's row (how often it is followed), counts.sum(1), not a column's total.":
            _bigram_reference(tr, va, V, alpha, axis=0),
        "Each count is divided by its column's total: counts.sum(0, keepdim=True) has shape "
        "(1, V) and broadcasting divides every column by how often the *next* character occurs. "
        "Normalise each row (the previous character) instead: counts.sum(1, keepdim=True), "
        "shape (V, 1).": _bigram_reference(tr, va, V, alpha, column_totals=True),
        "This is the joint probability p(c_{t-1}, c_t), the count over the total of all pairs; "
        "expected the conditional p(c_t | c_{t-1}): divide by the previous character's row "
        "total, counts.sum(1, keepdim=True) (plus alpha * V).":
            _bigram_reference(tr, va, V, alpha, joint=True),
        "The counts come from the validation text: count the pairs of train_ids and score "
        "the pairs of val_ids (a model judged on the text it was counted on looks better than "
        "it is).": _bigram_reference(va, va, V, alpha),
        "This is the unigram cross-entropy: condition on the previous character.":
            float(unigram[va[1:]].mean()),
        "This is the unigram cross-entropy (over every character): condition on the previous "
        "character.": float(unigram[va].mean()),
        "Repeated pairs were counted once: expected n(prev, next) to count every occurrence, "
        "but `counts[prev_ids, next_ids] += 1` adds 1 once per distinct pair (indexing with "
        "repeated indices does not accumulate); use counts.index_put_(..., accumulate=True), "
        "np.add.at or a loop.": _bigram_reference(tr, va, V, alpha, accumulate=False),
        "The sign is wrong: expected the mean of -ln p(c_t | c_{t-1}), a positive number; "
        "yours is the mean of ln p.": _bigram_reference(tr, va, V, alpha, sign=1),
        f"This is the sum over the {len(va) - 1} validation pairs: expected the mean "
        "(cross-entropy per character).": _bigram_reference(tr, va, V, alpha, reduce="sum"),
        "The pairs are looked up the other way round: expected p[prev, next], i.e. "
        "p[val_ids[:-1], val_ids[1:]]; yours reads p[val_ids[1:], val_ids[:-1]].":
            _bigram_reference(tr, va, V, alpha, lookup_swapped=True),
    }
    compare(value, expected, "your bigram cross-entropy", rtol=1e-6, mistakes=mistakes)
    return f"your bigram cross-entropy matches the reference ({expected:.4f} nats on a test chain)"


class _CounterLM(torch.nn.Module):
    """A toy language model whose next character depends on the state: after reading a character
    ``c`` as the ``n``-th character since the state was empty, it predicts ``(c + n) % V``."""

    V = 7

    def __init__(self):
        super().__init__()
        self.scale = torch.nn.Parameter(torch.tensor(4.0))

    def forward(self, x, state=None):
        if not isinstance(x, torch.Tensor) or x.dim() != 2 or x.is_floating_point():
            got = f"shape {tuple(x.shape)} {x.dtype}" if isinstance(x, torch.Tensor) else describe(x)
            raise ValueError(f"the model expects int64 ids of shape (batch, time), got {got}")
        count = torch.zeros(x.shape[0], dtype=torch.long) if state is None else state
        n = count[:, None] + torch.arange(1, x.shape[1] + 1)              # (batch, time)
        logits = self.scale * torch.nn.functional.one_hot((x + n) % self.V, self.V)
        return logits.float(), count + x.shape[1]                          # (batch, time, V)


class _FixedLM(torch.nn.Module):
    """A toy language model that always predicts the same (positive) logits."""

    LOGITS = torch.tensor([2.0, 1.2, 0.6, 0.3, 0.1])

    def __init__(self):
        super().__init__()
        self.bias = torch.nn.Parameter(self.LOGITS.clone())

    def forward(self, x, state=None):
        if not isinstance(x, torch.Tensor) or x.dim() != 2 or x.is_floating_point():
            got = f"shape {tuple(x.shape)} {x.dtype}" if isinstance(x, torch.Tensor) else describe(x)
            raise ValueError(f"the model expects int64 ids of shape (batch, time), got {got}")
        return self.bias.detach().expand(x.shape[0], x.shape[1], -1).clone(), state


def _greedy_reference(prompt, length, *, carry=True, reread_last=False, first_logits=False):
    model = _CounterLM()
    with torch.no_grad():
        logits, state = model(prompt)
        if reread_last:
            logits, state = model(prompt[:, -1:], state)
        out = []
        for _ in range(length):
            nxt = (logits[:, 0] if first_logits and not out else logits[:, -1]).argmax(-1)
            out.append(nxt)
            logits, state = model(nxt[:, None], state if carry else None)
    return torch.stack(out, 1).numpy()


def _generated(got, what: str, batch: int, length: int, vocab: int, prompt_length: int) -> np.ndarray:
    if isinstance(got, torch.Tensor) and got.is_floating_point():
        reject(f"{what} holds floats; expected int64 character ids (torch.multinomial or argmax "
               "return them)")
    if isinstance(got, (list, tuple)):
        if got and isinstance(got[0], torch.Tensor):
            reject(f"{what} is a list of {len(got)} tensors; expected one tensor of shape "
                   f"({batch}, {length}): torch.stack(ids, 1)")
        reject(f"{what} is {describe(got)}; expected a tensor of shape ({batch}, {length})")
    arr = as_array(got, what, floats=False)
    if arr.shape == (batch, prompt_length + length):
        reject(f"{what} has shape {arr.shape}: it includes the prompt; expected shape "
               f"({batch}, {length}), the {length} new ids only")
    if arr.shape == (length, batch) and length != batch:
        reject(f"{what} has shape {arr.shape}; expected ({batch}, {length}): one row per "
               "prompt (stack the steps along axis 1)")
    if arr.shape != (batch, length):
        reject(f"{what} has shape {arr.shape}; expected ({batch}, {length})")
    if np.any(arr != np.round(arr)) or arr.min() < 0 or arr.max() >= vocab:
        reject(f"{what} holds values outside the ids 0..{vocab - 1}; expected character ids")
    return arr.astype(np.int64)


@check("9.4", expects="sample_text(model, prompt_ids, length, temperature, generator) returning "
       "a (batch, length) int64 tensor: the new ids, each drawn from softmax(logits / "
       "temperature) after the prompt and the ids drawn so far (arg-max at temperature 0)",
       accepts=("count",))
def sample_text(student_fn):
    """Exercise 9.4: ``sample_text(model, prompt_ids, length, temperature, generator)``."""
    # 1. greedy decoding with a model whose prediction depends on its state: must match exactly
    prompt = torch.tensor([[1, 2, 3], [4, 0, 6], [5, 5, 5]])
    length = 12
    try:
        got = call(student_fn, _CounterLM(), prompt.clone(), length, 0.0,
                   torch.Generator().manual_seed(0))
    except BadAnswer as e:
        fail(f"at temperature 0 {e}. Dividing the logits by a temperature of 0 gives inf and "
             "NaN, which torch.multinomial refuses; expected the arg-max at temperature 0, as "
             "the exercise says: treat `temperature == 0` as its own case (take "
             "logits.argmax(-1)) before dividing")
    ids = _generated(got, f"sample_text(model, prompt_ids, {length}, 0.0, generator)", 3, length,
                     _CounterLM.V, prompt.shape[1])
    want = _greedy_reference(prompt, length)
    if not np.array_equal(ids, want):
        mistakes = {
            "the state is not carried: pass the state returned by each call of the model into "
            "the next call (model(next_ids[:, None], state)), or the model forgets what it read":
                _greedy_reference(prompt, length, carry=False),
            "the last prompt character is read twice: after reading the whole prompt, the "
            "distribution of the first new character is already in the last step's logits":
                _greedy_reference(prompt, length, reread_last=True),
            "the first new character comes from the logits after the prompt's first character; "
            "take the last time step, logits[:, -1]":
                _greedy_reference(prompt, length, first_logits=True),
        }
        for hint, wrong in mistakes.items():
            if np.array_equal(ids, wrong):
                fail(f"with temperature 0 your ids for the prompt {prompt[0].tolist()} are "
                     f"{ids[0].tolist()}: {hint}")
        fail(f"with temperature 0 (greedy) your ids for the prompt {prompt[0].tolist()} are "
             f"{ids[0].tolist()}, the model's most likely ones are {want[0].tolist()}: read the "
             "prompt, then repeat: take the last step's logits, pick an id, feed it back in with "
             "the state")
    # 2. the distribution of the draws at three temperatures, with fixed logits
    V, rows, steps = len(_FixedLM.LOGITS), 2000, 10
    z = _FixedLM.LOGITS.double()
    start = torch.zeros(rows, 1, dtype=torch.long)
    for T in (1.0, 0.5, 2.0):
        got = call(student_fn, _FixedLM(), start.clone(), steps, T, torch.Generator().manual_seed(7))
        ids = _generated(got, f"sample_text(model, prompt_ids, {steps}, {T}, generator)", rows,
                         steps, V, 1)
        freq = np.bincount(ids.ravel(), minlength=V) / ids.size
        want = torch.softmax(z / T, -1).numpy()
        if _tv(freq, want) <= _TOLERANCE:
            continue
        suspects = {
            "the draws follow the logits themselves, not their softmax: torch.multinomial "
            "needs probabilities, softmax(logits / T)": (z / T / (z / T).sum()).numpy(),
            "the logits are multiplied by the temperature; divide them by it (a low temperature "
            "must sharpen the distribution)": torch.softmax(z * T, -1).numpy(),
            "the temperature is ignored: divide the logits by it before the softmax":
                torch.softmax(z, -1).numpy(),
            "the draws are uniform: is the softmax taken over the vocabulary (the last axis)?":
                np.full(V, 1 / V),
            "every draw is the most likely character; at a temperature above 0, draw at random "
            "with torch.multinomial": np.eye(V)[0],
        }
        for hint, dist in suspects.items():
            if _tv(freq, dist) <= _TOLERANCE and _tv(dist, want) > _TOLERANCE:
                fail(f"at temperature {T} the frequencies of your draws are "
                     f"{np.round(freq, 3).tolist()}: {hint}")
        fail(f"at temperature {T} the frequencies of your draws are {np.round(freq, 3).tolist()}, "
             f"but softmax(logits / {T}) is {np.round(want, 3).tolist()} (total variation "
             f"{_tv(freq, want):.3f} > {_TOLERANCE})")
    # 3. the generator: the same seed gives the same text, whatever the global random state
    runs = []
    for global_seed in (1, 2):
        torch.manual_seed(global_seed)
        got = call(student_fn, _FixedLM(), start[:50].clone(), 20, 1.0, torch.Generator().manual_seed(5))
        runs.append(_generated(got, "sample_text(model, prompt_ids, 20, 1.0, generator)", 50, 20, V, 1))
    if not np.array_equal(*runs):
        fail("two calls with generators seeded alike gave different samples: pass generator "
             "on to torch.multinomial (generator=generator), so that a seed fixes the text")
    return ("greedy decoding matches a model whose prediction depends on its state, the draws "
            "match softmax(logits / T) at T = 1, 0.5 and 2, and the generator fixes the sample")
