"""Exercise checks for chapter 11 (captioning)."""

from __future__ import annotations

import math
from collections import Counter

import numpy as np

from . import as_number, call, check, describe, fail, reject

__all__ = ["sentence_bleu", "caption"]


def _bleu(hyp: str, ref: str, *, clip=True, brevity=True, geometric=True, max_n=4,
          eps=None) -> float:
    """Sentence BLEU with one reference (Papineni et al. 2002), unsmoothed, in [0, 1]; the
    switches reproduce the usual mistakes."""
    h, r = hyp.split(), ref.split()
    precisions = []
    for n in range(1, max_n + 1):
        h_ngrams = Counter(tuple(h[i:i + n]) for i in range(len(h) - n + 1))
        r_ngrams = Counter(tuple(r[i:i + n]) for i in range(len(r) - n + 1))
        total = sum(h_ngrams.values())
        if clip:
            matched = sum(min(c, r_ngrams[g]) for g, c in h_ngrams.items())
        else:
            matched = sum(c for g, c in h_ngrams.items() if g in r_ngrams)
        precisions.append(matched / total if total else 0.0)
    if geometric:
        if eps is not None:                      # the mistake: log(max(p, eps)) instead of 0
            score = math.exp(sum(math.log(max(p, eps)) for p in precisions) / max_n)
        elif min(precisions) == 0:
            return 0.0
        else:
            score = math.exp(sum(math.log(p) for p in precisions) / max_n)
    else:
        score = sum(precisions) / max_n
    if brevity == "always":                     # the mistake: exp(1 - r / c) without min(1, .)
        score *= math.exp(1 - len(r) / len(h)) if h else 0.0
    elif brevity == "inverted" and len(h) < len(r):   # the mistake: exp(1 - c / r), above 1
        score *= math.exp(1 - len(h) / len(r))
    elif brevity and len(h) < len(r):
        score *= math.exp(1 - len(r) / len(h)) if h else 0.0
    return score


# (hypothesis, reference): exact, a wrong shape, shorter (brevity penalty), repeated words
# (clipping), Papineni et al.'s "the the the ..." example, reordered objects, a longer
# hypothesis with non-zero BLEU (no brevity penalty above 1), and one whose only zero precision
# is p_4 (BLEU 0, not a small number)
BLEU_CASES = [
    ("a small red circle left of a large blue square", "a small red circle left of a large blue square"),
    ("a small red circle left of a large blue circle", "a small red circle left of a large blue square"),
    ("a large green triangle", "a large green triangle above a small yellow circle"),
    ("a small red circle left of a small red circle", "a small red circle left of a large blue circle"),
    ("the the the the the the the", "the cat is on the mat"),
    ("a large blue square right of a small red circle", "a small red circle left of a large blue square"),
    ("a small yellow square below a large red triangle", "a small red square below a large yellow triangle"),
    ("a small red circle left of a large blue square above a small green circle",
     "a small red circle left of a large blue square"),
    ("a red circle a blue square", "a small red circle left of a small blue square"),
]


@check("11.1", expects="sentence_bleu(hypothesis, reference) taking two strings of words "
       "separated by spaces and returning one number between 0 and 1",
       accepts=("numbers",))
def sentence_bleu(student_fn):
    """Exercise 11.1: unsmoothed sentence BLEU with one reference, up to 4-grams, in [0, 1]."""
    got = [as_number(call(student_fn, h, r), f"sentence_bleu({h!r}, {r!r})") for h, r in BLEU_CASES]
    expected = [_bleu(h, r) for h, r in BLEU_CASES]
    got_a, exp_a = np.array(got), np.array(expected)
    if np.allclose(got_a, exp_a, rtol=1e-6, atol=1e-9):
        return f"your BLEU matches the reference on {len(BLEU_CASES)} caption pairs"
    if np.allclose(got_a, 100 * exp_a, rtol=1e-6, atol=1e-7):
        fail("your scores are 100 times the expected ones: return BLEU between 0 and 1 "
             "(sacrebleu reports it in percent)")
    mistakes = {
        "Clip the counts: an n-gram of the hypothesis is credited at most as often as it occurs "
        "in the reference (Papineni et al.'s 'the the the ...' example).": dict(clip=False),
        "The brevity penalty exp(1 - r / c) for a hypothesis shorter than the reference is "
        "missing.": dict(brevity=False),
        "The brevity penalty is min(1, exp(1 - r / c)): it only ever lowers the score, for a "
        "hypothesis shorter than the reference; a longer one gets no bonus.": dict(brevity="always"),
        "BLEU cannot exceed 1, and yours does: the penalty is exp(1 - r / c), with r the "
        "reference's length and c the hypothesis's; exp(1 - c / r) has them swapped and raises "
        "the score of a short hypothesis instead of lowering it.": dict(brevity="inverted"),
        "Combine the four precisions with a geometric mean, exp(mean of log p_n), not an "
        "arithmetic mean.": dict(geometric=False),
        "Use n-grams up to n = 4 (you seem to stop at bigrams).": dict(max_n=2),
        "Use n-grams up to n = 4 (you seem to stop at trigrams).": dict(max_n=3),
    }
    for message, kw in mistakes.items():
        if np.allclose(got_a, [_bleu(h, r, **kw) for h, r in BLEU_CASES], rtol=1e-6, atol=1e-9):
            fail(message)
    above = [k for k, g in enumerate(got) if g > 1 + 1e-9]
    if above:
        h, r = BLEU_CASES[above[0]]
        fail(f"for hypothesis {h!r} and reference {r!r} you returned {got[above[0]]:.4g}, but "
             "BLEU cannot exceed 1: every precision p_n is at most 1 and the brevity penalty "
             "min(1, exp(1 - r / c)) too (r the reference's length, c the hypothesis's)")
    zero = [k for k, e in enumerate(expected) if e == 0 and got[k] != 0]
    if zero:
        h, r = BLEU_CASES[zero[0]]
        fail(f"for hypothesis {h!r} and reference {r!r} some precision p_n is 0, so BLEU is 0 "
             f"(no smoothing), but you returned {got[zero[0]]:.3g}. Do not replace log 0 by "
             "the log of a small number: return 0 as soon as a p_n is 0.")
    k = int(np.argmax(np.abs(got_a - exp_a)))
    h, r = BLEU_CASES[k]
    fail(f"for hypothesis {h!r} and reference {r!r} expected BLEU {exp_a[k]:.4f}, got "
         f"{got_a[k]:.4f}")


def _caption(objects, *, order="colour", reverse=False, tie="horizontal", colour_first=False,
             article=True, anchor="next", flip=None):
    """The reference caption with switches for the usual mistakes: ``anchor`` "first" relates
    the first shape (not the current one) to the next, "previous" relates the current shape
    to the one named before it; ``flip`` "horizontal" or "vertical" swaps left / right or
    above / below."""
    from ..chapters.ch11 import COLOURS

    colours = list(COLOURS)
    objs = sorted(objects, key=lambda o: colours.index(o["colour"]))
    if order == "reading":
        objs = sorted(objects, key=lambda o: (o["row"], o["col"]))
    words = []
    for k, o in enumerate(objs):
        sized = [o["colour"], o["size"]] if colour_first else [o["size"], o["colour"]]
        words += (["a"] if article else []) + sized + [o["shape"]]
        if k + 1 < len(objs):
            other = {"next": objs[k + 1], "first": objs[k + 1], "previous": objs[k - 1]}[anchor]
            this = objs[0] if anchor == "first" else o
            a, b = (other, this) if reverse else (this, other)
            dr, dc = a["row"] - b["row"], a["col"] - b["col"]
            horizontal = abs(dc) >= abs(dr) if tie == "horizontal" else abs(dc) > abs(dr)
            if horizontal:
                words += ["left", "of"] if (dc < 0) != (flip == "horizontal") else ["right", "of"]
            else:
                words += ["above"] if (dr < 0) != (flip == "vertical") else ["below"]
    return " ".join(words)


def _scenes():
    from ..chapters.ch11 import shapes

    data = shapes(60, "train", seed=111)
    return [o for o in data.objects if len(o) > 1][:30] + [o for o in data.objects if len(o) == 1][:3]


@check("11.2", expects="caption(objects) taking a list of shape dicts (colour, shape, size, row, "
       "col, ...) and returning the caption as one string of words separated by spaces",
       accepts=("text",))
def caption(student_fn):
    """Exercise 11.2: ``caption(objects)`` writes the one right caption of a scene."""
    import copy

    scenes = _scenes()
    got = []
    for objs in scenes:
        given = copy.deepcopy(objs)
        answer = call(student_fn, given)
        if given != objs:
            fail("caption changed the list of objects it was given (sorted it in place?); "
                 "sort a copy, e.g. sorted(objects, key=...)")
        if not isinstance(answer, str):
            reject(f"caption returned {describe(answer)}")
        got.append(" ".join(answer.split()))
    expected = [_caption(o) for o in scenes]
    if got == expected:
        return f"your captions match the reference on {len(scenes)} scenes"
    mistakes = {
        "The shapes must be named in colour order (red, green, blue, yellow), not in reading "
        "order.": dict(order="reading"),
        "The relation is reversed: the caption says where the shape just named lies relative "
        "to the next one ('a red circle left of a blue square': the red circle is on the "
        "left).": dict(reverse=True),
        "A diagonal (as many rows as columns apart) counts as horizontal: use >= when "
        "comparing the column offset with the row offset.": dict(tie="vertical"),
        "The colour comes before the size: expected \"a SIZE COLOUR SHAPE\", e.g. 'a small "
        "red circle'; yours reads 'a red small circle'.": dict(colour_first=True),
        "The article is missing: expected every shape as \"a SIZE COLOUR SHAPE\", e.g. 'a "
        "small red circle'; yours reads 'small red circle'.": dict(article=False),
        "The article is missing and the colour comes before the size: expected \"a SIZE "
        "COLOUR SHAPE\", e.g. 'a small red circle'.": dict(article=False, colour_first=True),
        "The relations after the second shape are relative to the first shape's position: "
        "expected where the shape just named lies relative to the next one; yours says where "
        "the first shape lies.": dict(anchor="first"),
        "The relations compare each shape with the one named before it (objs[k - 1]): "
        "expected where the shape just named lies relative to the next one, objs[k + 1].":
            dict(anchor="previous"),
        "Left and right are swapped: expected 'left of' when the shape just named has the "
        "smaller column (dc < 0); above and below are right.": dict(flip="horizontal"),
        "Above and below are swapped: expected 'above' when the shape just named has the "
        "smaller row (row 0 is the top; dr < 0); left and right are right.": dict(flip="vertical"),
    }
    for message, kw in mistakes.items():
        if got == [_caption(o, **kw) for o in scenes]:
            fail(message)
    k = next(i for i, (g, e) in enumerate(zip(got, expected)) if g != e)
    fail(f"for the scene {[{key: o[key] for key in ('colour', 'shape', 'size', 'row', 'col')} for o in scenes[k]]} "
         f"expected {expected[k]!r}, got {got[k]!r}")
