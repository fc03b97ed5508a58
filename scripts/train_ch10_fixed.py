"""Train chapter 10's fixed-context models that the package ships, and check them.

    python scripts/train_ch10_fixed.py                     # train seeds 0, 1, 2; write the files
    python scripts/train_ch10_fixed.py --verify 0 400      # retrain one model, compare with the file

Chapter 10 compares the fixed-context encoder-decoder (``ch10.Seq2Seq``) with attention. Its
three fixed-context runs of 400 updates, and the 800-update runs that ask whether the model
only needed more training, take longer than the chapter's time budget, so at ``SCALE = 1`` the
notebook loads them (``ch10.load_fixed(seed, updates)``) instead of training them. This script
makes those files exactly as the notebook would train the models: the chapter's 6400 training
pairs (``dates.date_pairs(6400, seed=0, split="train", filler=(0, 6))``), ``ch10.train("fixed",
..., batch_size=64, lr=3e-3)`` on one CPU thread, seeds 0, 1 and 2 for 800 updates with copies
kept after 200 and 400 (``keep``: a kept copy is exactly the model of a shorter run, the same
batches in the same order). Per seed it writes ``rnncourse/data/ch10_fixed_seed<seed>.pt``
(``--out-dir`` to write elsewhere): the three float32 state dicts, the loss and seconds of every
epoch, the machine, the torch version and this command. It prints each file's size and
SHA-256; put those in ``rnncourse.data.SHA256`` and ``rnncourse/data/SOURCES.md``, which the
loader checks on every load.

``--verify SEED UPDATES`` trains that one model afresh (a run of exactly UPDATES updates, no
copies kept) and compares it with the shipped one, parameter by parameter: it exits 1 if any
differs by more than 1e-6. On the CPU with one thread training is deterministic, so the
difference is 0 when the torch version and the machine's kind match the file's.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import os
import platform
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)                        # rnncourse from this checkout

import torch  # noqa: E402

import rnncourse as rc  # noqa: E402
from rnncourse.chapters import ch10  # noqa: E402
from rnncourse.chapters import ch10_dates as dates  # noqa: E402

RECIPE = dict(batch_size=64, lr=3e-3)           # the notebook's `recipe`
UPDATES = max(ch10.FIXED_UPDATES)
KEEP = tuple(u for u in ch10.FIXED_UPDATES if u != UPDATES)


def training_data():
    """The notebook's training set: ``train`` of its first data cell."""
    return dates.encode_pairs(dates.date_pairs(6400, seed=0, split="train", filler=(0, 6)))


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    return (f"{cpu}, {os.cpu_count()} logical CPUs, {torch.get_num_threads()} torch thread(s), "
            f"{platform.system()} {platform.release()}, Python {platform.python_version()}")


def data_sha256(data) -> str:
    h = hashlib.sha256()
    for t in data:
        h.update(t.numpy().tobytes())
    return h.hexdigest()


def train_seed(seed: int, data, out_dir: str) -> None:
    model, info = ch10.train("fixed", data, seed=seed, updates=UPDATES, keep=KEEP, **RECIPE)
    models = {**info["kept"], UPDATES: model}
    per_epoch = -(-data[0].shape[0] // RECIPE["batch_size"])
    saved = {
        "config": {},                           # ch10.Seq2Seq's defaults: embedding 16, hidden 32
        "state_dicts": {u: {k: v.detach().cpu().float().clone() for k, v in m.state_dict().items()}
                        for u, m in sorted(models.items())},
        "info": dict(seed=seed, updates=info["updates"], updates_per_epoch=per_epoch,
                     loss=[float(v) for v in info["loss"]],
                     epoch_seconds=[float(v) for v in info["epoch_seconds"]],
                     recipe=dict(RECIPE), data_sha256=data_sha256(data), machine=machine(),
                     torch=str(torch.__version__),
                     command="python scripts/train_ch10_fixed.py " + " ".join(sys.argv[1:])),
    }
    buf = io.BytesIO()
    torch.save(saved, buf)
    blob = buf.getvalue()
    path = os.path.join(out_dir, ch10.fixed_file(seed))
    with open(path, "wb") as f:
        f.write(blob)
    loss = ", ".join(f"{v:.3f}" for v in info["loss"])
    print(f"seed {seed}: {info['updates']} updates in {info['seconds']:.1f} s, loss per epoch {loss}")
    print(f"  wrote {path}: {len(blob):,} bytes, SHA-256 {hashlib.sha256(blob).hexdigest()}")


def verify(seed: int, updates: int, data) -> int:
    shipped, run = ch10.load_fixed(seed, updates)
    fresh, info = ch10.train("fixed", data, seed=seed, updates=updates, **RECIPE)
    diff = max(float((a - b).abs().max()) for a, b in zip(fresh.state_dict().values(),
                                                        shipped.state_dict().values()))
    ok = diff <= 1e-6 and fresh.state_dict().keys() == shipped.state_dict().keys()
    print(f"seed {seed}, {updates} updates, trained afresh in {info['seconds']:.1f} s on "
          f"{machine()}, torch {torch.__version__}")
    print(f"  the shipped file was made on {run['machine']}, torch {run['torch']}")
    print(f"  largest difference from the shipped model's parameters: {diff:.3g} "
          f"({'equal to 1e-6' if ok else 'DIFFERENT'})")
    return 0 if ok else 1


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--seeds", type=int, nargs="+", default=list(ch10.FIXED_SEEDS))
    p.add_argument("--out-dir", default=os.path.join(ROOT, "rnncourse", "data"))
    p.add_argument("--threads", type=int, default=1, help="torch threads (the notebook uses 1)")
    p.add_argument("--verify", type=int, nargs=2, metavar=("SEED", "UPDATES"))
    args = p.parse_args(argv)
    torch.set_num_threads(args.threads)
    data = training_data()
    if args.verify:
        return verify(*args.verify, data)
    os.makedirs(args.out_dir, exist_ok=True)
    for seed in args.seeds:
        train_seed(seed, data, args.out_dir)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
