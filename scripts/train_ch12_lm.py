"""Train chapter 12's minGRU and LSTM language models, score them and save their weights (float16).

    python scripts/train_ch12_lm.py --seed 0 --lr-mingru 0.008 --lr-lstm 0.008 \
        --save-dir rnncourse/data          # one seed: both models, two files
    python scripts/train_ch12_lm.py --seed 0 --lr-mingru LR --lr-lstm LR --save-dir /tmp/grid_LR

Chapter 12 compares a minGRU language model (``ch12.MinGRULM``: two residual minGRU blocks,
width ``ch12.LM_MINGRU_HIDDEN``) with an LSTM one (``ch09.CharLM``, ``ch12.LM_LSTM_HIDDEN``
units) of the same number of weights (within 5 %) on chapter 9's corpus (``ch09.load_corpus()``:
tiny Shakespeare, its 76-character vocabulary, the first 90 % for training, the rest for
validation). Both are trained by ``ch12.train_lm``, which is chapter 9's ``ch09.train`` with
``ch12.LM_RECIPE``: 16 streams walked in chunks of 64 characters with the state carried, Adam
with a cosine decay to a tenth over 400 updates, gradient norm clipped at 1, one CPU thread.
Three seeds of each take longer than the chapter's 90-second budget, so at SCALE = 1 the
notebook loads the files this script writes (``ch12.load_lm(kind, seed)``, shipped in
``rnncourse/data``, see its SOURCES.md) and trains them itself only at SCALE >= 2.

The learning rate of each kind is chosen on the *validation* text (the whole of it, as
``ch09.train`` measures it) at seed 0 among ``ch12.LM_LR_GRID`` (0.004, 0.008, 0.016, and
0.032, added because the LSTM's best of the first three was the largest): run ``--seed 0
--lr-mingru LR --lr-lstm LR`` for each LR and keep each kind's best ``val_loss``;
``ch12.LM_LR`` holds the choice (minGRU 0.008, LSTM 0.032, again the largest: see SOURCES.md).
Then ``--seed S --lr-mingru 0.008 --lr-lstm 0.032 --save-dir rnncourse/data`` for S = 0, 1, 2. The test of the comparison is then seeds 0, 1 and 2 at those
rates.

After training, the two models of the run take turns making training updates on the same chunks
(``ch12.interleaved_update_seconds``, 30 rounds, the order alternating) so that the ratio of their
times per update is measured under the same load; the machine this was run on was shared, so the
ratio, not the seconds, is what to read. The weights are rounded to float16 (the saved file)
after training: ``val_loss`` (``ch09.train``'s, on the whole validation text) is that of the
float32 model, ``slice_loss`` (on the chapter's fixed slice, ``ch12.lm_validation``, the first
32768 validation characters) that of the float16 model that ships, which the chapter evaluates.
Each file is ``torch.save`` of ``{"config", "state_dict", "info"}``: the float16 weights, and
the training record (the training loss and the wall-clock seconds of every update, the recipe,
the times per update measured interleaved and their ratio, the machine, torch and this command).
It prints each file's size and SHA-256: put them in ``rnncourse.data.SHA256`` and SOURCES.md.
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
sys.path.insert(0, ROOT)                        # rnncourse from this checkout

import torch  # noqa: E402

import rnncourse as rc  # noqa: E402
from rnncourse.chapters import ch09, ch12  # noqa: E402


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    load = ""
    if hasattr(os, "getloadavg"):
        load = f", load average {os.getloadavg()[0]:.1f} at the end"
    return (f"{cpu}, {os.cpu_count()} logical CPUs, {torch.get_num_threads()} torch thread(s), "
            f"{platform.system()} {platform.release()}, Python {platform.python_version()}{load}")


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--lr-mingru", type=float, default=ch12.LM_LR["mingru"])
    p.add_argument("--lr-lstm", type=float, default=ch12.LM_LR["lstm"])
    p.add_argument("--updates", type=int, default=ch12.LM_RECIPE["updates"])
    p.add_argument("--rounds", type=int, default=30, help="rounds of the interleaved timing")
    p.add_argument("--save-dir", help="write ch12_lm_<kind>_seed<seed>.pt here")
    p.add_argument("--json", help="append the scores to this JSON-lines file")
    args = p.parse_args(argv)
    torch.set_num_threads(1)
    corpus = ch09.load_corpus()
    val_slice = ch12.lm_validation(corpus)
    lrs = {"mingru": args.lr_mingru, "lstm": args.lr_lstm}
    models, records = {}, {}
    for kind in ch12.LM_KINDS:
        model, record = ch12.train_lm(kind, corpus, seed=args.seed, lr=lrs[kind],
                                      updates=args.updates)
        half = {k: v.detach().cpu().half() for k, v in model.state_dict().items()}
        model.load_state_dict({k: v.float() for k, v in half.items()})      # what ships
        record["slice_loss"] = ch12.lm_loss(model, val_slice)
        record["parameters"] = rc.count_params(model)
        models[kind], records[kind] = (model, half), record
        print(json.dumps({k: v for k, v in record.items()
                          if k not in ("train_loss", "update_seconds")}), flush=True)
    timing = ch12.interleaved_update_seconds({k: m for k, (m, _) in models.items()}, corpus,
                                             rounds=args.rounds)
    ratio = timing["mingru"] / timing["lstm"]
    print(f"interleaved seconds per update: {timing} (minGRU / LSTM = {ratio:.2f})", flush=True)
    if args.json:
        with open(args.json, "a") as f:
            for kind in ch12.LM_KINDS:
                r = {k: v for k, v in records[kind].items() if k not in ("train_loss", "update_seconds")}
                f.write(json.dumps(dict(r, interleaved=timing, ratio=ratio)) + "\n")
    if args.save_dir:
        os.makedirs(args.save_dir, exist_ok=True)
        for kind in ch12.LM_KINDS:
            model, half = models[kind]
            hidden = ch12.LM_MINGRU_HIDDEN if kind == "mingru" else ch12.LM_LSTM_HIDDEN
            info = dict(records[kind], recipe=dict(ch12.LM_RECIPE, updates=args.updates,
                                                   embed=ch12.LM_EMBED, lr=lrs[kind]),
                        interleaved_update_seconds=timing, update_ratio=ratio,
                        interleaved_rounds=args.rounds, machine=machine(),
                        torch=str(torch.__version__), date=time.strftime("%Y-%m-%d"),
                        command="python scripts/train_ch12_lm.py " + " ".join(
                            sys.argv[1:] if argv is None else argv))
            for key in ("train_loss", "update_seconds"):    # float32 tensors: small files
                info[key] = torch.tensor(info[key], dtype=torch.float32)
            buf = io.BytesIO()
            torch.save({"config": dict(vocab_size=len(corpus.vocab), hidden_size=hidden),
                        "state_dict": half, "info": info}, buf)
            blob = buf.getvalue()
            path = os.path.join(args.save_dir, ch12.lm_file(kind, args.seed))
            with open(path, "wb") as f:
                f.write(blob)
            print(f"wrote {path}: {len(blob):,} bytes, SHA-256 {hashlib.sha256(blob).hexdigest()}",
                  flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
