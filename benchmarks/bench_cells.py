"""Training throughput of the from-scratch cells against the fused torch layers (chapters 6, 7).

Prints, for each kind (rnn, lstm, gru) and hidden size, how many sequences per second one
training step (forward, backward, Adam step) processes with

- ``SequenceRegressor``: the cells of ``rnncourse.cells`` unrolled by a Python loop, and
- ``SequenceRegressor(..., fast=True)``: ``torch.nn.RNN`` / ``LSTM`` / ``GRU`` (cuDNN on a GPU).

On a CPU, PyTorch runs ``nn.LSTM`` through oneDNN's fused LSTM kernel (forward *and*
backward), while ``nn.RNN`` and ``nn.GRU`` are unrolled step by step from ordinary ops inside
ATen, each step recorded by autograd. ``--no-mkldnn`` switches oneDNN off to show that this is
where the LSTM's advantage comes from.

Usage::

    python benchmarks/bench_cells.py                      # H = 5, 25, 100; batch 50; length 100
    python benchmarks/bench_cells.py --sizes 5 --kinds gru --no-mkldnn

Figures depend on the machine and on what else runs on it; nothing here is asserted.
"""

from __future__ import annotations

import argparse
import time

import torch

from rnncourse.models import SequenceRegressor
from rnncourse.utils import count_params


def throughput(model: torch.nn.Module, batch: int, length: int, min_seconds: float = 1.0,
               max_steps: int = 200) -> float:
    """Sequences per second of forward + backward + Adam step on random data."""
    x = torch.randn(batch, length, 1)  # (batch, time, 1): the models here have one input
    y = torch.randn(batch, length, 1)  # (batch, time, 1)
    opt = torch.optim.Adam([p for p in model.parameters() if p.requires_grad], lr=1e-3)

    def step():
        opt.zero_grad(set_to_none=True)
        loss = torch.nn.functional.mse_loss(model(x), y)
        loss.backward()
        opt.step()

    step()  # warm-up
    steps, start = 0, time.perf_counter()
    while steps < max_steps and (steps < 3 or time.perf_counter() - start < min_seconds):
        step()
        steps += 1
    return steps * batch / (time.perf_counter() - start)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--kinds", nargs="+", default=["rnn", "lstm", "gru"])
    parser.add_argument("--sizes", nargs="+", type=int, default=[5, 25, 100])
    parser.add_argument("--batch", type=int, default=50)
    parser.add_argument("--length", type=int, default=100)
    parser.add_argument("--seconds", type=float, default=1.0, help="time spent per measurement")
    parser.add_argument("--no-mkldnn", action="store_true", help="switch oneDNN (mkldnn) off")
    parser.add_argument("--threads", type=int, default=None,
                        help="torch.set_num_threads (default: torch's choice)")
    args = parser.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    if args.no_mkldnn:
        torch.backends.mkldnn.enabled = False

    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, "
          f"oneDNN {'off' if args.no_mkldnn else 'on' if torch.backends.mkldnn.is_available() else 'absent'}; "
          f"batch {args.batch}, length {args.length}; sequences per second (higher is better)")
    print(f"{'kind':<5} {'H':>4} {'params':>7} {'from scratch':>13} {'fused torch':>12} {'speed-up':>9}")
    for kind in args.kinds:
        for h in args.sizes:
            torch.manual_seed(0)
            slow = SequenceRegressor(kind, 1, [h], 1)
            fast = SequenceRegressor(kind, 1, [h], 1, fast=True)
            assert count_params(slow) == count_params(fast)
            s = throughput(slow, args.batch, args.length, args.seconds)
            f = throughput(fast, args.batch, args.length, args.seconds)
            print(f"{kind:<5} {h:>4} {count_params(fast):>7} {s:>13.0f} {f:>12.0f} {f / s:>8.1f}x",
                  flush=True)


if __name__ == "__main__":
    main()
