"""nbgrader end to end on chapter 1 (the quickest): a scratch course in a temporary folder,
``generate_assignment`` from the generated source notebook, then ``autograde`` on a submission
made from the solution notebook (full marks) and on the untouched student notebook (zero)."""

import os
import shutil
import subprocess
import sys

import nbformat
import pytest

from conftest import NOTEBOOKS, ROOT

sys.path.insert(0, str(ROOT / "scripts"))
import make_colab  # noqa: E402

pytest.importorskip("nbgrader", reason="nbgrader is the instructor extra: pip install -e '.[instructor]'")

CHAPTER = NOTEBOOKS[0]          # 01_sequences: about 10 s per run
ASSIGNMENT = "ch" + CHAPTER.name[:2]


def nbgrader(course, *args):
    # nbgrader runs the `alembic` command of its environment to set up the gradebook
    env = dict(os.environ, PATH=f"{os.path.dirname(sys.executable)}{os.pathsep}{os.environ['PATH']}")
    done = subprocess.run([sys.executable, "-m", "nbgrader", *args], cwd=course, env=env,
                          capture_output=True, text=True)
    assert done.returncode == 0, f"nbgrader {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}"
    return done.stdout + done.stderr


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


@pytest.mark.chapter
def test_autograde_gives_full_marks_to_the_solution_and_zero_to_the_stub(tmp_path):
    course = tmp_path / "course"
    course.mkdir()
    (course / "nbgrader_config.py").write_text(
        "c = get_config()\n"
        f"c.CourseDirectory.root = {str(course)!r}\n"
        "c.CourseDirectory.course_id = 'rnncourse'\n"
        "c.Execute.timeout = 600\n")
    assert make_colab.main(["--nbgrader-source", str(course / "source"), "--only", CHAPTER.name[:2]]) == 0
    source = course / "source" / ASSIGNMENT / CHAPTER.name
    nbgrader(course, "db", "assignment", "add", ASSIGNMENT)
    nbgrader(course, "generate_assignment", ASSIGNMENT, "--force")
    release = course / "release" / ASSIGNMENT / CHAPTER.name
    text = "\n".join(c.source for c in nbformat.read(release, 4).cells)
    assert "raise NotImplementedError()" in text and "### BEGIN SOLUTION" not in text
    for student, notebook in [("solution", source), ("stub", release)]:
        dest = course / "submitted" / student / ASSIGNMENT / CHAPTER.name
        dest.parent.mkdir(parents=True)
        shutil.copyfile(notebook, dest)
        nbgrader(course, "db", "student", "add", student)
    nbgrader(course, "autograde", ASSIGNMENT)

    from nbgrader.api import Gradebook
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        scores = {s: (gb.find_submission(ASSIGNMENT, s).score,
                      gb.find_submission(ASSIGNMENT, s).max_score) for s in ("solution", "stub")}
    n_checks = sum("rc.checks." in c.source for c in nbformat.read(source, 4).cells
                   if c.cell_type == "code")
    print(f"autograde scores (score, max): {scores}")
    assert scores["solution"] == (n_checks, n_checks) and n_checks > 0
    assert scores["stub"] == (0, n_checks)
