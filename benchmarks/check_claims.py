"""Re-run the book's headline results at new seeds and a longer budget, and say which hold.

    python benchmarks/check_claims.py --chapter 3 --seeds 100 101 102 --budget 2
    python benchmarks/check_claims.py --chapter 1 2 3 4 5 6        # every claim of chapters 1-6
    python benchmarks/check_claims.py --list                          # the registry, nothing run
    python benchmarks/check_claims.py --chapter 3 --only bptt_vs_detached --json out.json

For every claim (``benchmarks/claims/chNN.py``) it prints one row: the claim, its value at the
book's seeds and budget, at the given seeds (default 100 101 102, which no chapter uses) and
at those seeds with the budget multiplied by ``--budget`` (default 2), and "holds" only if the
sentence is true in all three. Claims registered with ``book_longer=True`` get a fourth run, the
book's own seeds at the longer budget, which must hold too. Values are mean ± sample standard deviation over the seeds.
The book states a result only if its row says "holds" (or the prose says what it depends on).
This is long (minutes per chapter on 2 cores), so it is not part of CI; each claim has a fast
test at a tiny budget in ``tests/test_claims.py``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)                        # rnncourse from this checkout
sys.path.insert(0, os.path.join(ROOT, "benchmarks"))

import torch  # noqa: E402

from claims import registry, run_claim  # noqa: E402


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--chapter", type=int, nargs="*", help="chapters (default: all)")
    p.add_argument("--only", nargs="*", help="claim names to run (default: all of the chapters)")
    p.add_argument("--seeds", type=int, nargs="+", default=[100, 101, 102],
                   help="seeds the book does not use (default 100 101 102)")
    p.add_argument("--budget", type=float, default=2.0, help="budget multiplier (default 2)")
    p.add_argument("--threads", type=int, default=1, help="torch threads (default 1)")
    p.add_argument("--list", action="store_true", help="list the claims and stop")
    p.add_argument("--json", help="also write the results to this JSON file")
    args = p.parse_args(argv)
    if args.budget <= 0:
        p.error(f"--budget must be a positive multiplier, got {args.budget}")
    torch.set_num_threads(args.threads)

    claims = registry(args.chapter)
    if args.only:
        unknown = set(args.only) - {c.name for c in claims}
        if unknown:
            p.error(f"no such claim in the chosen chapters: {', '.join(sorted(unknown))}")
        claims = [c for c in claims if c.name in args.only]
    if not claims:
        p.error("no claims registered for the chosen chapters")
    if args.list:
        for c in claims:
            print(f"ch{c.chapter:02d} {c.name}: {c.sentence} (book seeds {list(c.book_seeds)}; "
                  f"budget 1 = {c.budget or 'the chapter'})")
        return 0

    results, failed = [], 0
    start = time.perf_counter()
    for c in claims:
        t0 = time.perf_counter()
        book = run_claim(c, c.book_seeds, 1.0)
        new = run_claim(c, args.seeds, 1.0)
        longer = run_claim(c, args.seeds, args.budget)
        runs = [(f"book seeds {list(c.book_seeds)}", book), (f"seeds {args.seeds}", new),
                (f"seeds {args.seeds}, budget x{args.budget:g}", longer)]
        if c.book_longer:
            runs.append((f"book seeds {list(c.book_seeds)}, budget x{args.budget:g}",
                         run_claim(c, c.book_seeds, args.budget)))
        ok = all(o.holds for _, o in runs)
        failed += not ok
        secs = time.perf_counter() - t0
        print(f"\nch{c.chapter:02d} {c.name}  [{'holds' if ok else 'FAILS'}, {secs:.0f} s]")
        print(f"  claim: {c.sentence}")
        for label, o in runs:
            print(f"  {label:<38} {'holds' if o.holds else 'fails':<6} {o.summary()}")
        sys.stdout.flush()
        results.append(dict(chapter=c.chapter, claim=c.name, sentence=c.sentence,
                            budget_unit=c.budget, holds=ok, seconds=round(secs, 1),
                            runs=[dict(seeds=list(o.seeds), budget=o.budget, holds=o.holds,
                                       error=o.error,
                                       values={k: v.tolist() for k, v in o.values.items()})
                                  for _, o in runs]))

    print(f"\n{len(claims) - failed} of {len(claims)} claims hold "
          f"({time.perf_counter() - start:.0f} s)")
    print("\n| chapter | claim | book seeds | new seeds | budget x%g | book seeds, budget x%g | holds |"
          % (args.budget, args.budget))
    print("|---|---|---|---|---|---|---|")
    for r in results:
        cells = []
        for run in r["runs"]:
            if run["error"]:
                cells.append("error")
                continue
            cells.append("; ".join(
                f"{k} {sum(v) / len(v):.3g}" + (f" ± {_std(v):.2g}" if len(v) > 1 else "")
                for k, v in run["values"].items()))
        if len(cells) == 3:
            cells.append("not run")
        print(f"| {r['chapter']} | {r['claim']} | {' | '.join(cells)} | "
              f"{'holds' if r['holds'] else 'FAILS'} |")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=1)
    return 1 if failed else 0


def _std(v):
    m = sum(v) / len(v)
    return (sum((x - m) ** 2 for x in v) / (len(v) - 1)) ** 0.5


if __name__ == "__main__":
    sys.exit(main())
