"""Train chapter 11's shipped captioners, score them and save their weights (float16).

    python scripts/train_ch11_attention.py                      # both attention variants, seed 0
    python scripts/train_ch11_attention.py --variant split --seed 1 --lr 0.01 \
        --save rnncourse/data/ch11_split_seed1.pt
    python scripts/train_ch11_attention.py --variant step --seed 0 --lr 0.01 \
        --save rnncourse/data/ch11_step_seed0.pt                # the main captioner

Chapter 11 describes two captioners that read the CNN's 2 x 2 map through attention: the plain
encoder (``attention``) and the one with separate shape and colour slots (``split``). Their
decoder runs step by step, and ``ch11.ATTENTION_UPDATES`` = 1200 updates of each take longer than
the chapter's 90-second budget on 2 CPU cores, so at SCALE = 1 the notebook loads the weights
this script wrote (``ch11.load_captioner``, shipped in ``rnncourse/data``, see its SOURCES.md)
and trains them itself only at SCALE >= 2. The same holds for the chapter's main captioner
(``step``: the image as an input at every step, seed 0, ``ch11.STEP_UPDATES`` = 2400 updates
at ``ch11.STEP_LR`` = 0.01): its training alone takes about half the chapter's budget.

This script is the chapter's recipe outside the notebook: ``ch11.train_captioner(inject, ...)``
(``"step"`` for ``--variant step``, else ``"attention"``) on the chapter's training set (16000
images, seed 0) with the chapter's schedule (Adam at ``--lr``, then a tenth of it for the last
quarter, batch 64, clipping at 1). ``--updates`` defaults to the chapter's budget of the variant
(``ch11.STEP_UPDATES`` or ``ch11.ATTENTION_UPDATES``). For the attention variants the learning
rate is chosen on a *validation* split, 1000 images drawn like the test split from another seed
(``shapes(1000, "test", seed=1)``), never on the test set: run seed 0 of each variant at
0.001, 0.003, 0.01 and 0.03 and keep the rate with the best ``valid_exact`` (greedy exact
match), a tie (within 0.002) going to the lower ``valid_loss`` (teacher-forced cross-entropy);
``ch11.ATTENTION_LR`` holds the choice. The main captioner uses the chapter's rate, 0.01
(``ch11.STEP_LR``, the rate the notebook always trained it with).

The weights are rounded to float16 (the saved file) *before* scoring, so the printed scores are
those of the model that ships: greedy captions on the chapter's test and held-out splits
(``caption_scores``) and, for the attention variants, ``ch11.attention_on_shapes`` (how often the
attention looks at a shape's own cell to name it); ``test_exact_float32`` and
``held_exact_float32`` are the exact matches before rounding.
``--save`` writes ``{"config", "recipe", "state_dict"}`` (``torch.save``, float16 tensors) and
prints its size and SHA-256. The main captioner's recipe also holds the training's ``losses``
(the mean training loss of each stage, as ``train_captioner`` returns them; the notebook prints
them and ``seconds`` for the model it loads), ``cpu_seconds`` (the processor time of the
training, which a busy machine stretches less than the wall time ``seconds``), the ``machine``
and the float16 model's greedy ``test_exact`` and ``held_exact`` (the tests check that the
shipped file reproduces them). One thread, as the chapter: about a minute per run on a quiet CPU.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import os
import platform
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

import torch  # noqa: E402

from rnncourse.chapters import ch11  # noqa: E402


def machine() -> str:
    """The processor and system that trained a model, in a few words."""
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    return f"{cpu}, {platform.system()}, one thread"


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--variant", choices=("attention", "split", "both", "step"), default="both",
                   help="both: attention and split; step: the main captioner")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--lr", type=float, default=0.01, help="the first stage's Adam learning rate")
    p.add_argument("--updates", type=int, default=None,
                   help=f"default: {ch11.STEP_UPDATES} for step, {ch11.ATTENTION_UPDATES} else")
    p.add_argument("--save", help="write the weights here (with --variant both: PREFIX_<variant>.pt)")
    p.add_argument("--json", help="append the scores to this JSON-lines file")
    args = p.parse_args(argv)
    torch.set_num_threads(1)
    train = ch11.shapes(16000, "train", seed=0)
    valid = ch11.shapes(1000, "test", seed=1)               # for choosing the learning rate
    test, held = ch11.shapes(1000, "test", seed=0), ch11.shapes(1000, "held_out", seed=0)
    for variant in (("attention", "split") if args.variant == "both" else (args.variant,)):
        t0 = time.perf_counter()
        inject = "step" if variant == "step" else "attention"
        updates = args.updates or (ch11.STEP_UPDATES if inject == "step" else ch11.ATTENTION_UPDATES)
        cpu0 = time.process_time()
        model, seconds, losses = ch11.train_captioner(inject, train, updates=updates,
                                                      seed=args.seed, lr=args.lr,
                                                      split=variant == "split")
        cpu_seconds = time.process_time() - cpu0     # one thread: its time on the processor
        row = dict(variant=variant, seed=args.seed, lr=args.lr, updates=updates,
                   seconds=round(seconds, 1), cpu_seconds=round(cpu_seconds, 1),
                   loss=losses[-1], losses=losses)
        for split, data in (("test", test), ("held", held)):       # before rounding
            s = ch11.caption_scores(ch11.generate(model, data.images), data.captions)
            row[f"{split}_exact_float32"] = s["exact"]
        half = {k: v.detach().cpu().half() for k, v in model.state_dict().items()}
        model.load_state_dict({k: v.float() for k, v in half.items()})   # what ships
        model.eval()
        with torch.no_grad():
            row["valid_loss"] = model(valid.images, valid.tokens)[1].item()
        for split, data in (("valid", valid), ("test", test), ("held", held)):
            s = ch11.caption_scores(ch11.generate(model, data.images), data.captions)
            row.update({f"{split}_{k}": v for k, v in s.items()})
            if split != "valid" and inject == "attention":
                row[f"{split}_attention_on_shapes"] = ch11.attention_on_shapes(model, data)
        print(json.dumps(row), flush=True)
        if args.json:
            with open(args.json, "a") as f:
                f.write(json.dumps(row) + "\n")
        if args.save:
            path = args.save if args.variant != "both" else f"{args.save}_{variant}.pt"
            recipe = dict(updates=updates, lr=args.lr, seed=args.seed, batch_size=64,
                          train='shapes(16000, "train", seed=0)', seconds=row["seconds"],
                          torch=str(torch.__version__))
            if inject == "step":       # what the notebook prints for the model it loads
                recipe.update(losses=[float(x) for x in losses], machine=machine(),
                              cpu_seconds=row["cpu_seconds"],
                              test_exact=row["test_exact"], held_exact=row["held_exact"])
            buf = io.BytesIO()
            torch.save({"config": dict(inject=inject, split=variant == "split"),
                        "recipe": recipe, "state_dict": half}, buf)
            with open(path, "wb") as f:
                f.write(buf.getvalue())
            print(f"wrote {path}: {len(buf.getvalue())} bytes, SHA-256 "
                  f"{hashlib.sha256(buf.getvalue()).hexdigest()} ({time.perf_counter() - t0:.0f} s)",
                  flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
