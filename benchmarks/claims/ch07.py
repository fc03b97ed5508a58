"""Chapter 7's headline results (GRU), re-run with rc.pulse and the chapter's recipe.

Each seed is trained alone (the book trains its three seeds side by side, on one shared
mini-batch order drawn with seed 0, so a book seed's number here can differ slightly from the
chapter's table)."""

from __future__ import annotations

import rnncourse as rc

from . import claim, scaled

BUDGET = "rc.pulse.RECIPE: 30 epochs (600 updates) with the learning rate chosen on validation"


def _n_train(budget: float) -> int:
    """Below the book's budget (the smoke test's tiny one) the training set shrinks too."""
    return 500 if budget >= 1 else max(25, scaled(500, budget))


def _error(kind, hidden, seed, budget, inverse=False):
    kw = rc.pulse.recipe(kind, hidden, inverse)
    kw["epochs"] = scaled(kw["epochs"], budget)
    return rc.pulse.run(kind, hidden, seeds=(seed,), inverse=inverse, n_val=0,
                        n_train=_n_train(budget), **kw).errors[0]


@claim(chapter=7, sentence="GRU 5 then 3 and LSTM 5 then 3, each with its validation-chosen "
       "learning rate (0.32 for both), end far below the lecture's 0.03 and 0.04 (under 0.015), "
       "the LSTM lower on the mean", book_seeds=(0, 1, 2), budget=BUDGET,
       holds=lambda v: v["lstm 5-3"].mean() < v["gru 5-3"].mean() < 0.015)
def lstm_below_gru_5_3(seed: int, budget: float) -> dict[str, float]:
    return {"gru 5-3": _error("gru", [5, 3], seed, budget),
            "lstm 5-3": _error("lstm", [5, 3], seed, budget)}


@claim(chapter=7, sentence="on the time-reversed inverse problem the parameter-matched GRU 29 "
       "(2727 weights) and LSTM 25 (2726) reach errors near the lecture's 0.07 (below 0.1), their "
       "means within 0.005 of each other (which one is lower depends on the budget)",
       book_seeds=(0, 1, 2), budget=BUDGET,
       holds=lambda v: max(v["gru 29"].mean(), v["lstm 25"].mean()) < 0.1
       and abs(v["gru 29"].mean() - v["lstm 25"].mean()) < 0.005)
def matched_pair_inverse(seed: int, budget: float) -> dict[str, float]:
    return {"gru 29": _error("gru", [29], seed, budget, inverse=True),
            "lstm 25": _error("lstm", [25], seed, budget, inverse=True)}


@claim(chapter=7, sentence="without the time reversal a causal LSTM 25 stays near an error of 1 "
       "on the inverse problem, also when trained with the reversed problem's recipe",
       book_seeds=(0, 1, 2), budget=BUDGET, holds=lambda v: v["unreversed"].min() > 0.9)
def unreversed_inverse(seed: int, budget: float) -> dict[str, float]:
    import torch

    x_train, y_train = rc.data.pulses(_n_train(budget), seed=0)
    x_test, y_test = rc.data.pulses(500, seed=1)
    kw = rc.pulse.recipe("lstm", [25], inverse=True)
    rc.set_seed(seed)
    model = rc.models.SequenceRegressor("lstm", 1, [25], 1, fast=True)
    rc.layers.set_forget_bias(model.rnn, kw["forget_bias"])
    rc.train.fit(model, (y_train, x_train), epochs=scaled(kw["epochs"], budget), lr=kw["lr"],
                 batch_size=kw["batch_size"], lr_schedule=kw["lr_schedule"],
                 clip_norm=kw["clip_norm"], seed=seed, progress=False)   # triangles in, squares out
    model.eval()
    with torch.no_grad():
        pred = model(y_test)
    return {"unreversed": rc.metrics.normalised_error(x_test, pred)}
