"""Train chapter 9's character-level LSTM longer (or a larger one) and save it small, with its SHA-256.

    python scripts/train_char_lm.py --book-scale 4 --out rnncourse/data/ch09_lstm_4x.pt   # the shipped file
    python scripts/train_char_lm.py --hidden 512 --layers 3 --updates 20000 --out lstm3x512.pt
    python scripts/train_char_lm.py --hidden 64 --updates 20 --out /tmp/tiny.pt     # a smoke run

``--book-scale S`` trains the chapter's own model and recipe (``ch09.RECIPE``: embedding 32, one
LSTM layer of 256 units, 8 streams in chunks of 64 characters, Adam at 0.008 with a cosine decay
to a tenth, clipping at 1) for ``S`` times its 3600 updates, seeded with ``--seed``, exactly as
``ch09.train_book_model(corpus, seed=SEED, scale=S)`` does: the same model the notebook trains at
``SCALE = S``. Without it the model is ``ch09.CharLM`` (embedding ``--embed``, ``--layers`` LSTM
layers of ``--hidden`` units) trained by ``ch09.train`` with ``--updates``, ``--streams``,
``--chunk`` and ``--lr`` (the issue's larger model, three layers of 512, wants a GPU:
``--device cuda``).

Every ``--curve-every`` updates it prints, as it goes, the loss on the first 32,768 validation
characters and the training time so far. At the end it measures the validation loss on the
whole validation text, rounds the weights to float16 (the saved file; the loss is measured again
after the rounding, and that is the model that ships), and writes ``{"config", "state_dict",
"info"}`` with ``torch.save``: ``info`` holds the recipe, seed and updates, the training seconds,
the curve (updates, loss, seconds), both validation losses, the machine, the torch version, the
date and this command. It prints the file's size and SHA-256; a file shipped in
``rnncourse/data`` goes into ``rnncourse.data.SHA256`` and ``rnncourse/data/SOURCES.md``
(``ch09.load_longer`` reads it), any other file is read by ``ch09.load_checkpoint(path, sha256)``.
"""

from __future__ import annotations

import argparse
import datetime
import hashlib
import io
import os
import platform
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)                        # rnncourse from this checkout

import torch  # noqa: E402

from rnncourse import data, metrics, train as rc_train  # noqa: E402
from rnncourse.chapters import ch09  # noqa: E402


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    return (f"{cpu}, {os.cpu_count()} logical CPUs, {torch.get_num_threads()} torch thread(s), "
            f"{platform.system()} {platform.release()}, Python {platform.python_version()}")


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--book-scale", type=float, default=None,
                   help="train ch09.RECIPE for this many times its updates (ignores the model "
                        "and recipe options below)")
    p.add_argument("--hidden", type=int, default=512)
    p.add_argument("--layers", type=int, default=1)
    p.add_argument("--embed", type=int, default=32)
    p.add_argument("--updates", type=int, default=20_000)
    p.add_argument("--streams", type=int, default=16)
    p.add_argument("--chunk", type=int, default=64)
    p.add_argument("--lr", type=float, default=4e-3)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--curve-every", type=int, default=500)
    p.add_argument("--device", default="cpu")
    p.add_argument("--out", required=True, help="where to write the checkpoint (.pt)")
    args = p.parse_args(argv)
    torch.set_num_threads(args.threads)
    corpus = ch09.load_corpus()

    def show(u, loss, seconds):
        print(f"update {u:6d}: loss on 32,768 validation characters {loss:.4f} "
              f"({seconds / 60:.1f} min since the start)", flush=True)

    start = time.perf_counter()
    if args.book_scale is not None:
        recipe = dict(ch09.RECIPE)
        updates = max(1, int(round(recipe["updates"] * args.book_scale)))
        curve_every = min(args.curve_every, updates)
        model, history = ch09.train_book_model(corpus, seed=args.seed, scale=args.book_scale,
                                               device=args.device, curve_every=curve_every,
                                               on_curve=show)
        config = dict(vocab_size=len(corpus.vocab), embed_size=recipe["embed_size"],
                      hidden_sizes=recipe["hidden_sizes"], kind=recipe["kind"])
        recipe = {**recipe, "updates": updates, "scale": args.book_scale}
    else:
        torch.manual_seed(args.seed)
        config = dict(vocab_size=len(corpus.vocab), embed_size=args.embed,
                      hidden_sizes=[args.hidden] * args.layers, kind="lstm")
        recipe = dict(updates=args.updates, n_streams=args.streams, chunk_length=args.chunk,
                      lr=args.lr)
        model = ch09.CharLM(**config).to(args.device)
        history = ch09.train(model, corpus, updates=args.updates, n_streams=args.streams,
                             chunk_length=args.chunk, lr=args.lr, seed=args.seed,
                             device=args.device, curve_every=min(args.curve_every, args.updates),
                             on_curve=show)
    wall = time.perf_counter() - start
    val = history.val_loss[-1]
    print(f"{history.updates} updates in {history.seconds / 60:.1f} min of training "
          f"({wall / 60:.1f} min in all) on {torch.get_num_threads()} thread(s), {args.device}; "
          f"validation loss {val:.4f} nats/char", flush=True)
    model = model.cpu().half().float()            # what the float16 file will hold
    vx, vy = data.streams(corpus.val_ids, 16)
    rounded = rc_train.evaluate(model, (vx, vy), metrics.sequence_cross_entropy, chunk_length=512)
    state = {k: v.detach().cpu().half() for k, v in model.state_dict().items()}
    info = dict(recipe=recipe, seed=args.seed, updates=history.updates,
                seconds=float(history.seconds), wall_seconds=float(wall),
                curve=[(int(u), float(v)) for u, v in history.curve],
                val_loss_float32=float(val), val_loss=float(rounded), machine=machine(),
                torch=str(torch.__version__), device=str(args.device),
                date=datetime.date.today().isoformat(),
                command="python scripts/train_char_lm.py " + " ".join(sys.argv[1:] if argv is None
                                                                      else argv))
    buf = io.BytesIO()
    torch.save({"config": config, "state_dict": state, "info": info}, buf)
    blob = buf.getvalue()
    with open(args.out, "wb") as f:
        f.write(blob)
    print(f"validation loss after rounding to float16: {rounded:.4f}; wrote {args.out}, "
          f"{len(blob):,} bytes, SHA-256 {hashlib.sha256(blob).hexdigest()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
