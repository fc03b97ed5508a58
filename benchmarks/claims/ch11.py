"""Chapter 11's headline results (captioning), re-run by the claims runner."""

from __future__ import annotations

from functools import lru_cache

import torch

from . import claim, scaled

# each injection variant's learning rate, chosen on a validation split by
# scripts/tune_ch11_injection.py (the chapter's COMPARE_LR)
LR = {"init": 0.003, "step": 0.01}


@lru_cache(maxsize=1)
def _data():
    from rnncourse.chapters import ch11

    return (ch11.shapes(16000, "train", seed=0), ch11.shapes(1000, "test", seed=0),
            ch11.shapes(1000, "held_out", seed=0))


def _scores(model, data):
    from rnncourse.chapters import ch11

    return ch11.caption_scores(ch11.generate(model, data.images), data.captions)


@claim(chapter=11, book_seeds=(0, 1, 2), budget="400 updates per run",
       sentence="at the same budget, each at its validation-chosen learning rate, the captioner "
                "that reads the image at every step is ahead of the one that gets it as its "
                "initial state, on exact match and on colours",
       holds=lambda v: (v["step_exact"].mean() > v["init_exact"].mean()
                        and v["step_colour"].mean() > v["init_colour"].mean()))
def init_vs_step(seed: int, budget: float) -> dict[str, float]:
    from rnncourse.chapters import ch11

    torch.set_num_threads(1)
    train, test, _ = _data()
    out = {}
    for inject in ("init", "step"):
        model, _, _ = ch11.train_captioner(inject, train, updates=scaled(400, budget), seed=seed,
                                           lr=LR[inject])
        s = _scores(model, test)
        out[f"{inject}_exact"], out[f"{inject}_colour"] = s["exact"], s["colour"]
    return out


@claim(chapter=11, book_seeds=(0,), budget="1200 updates (ch11.ATTENTION_UPDATES)",
       sentence="attention alone captions new images near perfectly and still fails the held-out "
                "combinations; separate slots lift held-out exact match above zero, not to one half",
       holds=lambda v: (v["attention_test"].min() > 0.98 and v["attention_held"].mean() < 0.05
                        and v["slots_held"].mean() > v["attention_held"].mean() + 0.1
                        and v["slots_held"].mean() < 0.5))
def attention_and_slots(seed: int, budget: float) -> dict[str, float]:
    from rnncourse.chapters import ch11

    torch.set_num_threads(1)
    train, test, held = _data()
    out = {}
    for name, split in (("attention", False), ("slots", True)):
        model, _, _ = ch11.train_captioner("attention", train, seed=seed, split=split,
                                           updates=scaled(ch11.ATTENTION_UPDATES, budget))
        out[f"{name}_test"] = _scores(model, test)["exact"]
        out[f"{name}_held"] = _scores(model, held)["exact"]
    return out
