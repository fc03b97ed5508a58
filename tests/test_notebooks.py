"""Every chapter notebook runs without error, and its student version's checks say "not yet".

One kernel per chapter (see notebook_run.py): every cell of the chapter runs as in the book
build, so the numbers the prose states (asserted in remove-cell cells) and the hidden tests
are checked; then, in the same kernel, the student version's stubbed exercises and its check
cells run, and every check must report "NOT YET" on the stub (and never raise). The executed
chapter goes into the book's jupyter-cache, so the book build does not run it again.

Marked ``chapter``: scripts/test.sh deselects these (each chapter runs once there, under nbval,
as scripts/nbval_colab.py's test unit, which checks the same things); run them from a checkout
with ``pytest -m chapter`` or ``pytest tests/test_notebooks.py -k 06``.
"""

import nbformat
import pytest
from nbclient.exceptions import CellExecutionError

from rnncourse_tools.student import make_student_notebook

from conftest import NOTEBOOKS
from notebook_run import (NOT_YET, is_check, run_chapter, shown, store_for_the_book,
                          student_exercise_cells)

ids = [p.stem for p in NOTEBOOKS]


def assert_checks_say_not_yet(cells):
    checks = [c for c in cells if is_check(c)]
    assert checks, "no check cell ran"
    for cell in checks:
        assert NOT_YET in shown(cell), (
            f"a check did not report failure on the stub:\n{cell.source}\n{shown(cell)}")


@pytest.mark.chapter
@pytest.mark.parametrize("path", NOTEBOOKS, ids=ids)
def test_chapter_runs_and_its_checks_fail_on_the_stubs(path):
    student = make_student_notebook(nbformat.read(path, as_version=4))
    run = run_chapter(path, student_exercise_cells(student))
    assert_checks_say_not_yet(run.extra)
    store_for_the_book(path, run, {"run": "tests", "execution_seconds": run.seconds,
                                   "student_checks_seconds": run.extra_seconds})


def _notebook(tmp_path, check_says):
    """A tiny chapter: a setup cell, one exercise, and a check that prints ``check_says``."""
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    nb.cells = [
        nbformat.v4.new_code_cell(
            "import types\n"
            f"rc = types.SimpleNamespace(checks=types.SimpleNamespace(add_one=lambda f: print({check_says!r})))"),
        nbformat.v4.new_code_cell("total = sum(range(4))"),
        nbformat.v4.new_markdown_cell("```{solution-start} ex-t\n:class: dropdown\n```"),
        nbformat.v4.new_code_cell("def add_one(x):\n    ### BEGIN SOLUTION\n    return x + 1\n    ### END SOLUTION"),
        nbformat.v4.new_markdown_cell("```{solution-end}\n```"),
        nbformat.v4.new_code_cell("rc.checks.add_one(add_one)"),
    ]
    path = tmp_path / "99_tiny.ipynb"
    nbformat.write(nb, path)
    return path


def test_the_chapter_run_catches_a_check_that_passes_on_the_stub(tmp_path):
    path = _notebook(tmp_path, "PASSED: correct")
    run = run_chapter(path, student_exercise_cells(make_student_notebook(nbformat.read(path, 4))))
    assert [c.execution_count for c in run.notebook.cells if c.cell_type == "code"] == [1, 2, 3, 4]
    assert "NotImplementedError" in run.extra[0].source and "x + 1" in run.notebook.cells[3].source
    with pytest.raises(AssertionError, match="did not report failure on the stub"):
        assert_checks_say_not_yet(run.extra)


def test_the_chapter_run_reports_a_failing_cell(tmp_path):
    path = _notebook(tmp_path, NOT_YET)
    nb = nbformat.read(path, 4)
    nb.cells[1].source = "total = undefined_name"
    nbformat.write(nb, path)
    with pytest.raises(CellExecutionError, match="a cell of the chapter failed"):
        run_chapter(path)
