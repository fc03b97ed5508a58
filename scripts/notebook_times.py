"""Print how often and how long each chapter notebook ran, from the book's jupyter-cache.

Run by scripts/test.sh after the book build. scripts/nbval_colab.py --book-cache (or
tests/test_notebooks.py, run by hand) stores every chapter it executes in _build/.jupyter_cache
with its time (run "tests"); the book build (execute_notebooks:
cache) takes those outputs, or executes a notebook it finds no match for, and then records it as
a project notebook with its own time. This prints one row per notebook and asserts nothing about
time. It exits 1 if the book build executed a notebook the tests had already executed and cached:
that would mean the book no longer reuses the tested run.
"""

from __future__ import annotations

import sys
from pathlib import Path

from jupyter_cache import get_cache

ROOT = Path(__file__).resolve().parents[1]
CACHE = ROOT / "_build" / ".jupyter_cache"


def main() -> int:
    if not CACHE.exists():
        print(f"notebook times: no cache at {CACHE.relative_to(ROOT)}")
        return 0
    cache = get_cache(str(CACHE))
    tested, book = {}, {}
    for record in cache.list_cache_records():
        name = Path(record.uri).name
        if record.data.get("run") == "tests":
            tested[name] = record.data
        else:
            book[name] = record.data
    executed_by_book = {Path(r.uri).name for r in cache.list_project_records()}
    notebooks = sorted(p.name for p in (ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))

    print(f"\n{'notebook':32s} {'runs':>4s}  {'tests (s)':>9s}  {'student checks (s)':>18s}  book build")
    total, again = 0.0, []
    for name in notebooks:
        t = tested.get(name)
        runs = (t is not None) + (name in executed_by_book)
        seconds = f"{t['execution_seconds']:9.1f}" if t else f"{'-':>9s}"
        checks = f"{t.get('student_checks_seconds', 0):18.1f}" if t else f"{'-':>18s}"
        total += t["execution_seconds"] if t else 0.0
        if name in executed_by_book:
            s = book.get(name, {}).get("execution_seconds")
            where = "executed" + (f" {s:.1f} s" if s is not None else "")
            if t:
                again.append(name)
        else:
            where = "from the tests' run (cache)" if t else "not built"
        print(f"{name:32s} {runs:4d}  {seconds}  {checks}  {where}")
    print(f"{'sum of the tested runs':32s} {'':4s}  {total:9.1f}  (seconds per notebook, kernel start "
          f"included; they run in parallel, so this is not the wall time)")
    if again:
        print(f"ERROR: the book build executed again {', '.join(again)}, which the tests had already "
              "executed and cached: the cache key of the tested run no longer matches the book's",
              file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
