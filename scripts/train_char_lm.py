"""Train a larger character-level LSTM on chapter 9's split and save it small, with its SHA-256.

    python scripts/train_char_lm.py --hidden 512 --layers 1 --updates 20000 --out lstm512.pt
    python scripts/train_char_lm.py --hidden 64 --updates 20 --out /tmp/tiny.pt     # a smoke run

The model is ``ch09.CharLM`` (embedding 32, ``--layers`` LSTM layers of ``--hidden`` units) and
the recipe is the book's (``ch09.train``: Adam, cosine decay to a tenth, clipping at 1, stateful
truncated BPTT over ``--streams`` streams in chunks of ``--chunk``). Every ``--curve-every``
updates it prints the loss on the first 32,768 validation characters and the training time, so
a short run measures the loss bought per minute before a long one is started. At the end it
prints the validation loss on the whole validation text, saves the weights in float16 (half
the bytes; the loss is re-measured after the rounding) with the configuration, and prints the
file's SHA-256, which ``ch09.load_checkpoint(path, sha256)`` checks on every load.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)                        # rnncourse from this checkout

import torch  # noqa: E402

from rnncourse import data, metrics, train as rc_train  # noqa: E402
from rnncourse.chapters import ch09  # noqa: E402


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
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
    torch.manual_seed(args.seed)
    config = dict(vocab_size=len(corpus.vocab), embed_size=args.embed,
                  hidden_sizes=[args.hidden] * args.layers, kind="lstm")
    model = ch09.CharLM(**config).to(args.device)
    start = time.perf_counter()

    history = ch09.train(model, corpus, updates=args.updates, n_streams=args.streams,
                         chunk_length=args.chunk, lr=args.lr, seed=args.seed, device=args.device,
                         curve_every=min(args.curve_every, args.updates))
    for u, loss in history.curve:
        print(f"update {u:6d}: loss on 32,768 validation characters {loss:.4f}")
    wall = time.perf_counter() - start
    val = history.val_loss[-1]
    print(f"{history.updates} updates in {history.seconds / 60:.1f} min of training "
          f"({wall / 60:.1f} min in all) on {torch.get_num_threads()} thread(s), {args.device}; "
          f"validation loss {val:.4f} nats/char")
    model.half().float()                          # what the float16 file will hold
    vx, vy = data.streams(corpus.val_ids, 16)
    rounded = rc_train.evaluate(model, (vx, vy), metrics.sequence_cross_entropy, chunk_length=512)
    state = {k: v.detach().cpu().half() for k, v in model.state_dict().items()}
    torch.save({"config": config, "state_dict": state, "val_loss": rounded,
                "command": " ".join(sys.argv)}, args.out)
    blob = open(args.out, "rb").read()
    print(f"validation loss after rounding to float16: {rounded:.4f}; wrote {args.out}, "
          f"{len(blob) / 1e6:.2f} MB, SHA-256 {hashlib.sha256(blob).hexdigest()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
