"""Time per training step of minGRU (chapter 12) against torch.nn.GRU.

One training step = forward over a random batch ``(B, L, H)``, an MSE loss at every step,
backward, and an Adam update, for

- ``torch.nn.GRU(H, H, batch_first=True)`` (on a CPU: ATen's step-by-step GRU, every step
  recorded by autograd; on a GPU: cuDNN's fused kernel), and
- ``ch12.MinGRU(H, H)``: gates from the input only, the linear recurrence run by the doubling
  scan (``ceil(log2 L)`` steps), and the same layer with ``mode="loop"`` (``L`` steps).

Usage::

    python benchmarks/mingru_vs_gru.py                     # B=16, H=128, L=256 and other sizes
    python benchmarks/mingru_vs_gru.py --sizes 16,128,256 --threads 2

Prints the median over repeated steps. Figures depend on the machine and on what else runs on
it; nothing here is asserted.
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch

from rnncourse.chapters.ch12 import MinGRU


def step_time(layer: torch.nn.Module, B: int, H: int, L: int, device, repeats: int = 7) -> float:
    """Median seconds of one training step (forward, MSE loss, backward, Adam step)."""
    layer = layer.to(device)
    x = torch.randn(B, L, H, device=device)         # (batch, time, H)
    y = torch.randn(B, L, H, device=device)
    opt = torch.optim.Adam(layer.parameters(), lr=1e-3)

    def step():
        opt.zero_grad(set_to_none=True)
        out = layer(x)
        out = out[0] if isinstance(out, tuple) else out   # nn.GRU returns (output, h_n)
        torch.nn.functional.mse_loss(out, y).backward()
        opt.step()
        if device.type == "cuda":
            torch.cuda.synchronize()

    step()                                          # warm-up
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        step()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", nargs="*", default=["16,128,256", "16,128,1024", "64,64,256",
                                                        "1,128,1024", "16,512,256"],
                        help="B,H,L triples")
    parser.add_argument("--threads", type=int, default=None, help="torch.set_num_threads")
    parser.add_argument("--device", default="cpu")
    args = parser.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    device = torch.device(args.device)
    torch.manual_seed(0)
    print(f"device {device}, {torch.get_num_threads()} thread(s), torch {torch.__version__}")
    print(f"{'B':>4s} {'H':>5s} {'L':>6s} {'nn.GRU ms':>10s} {'minGRU scan ms':>15s} "
          f"{'minGRU loop ms':>15s} {'GRU / scan':>11s}")
    for size in args.sizes:
        B, H, L = (int(v) for v in size.split(","))
        gru = step_time(torch.nn.GRU(H, H, batch_first=True), B, H, L, device)
        mscan = step_time(MinGRU(H, H), B, H, L, device)
        mloop = step_time(MinGRU(H, H, mode="loop"), B, H, L, device)
        print(f"{B:4d} {H:5d} {L:6d} {1e3 * gru:10.1f} {1e3 * mscan:15.1f} {1e3 * mloop:15.1f} "
              f"{gru / mscan:10.1f}x", flush=True)


if __name__ == "__main__":
    main()
