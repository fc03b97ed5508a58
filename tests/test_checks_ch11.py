"""The chapter 11 checks pass on the solutions and fail helpfully on the stubs and typical mistakes."""

import math
from collections import Counter

import pytest
import sacrebleu

from rnncourse.chapters import ch11 as chapter
from rnncourse.checks import ch11


# ---- exercise 11.1: sentence BLEU by hand -------------------------------------------------

def make_bleu(clip=True, brevity=True, geometric=True, max_n=4, percent=False, eps=None):
    """A student's sentence_bleu, right by default, with one of the typical mistakes on request."""

    def sentence_bleu(hypothesis, reference):
        h, r = hypothesis.split(), reference.split()
        ps = []
        for n in range(1, max_n + 1):
            hc = Counter(tuple(h[i:i + n]) for i in range(len(h) - n + 1))
            rc_ = Counter(tuple(r[i:i + n]) for i in range(len(r) - n + 1))
            m = sum(min(c, rc_[g]) if clip else (c if g in rc_ else 0) for g, c in hc.items())
            ps.append(m / max(1, sum(hc.values())))
        if geometric and eps is not None:          # log(max(p, eps)) instead of returning 0
            s = math.exp(sum(math.log(max(p, eps)) for p in ps) / max_n)
        elif geometric:
            s = 0.0 if min(ps) == 0 else math.exp(sum(map(math.log, ps)) / max_n)
        else:
            s = sum(ps) / max_n
        if brevity == "inverted":                  # r and c swapped: exp(1 - c / r)
            s *= math.exp(1 - len(h) / len(r)) if len(h) < len(r) else 1.0
        elif brevity == "always" or (brevity and len(h) < len(r)):   # "always": no min(1, .)
            s *= math.exp(1 - len(r) / len(h))
        return 100 * s if percent else s

    return sentence_bleu


def bleu_ok(hypothesis, reference):
    return make_bleu()(hypothesis, reference)


def test_reference_bleu_agrees_with_sacrebleu():
    for h, r in ch11.BLEU_CASES:
        ours = ch11._bleu(h, r)
        theirs = sacrebleu.sentence_bleu(h, [r], smooth_method="none").score / 100
        assert ours == pytest.approx(theirs, abs=1e-9), (h, r)


def test_papineni_worked_example():
    # Papineni et al. (2002): "the the the the the the the" against "the cat is on the mat"
    # has modified unigram precision 2/7
    assert ch11._bleu("the the the the the the the", "the cat is on the mat", max_n=1) == \
        pytest.approx(2 / 7)
    assert ch11._bleu("the the the the the the the", "the cat is on the mat", max_n=1,
                      clip=False) == pytest.approx(1.0)


def test_bleu_passes_on_the_solution():
    result = ch11.sentence_bleu(bleu_ok)
    assert result, str(result)


def test_bleu_stub_reports_not_implemented():
    def stub(hypothesis, reference):
        raise NotImplementedError()

    result = ch11.sentence_bleu(stub)
    assert not result and "not implemented yet" in str(result)


@pytest.mark.parametrize("mistake, words", [
    (dict(clip=False), "Clip the counts"),
    (dict(brevity=False), "brevity penalty"),
    (dict(geometric=False), "geometric mean"),
    (dict(max_n=2), "bigrams"),
    (dict(percent=True), "100 times"),
    (dict(brevity="always"), "min(1, exp(1 - r / c))"),
    (dict(brevity="inverted"), "BLEU cannot exceed 1"),
    (dict(eps=1e-12), "some precision p_n is 0"),
    (dict(eps=1e-9), "some precision p_n is 0"),
])
def test_bleu_names_the_mistake(mistake, words):
    result = ch11.sentence_bleu(make_bleu(**mistake))
    assert not result
    assert words in str(result), str(result)


# ---- exercise 11.2: the caption of a scene ------------------------------------------------

def make_caption(**mistake):
    def caption(objects):
        return ch11._caption(objects, **mistake)
    return caption


def caption_ok(objects):
    return chapter.describe(objects)


def test_caption_passes_on_the_solution():
    assert ch11.caption(caption_ok)
    assert ch11.caption(make_caption())


def test_caption_stub_reports_not_implemented():
    def stub(objects):
        raise NotImplementedError()

    result = ch11.caption(stub)
    assert not result and "not implemented yet" in str(result)


@pytest.mark.parametrize("mistake, words", [
    (dict(order="reading"), "colour order"),
    (dict(reverse=True), "relation is reversed"),
    (dict(tie="vertical"), "diagonal"),
])
def test_caption_names_the_mistake(mistake, words):
    result = ch11.caption(make_caption(**mistake))
    assert not result
    assert words in str(result), str(result)


def _caption_slip(slip):
    """The exercise's solution with one slip, written as a student would."""

    def caption(objects):
        order = ["red", "green", "blue", "yellow"]
        objs = sorted(objects, key=lambda o: order.index(o["colour"]))
        words = []
        for k, o in enumerate(objs):
            if slip == "colour first":
                words += ["a", o["colour"], o["size"], o["shape"]]
            elif slip == "no article":
                words += [o["size"], o["colour"], o["shape"]]
            else:
                words += ["a", o["size"], o["colour"], o["shape"]]
            if k + 1 < len(objs):
                this, nxt = o, objs[k + 1]
                if slip == "first":
                    this = objs[0]
                elif slip == "previous":
                    nxt = objs[k - 1]
                dr, dc = this["row"] - nxt["row"], this["col"] - nxt["col"]
                if abs(dc) >= abs(dr):
                    left = dc > 0 if slip == "left-right" else dc < 0
                    words += ["left", "of"] if left else ["right", "of"]
                else:
                    above = dr > 0 if slip == "above-below" else dr < 0
                    words.append("above" if above else "below")
        return " ".join(words)

    return caption


def test_caption_slip_helper_is_right_without_a_slip():
    assert ch11.caption(_caption_slip(None))


@pytest.mark.parametrize("slip, words", [
    ("colour first", "colour comes before the size"),
    ("no article", "article is missing"),
    ("first", "relative to the first shape's position"),
    ("previous", "the one named before it"),
    ("left-right", "Left and right are swapped"),
    ("above-below", "Above and below are swapped"),
])
def test_caption_names_more_slips(slip, words):
    result = ch11.caption(_caption_slip(slip))
    assert not result and words in str(result), str(result)


def test_caption_refuses_sorting_in_place():
    def in_place(objects):
        objects.sort(key=lambda o: list(chapter.COLOURS).index(o["colour"]))
        return chapter.describe(objects)

    result = ch11.caption(in_place)
    assert not result and "in place" in str(result)


def test_caption_other_wrong_answer_says_expected():
    result = ch11.caption(lambda objects: "a small red circle")
    assert not result and "expected" in str(result)


# the reference answers, by check, that tests/test_checks_garbage.py spoils and replaces
SOLUTIONS = {"sentence_bleu": (bleu_ok,), "caption": (caption_ok,)}


def test_bleu_above_one_is_named():
    def doubled(h, r):
        return 2 * bleu_ok(h, r) if h == r else bleu_ok(h, r)
    result = ch11.sentence_bleu(doubled)
    assert not result and "BLEU cannot exceed 1" in str(result), str(result)
