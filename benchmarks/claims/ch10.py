"""Chapter 10's headline results (sequence to sequence), re-run by the claims runner."""

from __future__ import annotations

from functools import lru_cache

import torch

from . import claim, scaled


@lru_cache(maxsize=1)
def _data():
    """The chapter's data: training, test and extrapolation sets, exactly as the notebook builds them."""
    from rnncourse.chapters import ch10_dates as dates

    train = dates.encode_pairs(dates.date_pairs(6400, seed=0, split="train", filler=(0, 6)))
    test = dates.encode_pairs(dates.date_pairs(1000, seed=1, split="test", filler=(0, 6)))
    longest = int(dates.input_lengths(train[0]).max())
    long_pairs = [p for p in dates.date_pairs(1200, seed=2, split="test", filler=(16, 30))
                  if len(p[0]) > longest][:600]
    return train, test, dates.encode_pairs(long_pairs)


def _updates(n: int, budget: float) -> int:
    """``n`` updates times ``budget``, in whole epochs of 100 updates (6400 pairs / 64)."""
    return 100 * scaled(n // 100, budget)


def _exact(model, data) -> float:
    from rnncourse.chapters import ch10

    return ch10.scores(ch10.translate(model, data[0]), data[1])["exact"]


@claim(chapter=10, book_seeds=(0, 1, 2), budget="800 updates (twice the comparison's 400)",
       sentence="trained twice as long (800 updates), the fixed-context model learns the dates "
                "of the training lengths in every seed (test exact match above 0.9) and loses a "
                "clear part of it on the longer inputs of the extrapolation set in every seed "
                "(more than 3 points; trained longer still, the gap narrows but stays); the book "
                "loads these models (ch10.load_fixed) and asserts more than 8 points at its seeds",
       holds=lambda v: v["test"].min() > 0.9 and (v["test"] - v["extrapolation"]).min() > 0.03)
def fixed_context_longer(seed: int, budget: float) -> dict[str, float]:
    from rnncourse.chapters import ch10

    torch.set_num_threads(1)
    train, test, long = _data()
    model, _ = ch10.train("fixed", train, seed=seed, updates=_updates(800, budget),
                          batch_size=64, lr=3e-3)
    return {"test": _exact(model, test), "extrapolation": _exact(model, long)}


@claim(chapter=10, book_seeds=(0, 1, 2), budget="400 updates each",
       sentence="with the same 400 updates, attention gets at least 99% of the held-out dates "
                "exactly right in every seed, more than the fixed-context model on average; at "
                "400 updates the fixed-context model gets a minority right (the book asserts it at "
                "its seeds), but that part depends on the budget: at 800 updates it reaches about "
                "95-97% and the gap narrows (the prose says so), so only the order is checked here",
       holds=lambda v: v["attention"].min() >= 0.99 and v["attention"].mean() > v["fixed"].mean())
def attention_vs_fixed(seed: int, budget: float) -> dict[str, float]:
    from rnncourse.chapters import ch10

    torch.set_num_threads(1)
    train, test, _ = _data()
    out = {}
    for kind in ("attention", "fixed"):
        model, _ = ch10.train(kind, train, seed=seed, updates=_updates(400, budget),
                              batch_size=64, lr=3e-3)
        out[kind] = _exact(model, test)
    return out


@claim(chapter=10, book_seeds=(0, 1, 2), budget="400 updates",
       sentence="errors cluster in the fixed-context model's generated outputs: a character after "
                "an earlier error in the same output is wrong more often than one after a correct "
                "prefix, in every seed by more than 1.1 times (the book asserts more than 1.25 "
                "times on the mean over its seeds)",
       holds=lambda v: (v["after error"] > 1.1 * v["after clean"]).all())
def exposure_bias(seed: int, budget: float) -> dict[str, float]:
    from rnncourse.chapters import ch10

    torch.set_num_threads(1)
    train, test, _ = _data()
    model, _ = ch10.train("fixed", train, seed=seed, updates=_updates(400, budget),
                          batch_size=64, lr=3e-3)
    after_error, after_clean = ch10.error_after_error(ch10.translate(model, test[0]), test[1])
    return {"after error": after_error, "after clean": after_clean}
