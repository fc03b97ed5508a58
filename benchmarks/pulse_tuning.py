"""Choose chapter 7's pulse-converter learning rates on the validation set, the same small grid
for every model compared, and report the test errors of the chosen recipes.

    python benchmarks/pulse_tuning.py                 # the grid, then the chosen recipes' table
    python benchmarks/pulse_tuning.py --epochs 60     # the same at twice the book's budget

Every model gets the same tuning effort: :data:`rnncourse.pulse.RECIPE` (Adam on mini-batches
of 25, one-cycle schedule, no clipping, an LSTM's forget-gate bias started at 1) with its peak
learning rate taken from ``GRID``, seeds 0-2 trained side by side. The learning rate with the
lowest mean *validation* error (``rc.data.pulses`` seed 2) is chosen; the test set (seed 1) is
looked at only for the chosen one, in the last table. The output of a run is recorded in
``benchmarks/results/pulse_tuning.txt`` and copied into :data:`rnncourse.pulse.TUNED_LR`.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import numpy as np  # noqa: E402
import torch  # noqa: E402

import rnncourse as rc  # noqa: E402

GRID = (0.01, 0.02, 0.04, 0.08)    # peak learning rates tried for every model (step 1; the
                                   # results file records step 2, --grid 0.16 0.32 ...)
MODELS = {                          # label -> (kind, hidden sizes, inverse)
    "GRU 5 then 3": ("gru", (5, 3), False),
    "LSTM 5 then 3": ("lstm", (5, 3), False),
    "LSTM 25 (inverse)": ("lstm", (25,), True),
    "GRU 29 (inverse)": ("gru", (29,), True),
}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--epochs", type=int, default=rc.pulse.RECIPE["epochs"])
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    ap.add_argument("--only", nargs="*", help="model labels to run (default: all)")
    ap.add_argument("--grid", type=float, nargs="+", default=list(GRID),
                    help=f"peak learning rates (default {GRID}); runs of parts of the grid "
                    "can be run in parallel and their lines put together")
    args = ap.parse_args(argv)
    torch.set_num_threads(1)
    chosen = {}
    print(f"grid of peak learning rates {tuple(args.grid)}; {args.epochs} epochs; seeds {args.seeds}; "
          "validation = rc.data.pulses seed 2")
    for label, (kind, hidden, inverse) in MODELS.items():
        if args.only and label not in args.only:
            continue
        runs = {}
        for lr in args.grid:
            kw = dict(rc.pulse.RECIPE, epochs=args.epochs, lr=lr)
            if kind == "lstm":
                kw["forget_bias"] = 1.0
            tick = time.perf_counter()
            r = rc.pulse.run(kind, list(hidden), inverse=inverse, seeds=tuple(args.seeds), **kw)
            runs[lr] = r
            print(f"{label:18s} lr {lr:<5g} validation {r.val_mean:.4f} ± "
                  f"{np.std(r.val_errors, ddof=1):.4f} ({time.perf_counter() - tick:.0f} s)",
                  flush=True)
        best = min(runs, key=lambda lr: runs[lr].val_mean)
        chosen[label] = (best, runs[best])
    print("\nChosen on validation; test errors of the chosen recipes only:")
    print(rc.tables.results_table(
        {label: {"weights": str(r.params), "chosen lr": f"{lr:g}",
                 "validation": np.array(r.val_errors), "test": np.array(r.errors),
                 "lecture": (f"{r.lecture[1]:.2f}" if r.lecture else None)}
         for label, (lr, r) in chosen.items()},
        note=f"Pulse converter, rc.pulse.RECIPE with {args.epochs} epochs, seeds {args.seeds}."))


if __name__ == "__main__":
    main()
