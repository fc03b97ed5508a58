"""Recompute the lecture tables with the chapters' own recipes and print them beside the
published figures.

    python benchmarks/lecture_tables.py                 # the pulse-converter table (ch 6, 7)
    python benchmarks/lecture_tables.py --csv           # table,model,weights,mean,std,n,published
    python benchmarks/lecture_tables.py --recipe onecycle   # chapter 7's recipe for every model
    python benchmarks/lecture_tables.py --only "LSTM 5 then 3"

Recipes ("chapters", the default): chapter 6 trains the simple RNNs and LSTMs with Adam at
0.01 on mini-batches of 50, 50 epochs, gradient norm clipped at 1; chapter 7 trains the GRU
5 then 3 and the LSTM 25 on the inverse problem with :func:`rnncourse.pulse.recipe`
(:data:`rnncourse.pulse.RECIPE` with the peak learning rate chosen on the validation set by
``benchmarks/pulse_tuning.py``, an LSTM's forget-gate bias started at 1), and so the GRU 29 on
the inverse problem, which chapter 7 quotes but does not train (an extra row). "onecycle"
trains every model with that recipe (models that were not tuned get RECIPE's learning rate).
Means and sample standard deviations (ddof = 1) are over the seeds (default 0, 1, 2).

The sunspot table (chapters 2-3, test 1921-1955) comes from ``rc.timeseries.sunspot_rows()``,
chapter 2's recipe; ``--no-sunspots`` skips it.
"""

from __future__ import annotations

import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import torch  # noqa: E402

import rnncourse as rc  # noqa: E402

CHAPTER6 = dict(epochs=50, lr=1e-2, batch_size=50, clip_norm=1.0)
CHAPTER_RECIPES = {  # (kind, hidden sizes, inverse) -> the recipe its chapter uses
    ("rnn", (5,), False): CHAPTER6,
    ("lstm", (5,), False): CHAPTER6,
    ("rnn", (10,), False): CHAPTER6,
    ("lstm", (5, 3), False): CHAPTER6,
    ("gru", (5, 3), False): None,        # None: rc.pulse.recipe (chapter 7)
    ("lstm", (25,), True): None,
    ("gru", (29,), True): None,          # quoted by chapter 7, not trained there
}


def pulse_rows(recipe: str, seeds, only=None):
    """One row per model of the lecture's pulse table: (model, weights, errors, published)."""
    rows = []
    models = dict(rc.pulse.LECTURE)
    models[("gru", (29,), True)] = (2727, None)
    for (kind, hidden, inverse), (weights, published) in models.items():
        if recipe == "onecycle" or CHAPTER_RECIPES[(kind, hidden, inverse)] is None:
            kw = rc.pulse.recipe(kind, hidden, inverse)
        else:
            kw = CHAPTER_RECIPES[(kind, hidden, inverse)]
        label = rc.pulse.PulseResult(kind, list(hidden), inverse, weights).label
        if only and label not in only:
            continue
        r = rc.pulse.run(kind, list(hidden), inverse=inverse, seeds=seeds, **kw)
        rows.append((r.label, r.params, r.errors, published))
    return rows


def sunspot_rows(seeds):
    """Chapter 2's sunspot table (test 1921-1955) with the chapter's recipe:
    ``(model, weights, mean, std, n, published)`` per row (``rc.timeseries.sunspot_rows``)."""
    return [(r["model"], r["weights"], r["mean"], r["std"], r["n"], r["published"])
            for r in rc.timeseries.sunspot_rows(seeds=seeds)]


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--csv", action="store_true", help="one CSV row per model")
    ap.add_argument("--recipe", choices=("chapters", "onecycle"), default="chapters")
    ap.add_argument("--seeds", type=int, default=3, help="seeds 0 .. n-1 (at least 3 for a spread)")
    ap.add_argument("--only", action="append", help="model label(s) to run, e.g. 'LSTM 5 then 3'")
    ap.add_argument("--no-sunspots", action="store_true")
    args = ap.parse_args(argv)
    torch.set_num_threads(1)
    seeds = tuple(range(args.seeds))
    pulse = pulse_rows(args.recipe, seeds, args.only)
    spots = [] if args.no_sunspots else sunspot_rows(seeds)
    fmt = lambda v: "" if v is None else f"{v:.4f}"  # noqa: E731
    if args.csv:
        import csv

        out = csv.writer(sys.stdout, lineterminator="\n")
        out.writerow(["table", "model", "weights", "mean", "std", "n", "published"])
        for model, weights, errors, published in pulse:
            mean, std = rc.tables.mean_std(errors)
            out.writerow(["pulse", model, weights, f"{mean:.4f}", f"{std:.4f}", len(errors), fmt(published)])
        for model, weights, mean, std, n, published in spots:
            out.writerow(["sunspots", model, "" if weights is None else weights, fmt(mean), fmt(std),
                          "" if mean is None else n, fmt(published)])
        return
    print(rc.tables.results_table(
        {model: {"weights": str(weights), "ours": errors if len(errors) > 1 else errors[0],
                 "published": None if published is None else f"{published:.3f}"}
         for model, weights, errors, published in pulse},
        note=f"pulse table (test error), recipe: {args.recipe}."))
    if spots:
        print()
        print(rc.tables.results_table(
            {model: {"weights": "-" if weights is None else str(weights),
                     "ours": None if mean is None else (f"{mean:.3f} ± {std:.3f} (n={n})" if n > 1 else f"{mean:.3f}"),
                     "published": None if published is None else f"{published:.3f}"}
             for model, weights, mean, std, n, published in spots},
            note="sunspot table: NMSE on 1921-1955, divided by the variance of 1700-1979; "
                 "mean ± sample standard deviation over seeds."))

if __name__ == "__main__":
    main()
