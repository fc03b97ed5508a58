"""Train chapter 11's attention captioners and print their scores (and save their weights).

    python scripts/train_ch11_attention.py                      # both variants, seed 0
    python scripts/train_ch11_attention.py --variant split --seed 1 --save split1.pt

Chapter 11 describes two captioners that read the CNN's 2 x 2 map through attention: the plain
encoder (``attention``) and the one with separate shape and colour slots (``split``). Their
decoder runs step by step, and ``ch11.ATTENTION_UPDATES`` = 1200 updates of each take longer than
the chapter's 90-second budget on 2 CPU cores, so the notebook trains them only at SCALE >= 2.
This script is the same recipe outside the notebook: ``ch11.train_captioner("attention", ...)``
on the chapter's training set (16000 images, seed 0) with the chapter's defaults (Adam at 0.01,
then 0.001 for the last quarter, batch 64, clipping at 1), scored with greedy captions on the
chapter's test and held-out splits, plus ``ch11.attention_on_shapes`` (how often the attention
looks at a shape's own cell to name it). ``--save`` writes the float32 state dict. On a busy
2-core machine with one thread a run takes many minutes; on a GPU well under one.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import os
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

import torch  # noqa: E402

from rnncourse.chapters import ch11  # noqa: E402


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--variant", choices=("attention", "split", "both"), default="both")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--updates", type=int, default=ch11.ATTENTION_UPDATES)
    p.add_argument("--save", help="write the state dict here (with --variant both: PREFIX_<variant>.pt)")
    p.add_argument("--json", help="append the scores to this JSON-lines file")
    args = p.parse_args(argv)
    torch.set_num_threads(1)
    train = ch11.shapes(16000, "train", seed=0)
    test, held = ch11.shapes(1000, "test", seed=0), ch11.shapes(1000, "held_out", seed=0)
    for variant in (("attention", "split") if args.variant == "both" else (args.variant,)):
        t0 = time.perf_counter()
        model, seconds, _ = ch11.train_captioner("attention", train, updates=args.updates,
                                                 seed=args.seed, split=variant == "split")
        row = dict(variant=variant, seed=args.seed, updates=args.updates, seconds=seconds)
        for split, data in (("test", test), ("held", held)):
            s = ch11.caption_scores(ch11.generate(model, data.images), data.captions)
            row.update({f"{split}_{k}": v for k, v in s.items()})
            row[f"{split}_attention_on_shapes"] = ch11.attention_on_shapes(model, data)
        print(json.dumps(row), flush=True)
        if args.json:
            with open(args.json, "a") as f:
                f.write(json.dumps(row) + "\n")
        if args.save:
            path = args.save if args.variant != "both" else f"{args.save}_{variant}.pt"
            buf = io.BytesIO()
            torch.save({k: v.float().cpu() for k, v in model.state_dict().items()}, buf)
            with open(path, "wb") as f:
                f.write(buf.getvalue())
            print(f"wrote {path}: {len(buf.getvalue())} bytes, SHA-256 "
                  f"{hashlib.sha256(buf.getvalue()).hexdigest()} ({time.perf_counter() - t0:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
