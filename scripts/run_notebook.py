"""Run chapter notebooks top to bottom in a fresh kernel, at a chosen SCALE, and time them.

    python scripts/run_notebook.py                     # every chapter, with a table of times
    python scripts/run_notebook.py notebooks/05_vanishing_exploding.md --scale 4
    python scripts/run_notebook.py notebooks/0[456]*.md --scale 4

Every cell runs, the hidden ``remove-cell`` asserts included, with ``RNNCOURSE_SCALE`` set for
the kernel, so this is how to check that a chapter works unchanged at the larger SCALE its
text suggests (or on a GPU), and how to measure a chapter against the budget (at most 90 s on
2 CPU cores). It prints the cells that took more than half a second and each notebook's
total, then a table of the notebooks' times, writes the executed notebook to ``--out``
(default ``_build/scaled/``), and exits 1 at the first notebook with a failing cell. Times
are printed, never asserted (they depend on the machine and its load).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import time
from pathlib import Path

import jupytext
import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

ROOT = Path(__file__).resolve().parents[1]
BUDGET_S = 90.0   # per chapter notebook on 2 CPU cores (CONTRIBUTING.md)


def seconds(cell) -> float | None:
    ex = cell.metadata.get("execution", {})
    start, end = ex.get("iopub.execute_input"), ex.get("shell.execute_reply")
    if not (start and end):
        return None
    parse = lambda s: dt.datetime.fromisoformat(s.rstrip("Z"))  # noqa: E731
    return (parse(end) - parse(start)).total_seconds()


def run(path: Path, scale: int, out: Path) -> tuple[bool, float]:
    nb = jupytext.read(path)
    os.environ["RNNCOURSE_SCALE"] = str(scale)       # inherited by the kernel
    client = NotebookClient(nb, timeout=3600, kernel_name="python3", record_timing=True,
                            resources={"metadata": {"path": str(path.parent)}})
    start, ok = time.time(), True
    try:
        client.execute()
    except CellExecutionError as err:
        ok = False
        print(f"{path.name}: a cell failed at SCALE = {scale}:\n{err}")
    out.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, out / f"{path.stem}.scale{scale}.ipynb")
    for i, cell in enumerate(nb.cells):
        s = seconds(cell) if cell.cell_type == "code" else None
        if s and s > 0.5:
            print(f"  cell {i:3d} {s:7.1f} s  {cell.source.splitlines()[0][:60]}")
    took = time.time() - start
    print(f"{path.name}: {'passed' if ok else 'FAILED'} at SCALE = {scale} in {took:.1f} s")
    return ok, took


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("notebooks", nargs="*", type=Path,
                        help=".md or .ipynb chapter files (default: every chapter)")
    parser.add_argument("--scale", type=int, default=1, help="RNNCOURSE_SCALE (default 1)")
    parser.add_argument("--out", type=Path, default=ROOT / "_build" / "scaled")
    args = parser.parse_args()
    if args.scale < 1:
        parser.error(f"--scale must be a positive whole number, got {args.scale}")
    paths = args.notebooks or sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.md"))
    for path in paths:
        if not path.is_file():
            parser.error(f"no such notebook: {path}")
    times = {}
    for path in paths:
        ok, times[path.name] = run(path.resolve(), args.scale, args.out)
        if not ok:
            return 1
    if len(times) > 1:
        print(f"\n{'notebook':34s} {'seconds':>8s}  (budget {BUDGET_S:.0f} s each at SCALE = 1)")
        for name, took in times.items():
            flag = "  over budget" if args.scale == 1 and took > BUDGET_S else ""
            print(f"{name:34s} {took:8.1f}{flag}")
        print(f"{'total':34s} {sum(times.values()):8.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
