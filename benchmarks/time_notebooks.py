"""Execute every chapter notebook in a fresh kernel and print its wall time.

Usage: python benchmarks/time_notebooks.py [notebooks/NN_x.ipynb ...]

The course budget is at most 90 s per notebook on 2 CPU cores and 12 minutes for the whole
book. This script measures; it asserts nothing (timings depend on the machine and its load).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]
BUDGET_S = 90.0


def time_notebook(path: Path) -> float:
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(nb, timeout=600, kernel_name="python3",
                            resources={"metadata": {"path": str(path.parent)}})
    start = time.perf_counter()
    client.execute()
    return time.perf_counter() - start


def main(argv: list[str]) -> int:
    paths = [Path(p) for p in argv] or sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    total = 0.0
    print(f"{'notebook':34s} {'seconds':>8s}  budget {BUDGET_S:.0f} s")
    for path in paths:
        seconds = time_notebook(path)
        total += seconds
        flag = "" if seconds <= BUDGET_S else "  OVER BUDGET"
        print(f"{path.name:34s} {seconds:8.1f}{flag}", flush=True)
    print(f"{'total':34s} {total:8.1f}  (book budget 720 s)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
