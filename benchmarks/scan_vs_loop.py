"""The linear recurrence h_t = a_t * h_{t-1} + b_t: doubling scan against the loop (chapter 12).

For each size (batch B, channels D, length T) this prints

- the time of forward + backward (sum of the states as the loss) of ``ch12.linear_recurrence_loop``
  (``T`` sequential steps) and of ``ch12.scan`` (``ceil(log2 T)`` steps, ``O(T log T)`` work),
  in float32, the median of a few repeats;
- the largest difference between scan and loop in float64 and in float32 (states and the
  gradient with respect to ``b``), against a float64 loop, so the equality is part of the table.

Usage::

    python benchmarks/scan_vs_loop.py                       # the default sizes
    python benchmarks/scan_vs_loop.py --sizes 1,64,4096 16,1024,1024 --threads 2
    python benchmarks/scan_vs_loop.py --device cuda         # on a GPU

On a CPU the scan only wins when the work per step is tiny (few channels, long sequences):
then the loop's cost is the overhead of ``T`` small operations. With much work per step the
loop is already limited by arithmetic and the scan's ``log2 T`` times more work loses.
Figures depend on the machine and its load; nothing here is asserted.
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch

from rnncourse.chapters.ch12 import linear_recurrence_loop, scan, scan_steps


def inputs(B: int, D: int, T: int, dtype, device, seed: int = 0):
    g = torch.Generator().manual_seed(seed)
    a = (0.9 + 0.1 * torch.rand(B, T, D, generator=g, dtype=torch.float64)).to(device, dtype)
    b = torch.randn(B, T, D, generator=g, dtype=torch.float64).to(device, dtype)
    return a, b                                          # each (batch, time, D)


def fwd_bwd(fn, a, b):
    a, b = a.clone().requires_grad_(), b.clone().requires_grad_()
    h = fn(a, b)
    h.sum().backward()
    return h.detach(), b.grad


def seconds(fn, a, b, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        if a.device.type == "cuda":
            torch.cuda.synchronize()
        t = time.perf_counter()
        fwd_bwd(fn, a, b)
        if a.device.type == "cuda":
            torch.cuda.synchronize()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def errors(B, D, T, device):
    """Largest |scan - loop| over states and d/db in float64, and of both float32 versions
    against the float64 loop."""
    a64, b64 = inputs(B, D, T, torch.float64, device)
    h_ref, g_ref = fwd_bwd(linear_recurrence_loop, a64, b64)
    h_s, g_s = fwd_bwd(scan, a64, b64)
    e64 = max((h_s - h_ref).abs().max().item(), (g_s - g_ref).abs().max().item())
    out = [e64]
    for fn in (scan, linear_recurrence_loop):
        h32, g32 = fwd_bwd(fn, a64.float(), b64.float())
        scale = max(h_ref.abs().max().item(), 1.0)
        out.append(max((h32.double() - h_ref).abs().max().item(),
                       (g32.double() - g_ref).abs().max().item()) / scale)
    return out


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", nargs="*", default=["1,64,256", "1,64,1024", "1,64,4096",
                                                        "16,64,1024", "4,256,1024",
                                                        "16,1024,1024"],
                        help="B,D,T triples")
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    device = torch.device(args.device)
    print(f"device {device}, {torch.get_num_threads()} thread(s), torch {torch.__version__}")
    print("times: forward + backward in float32 (median); errors: largest |difference| of states "
          "and gradients,\nfloat64 scan vs float64 loop (absolute), float32 vs float64 loop "
          "(relative to max |h|)")
    print(f"{'B':>3s} {'D':>5s} {'T':>5s} {'steps':>6s} {'loop ms':>9s} {'scan ms':>9s} "
          f"{'loop/scan':>9s}  {'err64 scan':>10s} {'err32 scan':>10s} {'err32 loop':>10s}")
    for size in args.sizes:
        B, D, T = (int(v) for v in size.split(","))
        e64, e32s, e32l = errors(B, D, T, device)
        a, b = inputs(B, D, T, torch.float32, device)
        fwd_bwd(scan, a, b)                              # warm-up
        t_loop = seconds(linear_recurrence_loop, a, b, args.repeats)
        t_scan = seconds(scan, a, b, args.repeats)
        print(f"{B:3d} {D:5d} {T:5d} {T:3d}/{scan_steps(T):<2d} {1e3 * t_loop:9.1f} {1e3 * t_scan:9.1f} "
              f"{t_loop / t_scan:8.2f}x  {e64:10.1e} {e32s:10.1e} {e32l:10.1e}", flush=True)


if __name__ == "__main__":
    main()
