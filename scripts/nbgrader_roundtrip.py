"""nbgrader from source to grades, for any chapters: what an instructor's course would see.

    python scripts/nbgrader_roundtrip.py                 # every chapter (long: 3 runs each)
    python scripts/nbgrader_roundtrip.py 01 06           # chapters 1 and 6
    python scripts/nbgrader_roundtrip.py 01 --keep DIR   # keep the scratch course in DIR

For each chapter, in a scratch nbgrader course with the configuration instructors are told to
use (:data:`CONFIG`, also in book/instructors.md): write the source notebook
(``make_colab.py --nbgrader-source``), ``generate_assignment``, then ``autograde`` three
submissions: the solution notebook (must get full marks), the released notebook untouched (must
get zero), and the released notebook with only its first exercise solved (must get exactly the
points of the graded cells that check that exercise, those between its solution cell and the
next one). Prints one row per chapter and exits 1 if any row is wrong.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))

#: nbgrader_config.py for a course using these notebooks (book/instructors.md shows it). The
#: timeout is per cell: the slowest cell of any chapter takes under a minute on 2 CPU cores, and
#: nbgrader's default of 30 s interrupts chapter 6's training on a busy machine.
CONFIG = """\
c = get_config()
c.CourseDirectory.course_id = "rnncourse"
c.CourseDirectory.root = {root!r}
# one cell may train a model: allow 10 minutes (nbgrader's default is 30 s)
c.ExecutePreprocessor.timeout = 600
c.Execute.timeout = 600
"""


def nbgrader(course: Path, *args: str) -> str:
    # nbgrader runs the `alembic` command of its environment to set up the gradebook
    env = dict(os.environ, PATH=f"{os.path.dirname(sys.executable)}{os.pathsep}{os.environ['PATH']}")
    done = subprocess.run([sys.executable, "-m", "nbgrader", *args], cwd=course, env=env,
                          capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"nbgrader {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
    return done.stdout + done.stderr


def first_exercise(source: nbformat.NotebookNode) -> tuple[str, int]:
    """The grade id of the first solution cell and the points of the graded cells after it,
    up to the next solution cell."""
    cells = source.cells
    first = next(i for i, c in enumerate(cells) if c.metadata.get("nbgrader", {}).get("solution"))
    points = 0
    for c in cells[first + 1:]:
        meta = c.metadata.get("nbgrader", {})
        if meta.get("solution"):
            break
        if meta.get("grade"):
            points += meta.get("points", 0)
    return cells[first].metadata["nbgrader"]["grade_id"], points


def solve_one(release: nbformat.NotebookNode, source: nbformat.NotebookNode, grade_id: str):
    """The released notebook with the one solution cell ``grade_id`` filled in from the source."""
    answer = next(c for c in source.cells if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id)
    code = re.sub(r"^\s*### (BEGIN|END) SOLUTION\s*$\n?", "", answer.source, flags=re.M)
    nb = nbformat.from_dict(release)
    for c in nb.cells:
        if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id:
            c.source = code
            return nb
    raise ValueError(f"the released notebook has no cell {grade_id!r}")


def roundtrip(chapter: Path, course: Path) -> dict:
    import make_colab
    from nbgrader.api import Gradebook

    assignment = "ch" + chapter.name[:2]
    course.mkdir(parents=True)
    (course / "nbgrader_config.py").write_text(CONFIG.format(root=str(course)))
    if make_colab.main(["--nbgrader-source", str(course / "source"), "--only", chapter.name[:2]]) != 0:
        raise RuntimeError("make_colab.py --nbgrader-source failed")
    source_path = course / "source" / assignment / chapter.name
    nbgrader(course, "db", "assignment", "add", assignment)
    nbgrader(course, "generate_assignment", assignment, "--force")
    release_path = course / "release" / assignment / chapter.name
    source, release = nbformat.read(source_path, 4), nbformat.read(release_path, 4)
    grade_id, one_points = first_exercise(source)
    submissions = {"solution": source, "stub": release, "one": solve_one(release, source, grade_id)}
    for student, nb in submissions.items():
        dest = course / "submitted" / student / assignment / chapter.name
        dest.parent.mkdir(parents=True)
        nbformat.write(nb, dest)
        nbgrader(course, "db", "student", "add", student)
    start = time.perf_counter()
    nbgrader(course, "autograde", assignment)
    seconds = time.perf_counter() - start
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        scores = {s: gb.find_submission(assignment, s).score for s in submissions}
        max_score = gb.find_submission(assignment, "solution").max_score
    ok = (max_score > 0 and scores["solution"] == max_score and scores["stub"] == 0
          and scores["one"] == one_points)
    return dict(chapter=chapter.stem, max=max_score, solution=scores["solution"],
                stub=scores["stub"], one=scores["one"], one_expected=one_points,
                first=grade_id, seconds=seconds, ok=ok)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("chapters", nargs="*", help="chapter numbers (default: all), e.g. 01 06")
    ap.add_argument("--keep", type=Path, help="make the scratch courses in this new folder")
    args = ap.parse_args(argv)
    notebooks = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    known = {nb.name[:2]: nb for nb in notebooks}
    bad = [c for c in args.chapters if c.zfill(2) not in known]
    if bad:
        ap.error(f"no chapter {', '.join(bad)}: expected numbers from 01 to {len(known):02d}")
    chosen = [known[c.zfill(2)] for c in args.chapters] if args.chapters else notebooks
    if args.keep is not None and args.keep.exists():
        ap.error(f"--keep {args.keep}: the folder exists; give a new one (nothing is overwritten)")
    top = args.keep or Path(tempfile.mkdtemp(prefix="rnncourse-nbgrader-"))
    rows = []
    try:
        print(f"{'chapter':28s} {'max':>4s} {'solution':>8s} {'stub':>5s} {'one solved':>10s} "
              f"{'expected':>8s}  {'autograde (s)':>13s}  result")
        for chapter in chosen:
            try:
                r = roundtrip(chapter, top / chapter.stem)
            except Exception as e:  # one chapter's failure is a row, not the end of the table
                r = dict(chapter=chapter.stem, ok=False, error=str(e).splitlines()[0][:200])
            rows.append(r)
            if "error" in r:
                print(f"{r['chapter']:28s} error: {r['error']}")
            else:
                print(f"{r['chapter']:28s} {r['max']:4g} {r['solution']:8g} {r['stub']:5g} "
                      f"{r['one']:10g} {r['one_expected']:8g}  {r['seconds']:13.1f}  "
                      f"{'ok' if r['ok'] else 'WRONG'}", flush=True)
    finally:
        if args.keep is None:
            shutil.rmtree(top, ignore_errors=True)
    wrong = [r["chapter"] for r in rows if not r["ok"]]
    print(f"{len(rows) - len(wrong)} of {len(rows)} chapters grade as expected"
          + (f"; wrong: {', '.join(wrong)}" if wrong else ""))
    return 1 if wrong else 0


if __name__ == "__main__":
    sys.exit(main())
