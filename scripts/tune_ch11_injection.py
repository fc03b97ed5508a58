"""Choose each injection variant's learning rate of chapter 11 on a validation split.

    python scripts/tune_ch11_injection.py                 # init and step, lr 0.001 0.003 0.01 0.03
    python scripts/tune_ch11_injection.py --inject init --lr 0.003 --seeds 0 1

Chapter 11 compares a captioner that gets the image as its initial state (``init``) with one
that reads it at every step (``step``) at ``COMPARE_UPDATES = 400`` updates. A fair comparison
gives each the learning rate that suits it, chosen on data that is not the test set: this
script trains each variant at each learning rate and scores greedy captions of a validation
split, 1000 images drawn like the test split from another seed (``shapes(1000, "test",
seed=1)``). It prints one JSON line per run (exact match and the loss); the chapter uses, for
each variant, the learning rate with the best validation exact match.
"""

from __future__ import annotations

import argparse
import json
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

import torch  # noqa: E402

from rnncourse.chapters import ch11  # noqa: E402


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--inject", nargs="+", default=["init", "step"])
    p.add_argument("--lr", type=float, nargs="+", default=[0.001, 0.003, 0.01, 0.03])
    p.add_argument("--seeds", type=int, nargs="+", default=[0])
    p.add_argument("--updates", type=int, default=400)
    args = p.parse_args(argv)
    torch.set_num_threads(1)
    train = ch11.shapes(16000, "train", seed=0)
    valid = ch11.shapes(1000, "test", seed=1)
    for inject in args.inject:
        for lr in args.lr:
            for seed in args.seeds:
                model, seconds, losses = ch11.train_captioner(inject, train, updates=args.updates,
                                                              seed=seed, lr=lr)
                s = ch11.caption_scores(ch11.generate(model, valid.images), valid.captions)
                print(json.dumps(dict(inject=inject, lr=lr, seed=seed, updates=args.updates,
                                      loss=losses[-1], valid_exact=s["exact"],
                                      valid_bleu=s["bleu"], seconds=seconds)), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
