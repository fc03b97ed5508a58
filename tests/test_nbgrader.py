"""nbgrader end to end on the quickest chapter (scripts/nbgrader_roundtrip.py runs any chapter;
all 12 pass, but each autograde executes the chapter, so CI runs only chapter 1): a scratch
course in a temporary folder with the instructors' configuration, ``generate_assignment`` from
the generated source notebook, then ``autograde`` on the solution notebook (full marks), the
untouched released notebook (zero) and the release with only its first exercise solved (exactly
that exercise's points). These three autograde runs of chapter 1's nbgrader version are the one
exception to "each chapter runs at most twice in the test run" (chapter 1 takes about 7 s)."""

import sys

import pytest

from conftest import NOTEBOOKS, ROOT

sys.path.insert(0, str(ROOT / "scripts"))
import make_colab  # noqa: E402

pytest.importorskip("nbgrader", reason="nbgrader is the instructor extra: pip install -e '.[instructor]'")

CHAPTER = NOTEBOOKS[0]          # 01_sequences: about 10 s per run


def test_source_notebook_metadata():
    book, target, _ = make_colab.settings()
    nb = make_colab.nbgrader_notebook(CHAPTER, book, f"notebooks/{CHAPTER.stem}", target)
    meta = [c.metadata["nbgrader"] for c in nb.cells]
    assert len({m["grade_id"] for m in meta}) == len(meta), "grade ids must be unique"
    tests = [c for c in nb.cells if c.metadata["nbgrader"]["grade"]]
    assert tests and all(c.source.startswith("rc.checks.require(rc.checks.ch01.") for c in tests)
    assert all(c.metadata["nbgrader"]["points"] == 1 and c.metadata["nbgrader"]["locked"] for c in tests)
    solutions = [c for c in nb.cells if c.metadata["nbgrader"]["solution"]]
    assert solutions and all("### BEGIN SOLUTION" in c.source for c in solutions)
    assert all(c.metadata["nbgrader"]["locked"] for c in nb.cells if c not in solutions)
    assert "Solution to Exercise" not in "\n".join(c.source for c in nb.cells)


@pytest.mark.long   # (not "chapter": scripts/test.sh runs it; it is the instructors' path)
@pytest.mark.parametrize("number", ["01"])
def test_autograde_solution_full_marks_stub_zero_one_exercise_its_points(number, tmp_path):
    """scripts/nbgrader_roundtrip.py on chapter 1: the instructors' configuration, the
    solution gets full marks, the untouched release zero, the first exercise alone its points."""
    import nbgrader_roundtrip

    chapter = next(nb for nb in NOTEBOOKS if nb.name.startswith(number))
    row = nbgrader_roundtrip.roundtrip(chapter, tmp_path / "course")
    print(f"nbgrader round trip: {row}")
    assert row["max"] > 0 and row["solution"] == row["max"], row
    assert row["stub"] == 0, row
    assert 0 < row["one_expected"] < row["max"] and row["one"] == row["one_expected"], row


def test_the_guide_gives_the_configuration_the_round_trip_uses():
    import nbgrader_roundtrip
    guide = (ROOT / "book" / "instructors.md").read_text()
    for line in nbgrader_roundtrip.CONFIG.splitlines():
        if line.strip() and "CourseDirectory.root" not in line:
            assert line in guide, f"book/instructors.md's nbgrader_config.py lacks: {line}"
