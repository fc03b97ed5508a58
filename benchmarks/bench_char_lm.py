"""Chapter 9's performance figures: the character LSTM against a small transformer, same budget.

Prints (never asserts):

1. threads: updates of the chapter's LSTM in a fixed time with 1 and with 2 torch threads;
2. the chapter's model (embedding 32, LSTM 256, readout; ``ch09.train``'s recipe) and a
   small causal transformer of similar parameter count (:class:`TinyTransformer` below: 3 layers,
   width 96, 4 heads, context 64), trained on the same split, the same streams and chunks
   (32 streams, 64 characters), with the same optimiser recipe (Adam, gradient norm clipped
   at 1, the rate decayed along a cosine over the elapsed fraction of the budget), each for the
   same wall time (60 s and 120 s by default); the updates each got, and the validation loss
   of each in nats and bits per character;
3. optionally (``--gru``) the same model with a GRU.

The targets of the issue are measured on an idle two-core CPU: validation loss <= 1.60 nats
after <= 60 s of training (stretch 1.55). On a shared machine the figures are lower; say
what the load was (``uptime``) when you quote them.

    PYTHONPATH=. python benchmarks/bench_char_lm.py [--threads 2] [--budgets 60 120] [--gru]
"""

from __future__ import annotations

import argparse
import math
import os
import time

import torch
from torch import nn

import rnncourse as rc
from rnncourse.chapters import ch09


class TinyTransformer(nn.Module):
    """A small decoder-only transformer (GPT-style, pre-norm, learned positions), for comparison.

    ``forward(x, state=None)`` returns ``(logits, None)``: it ignores and returns no state, so
    ``rc.train.fit`` trains it on the same chunks as the recurrent model; each chunk is its
    whole context (``block`` characters at most).
    """

    def __init__(self, vocab_size: int, d_model: int = 96, n_layers: int = 3, n_heads: int = 4,
                 block: int = 64):
        super().__init__()
        if d_model % n_heads:
            raise ValueError(f"d_model ({d_model}) must be a multiple of n_heads ({n_heads})")
        self.block = block
        self.embed = nn.Embedding(vocab_size, d_model)
        self.pos = nn.Parameter(torch.zeros(block, d_model))
        nn.init.normal_(self.pos, std=0.02)
        layer = nn.TransformerEncoderLayer(d_model, n_heads, 4 * d_model, dropout=0.0,
                                           activation="gelu", batch_first=True, norm_first=True)
        self.blocks = nn.TransformerEncoder(layer, n_layers, enable_nested_tensor=False)
        self.norm = nn.LayerNorm(d_model)
        self.readout = nn.Linear(d_model, vocab_size)

    def forward(self, x: torch.Tensor, state=None):
        T = x.shape[1]
        if T > self.block:
            raise ValueError(f"TinyTransformer reads at most block = {self.block} characters, got {T}")
        h = self.embed(x) + self.pos[:T]                                   # (batch, time, d)
        mask = nn.Transformer.generate_square_subsequent_mask(T, device=x.device)
        h = self.blocks(h, mask=mask, is_causal=True)                      # (batch, time, d)
        return self.readout(self.norm(h)), None                           # (batch, time, vocab)


def steps_in(seconds: float, threads: int, corpus) -> int:
    torch.set_num_threads(threads)
    rc.set_seed(0)
    model = ch09.CharLM(len(corpus.vocab))
    h = ch09.train(model, corpus, updates=10**6, max_seconds=seconds, val_streams=16)
    return h.updates


def run(name: str, model, corpus, seconds: float, lr: float) -> dict:
    """Train for ``seconds`` of wall time, the learning rate decaying along a cosine over the
    elapsed fraction of that time (so both models get the whole budget and a full decay, however
    fast each update is), then measure the validation loss."""
    start = time.perf_counter()

    def by_time(update: int) -> float:
        fraction = min(1.0, (time.perf_counter() - start) / seconds)
        return 0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * fraction))

    h = ch09.train(model, corpus, updates=10**7, max_seconds=seconds, lr=lr, lr_schedule=by_time)
    return dict(name=name, params=rc.count_params(model), updates=h.updates, seconds=h.seconds,
                val=h.val_loss[-1], stopped=h.stopped or "updates")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--threads", type=int, default=None,
                        help="torch threads for the comparison (default: the faster of 1 and 2)")
    parser.add_argument("--budgets", type=float, nargs="+", default=[60.0, 120.0])
    parser.add_argument("--thread-probe", type=float, default=15.0,
                        help="seconds of training per thread count in the threads timing")
    parser.add_argument("--gru", action="store_true", help="also train the GRU variant")
    args = parser.parse_args()
    corpus = ch09.load_corpus()
    V = len(corpus.vocab)
    print(f"load average: {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs; torch {torch.__version__}")

    counts = {}
    for threads in (1, 2):
        counts[threads] = steps_in(args.thread_probe, threads, corpus)
        print(f"threads {threads}: {counts[threads]} updates of the LSTM 256 in {args.thread_probe:.0f} s "
              f"({60 * counts[threads] / args.thread_probe:.0f} per minute)")
    threads = args.threads or max(counts, key=counts.get)
    torch.set_num_threads(threads)
    print(f"comparison on {threads} thread(s)\n")

    print(f"{'model':28s} {'params':>8s} {'budget':>7s} {'updates':>8s} {'seconds':>8s} "
          f"{'val nats':>9s} {'val bits':>9s}")
    for budget in args.budgets:
        makers = [("LSTM 256 (the chapter's)", lambda: ch09.CharLM(V), 8e-3),
                  ("transformer 3 x 96, ctx 64", lambda: TinyTransformer(V), 2e-3)]
        if args.gru:
            makers.append(("GRU 256", lambda: ch09.CharLM(V, kind="gru"), 8e-3))
        for name, make, lr in makers:
            rc.set_seed(0)
            r = run(name, make(), corpus, budget, lr)
            print(f"{r['name']:28s} {r['params']:8,d} {budget:6.0f}s {r['updates']:8d} "
                  f"{r['seconds']:8.1f} {r['val']:9.3f} {r['val'] / math.log(2):9.3f}", flush=True)


if __name__ == "__main__":
    main()
