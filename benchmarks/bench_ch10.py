"""Chapter 10's two design choices, measured: bucketing by length, and the attention decoder's start.

    PYTHONPATH=. python benchmarks/bench_ch10.py [--seeds 0 1 2] [--updates 400] [--part speed|start|both]

``speed``: milliseconds per training update of both models, with the mini-batches drawn at random
(padded to the longest input of the training set) and bucketed by length (``rc.train.fit``'s
``lengths``), on the machine it runs on. Prints figures only; times vary from run to run.

``start``: the attention model trained as in the chapter, its decoder started from zero (the
chapter's choice) or from the encoder's last states (``start_state="context"``), and its exact
match on a *validation* extrapolation set: 600 inputs longer than the longest training input, with
16 to 30 filler words, drawn with seed 3 from the training split's calendar dates, so that neither
the test set (seed 1) nor the extrapolation set (seed 2) the chapter reports takes part in the
choice; mean and sample standard deviation over the seeds. ``--report`` also prints both starts
on the chapter's reported test and extrapolation sets (for information, after the choice).
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import torch

import rnncourse as rc
from rnncourse.chapters import ch10
from rnncourse.chapters import ch10_dates as dates


def data():
    train = dates.encode_pairs(dates.date_pairs(6400, seed=0, split="train", filler=(0, 6)))
    test = dates.encode_pairs(dates.date_pairs(1000, seed=1, split="test", filler=(0, 6)))
    longest = int(dates.input_lengths(train[0]).max())
    long = dates.encode_pairs([p for p in dates.date_pairs(1200, seed=2, split="test", filler=(16, 30))
                               if len(p[0]) > longest][:600])
    return train, test, long


def validation_long(train):
    """The set the start is chosen on: like the extrapolation set, but seed 3 and training dates."""
    longest = int(dates.input_lengths(train[0]).max())
    pairs = [p for p in dates.date_pairs(1200, seed=3, split="train", filler=(16, 30))
             if len(p[0]) > longest][:600]
    assert len(pairs) == 600, len(pairs)
    return dates.encode_pairs(pairs)


def speed(train, steps: int = 40) -> None:
    x, y = train
    print(f"ms per update, batches of 64 (mean of {steps} updates after 5 warm-up ones)")
    for kind in ("fixed", "attention"):
        row = []
        for bucket in (False, True):
            model = ch10.make_model(kind, 0)
            opt = torch.optim.Adam(model.parameters(), lr=3e-3)
            lengths = dates.input_lengths(x) if bucket else None
            gen = torch.Generator().manual_seed(0)
            batches = list(rc.train._batches(x, y, 64, gen, lengths))[:steps + 5]
            for i, (xb, yb) in enumerate(batches):
                if i == 5:
                    tick = time.perf_counter()
                opt.zero_grad()
                model(xb, yb)[1].backward()
                opt.step()
            row.append(1e3 * (time.perf_counter() - tick) / steps)
        print(f"  {kind:9s}: random batches {row[0]:6.1f}, bucketed {row[1]:6.1f} "
              f"({row[1] / row[0]:.2f} of the time)")


def start(train, sets, seeds, updates: int) -> None:
    """``sets``: name -> (x, y); the first is the one the choice is made on."""
    res = {}
    for start_state in ("zero", "context"):
        rows = []
        for seed in seeds:
            model, _ = ch10.train("attention", train, seed=seed, updates=updates,
                                  start_state=start_state)
            rows.append([ch10.scores(ch10.translate(model, d[0]), d[1])["exact"]
                         for d in sets.values()])
            print(f"  start {start_state:7s} seed {seed}: "
                  + ", ".join(f"{k} {v:.3f}" for k, v in zip(sets, rows[-1])), flush=True)
        res[start_state] = np.array(rows)
    sd = (lambda a: a.std(ddof=1)) if len(seeds) > 1 else (lambda a: float("nan"))
    print(f"attention model, {updates} updates, exact match (mean ± sample std over {len(seeds)} seeds)")
    for k, r in res.items():
        print(f"  decoder started from {k:7s}: " + ", ".join(
            f"{name} {r[:, i].mean():.3f} ± {sd(r[:, i]):.3f} (lowest {r[:, i].min():.3f})"
            for i, name in enumerate(sets)))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    ap.add_argument("--updates", type=int, default=400)
    ap.add_argument("--part", choices=("speed", "start", "both"), default="both")
    ap.add_argument("--report", action="store_true",
                    help="start: also score on the chapter's reported test and extrapolation sets")
    args = ap.parse_args()
    torch.set_num_threads(1)          # as in the chapter
    train, test, long = data()
    if args.part in ("speed", "both"):
        speed(train)
    if args.part in ("start", "both"):
        sets = {"validation extrapolation": validation_long(train)}
        if args.report:
            sets.update({"test": test, "extrapolation": long})
        start(train, sets, args.seeds, args.updates)


if __name__ == "__main__":
    main()
