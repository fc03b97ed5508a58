"""Each chapter runs once in the test run: its test unit, under nbval, and the book reads its outputs.

scripts/nbval_colab.py executes each chapter's test unit (rnncourse_tools.colab.unit_notebook:
the generated solution notebook with the hidden asserts back in place and the student checks on
the stubs appended) under ``pytest --nbval-lax``, records every cell's outputs
(rnncourse_tools.unit_run, a pytest plugin) and stores the chapter with those outputs in the
book's jupyter-cache. These tests check each piece: the unit is the generated notebook plus the
hidden and student cells and nothing else, a check that passes on a stub fails its cell, and a
recorded run becomes the chapter the book finds in its cache (and a failed one does not).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from rnncourse_tools.colab import (HIDDEN_IN_UNIT, UNIT_KEY, check_on_stub_cell, solution_notebook,
                                   unit_notebook)
from rnncourse_tools.student import make_student_notebook
from rnncourse_tools.unit_run import IncompleteRun, executed_chapter, read_records, store_for_the_book

from conftest import NOTEBOOKS, ROOT

sys.path.insert(0, str(ROOT / "scripts"))
from make_colab import settings  # noqa: E402

ids = [p.stem for p in NOTEBOOKS]


@pytest.fixture(scope="module")
def book_target():
    book, target, _ = settings(ROOT)
    return book, target


@pytest.mark.parametrize("path", NOTEBOOKS, ids=ids)
def test_the_unit_is_the_generated_notebook_plus_hidden_and_student_cells(path, book_target):
    book, target = book_target
    doc = f"notebooks/{path.stem}"
    unit = unit_notebook(path, book, doc, target)
    solution = solution_notebook(path, book, doc, target)
    chapter = nbformat.read(path, as_version=4)
    student = make_student_notebook(nbformat.read(path, as_version=4))

    def part(c):
        return c.metadata[UNIT_KEY].get("part")

    hidden = [c for c in unit.cells if HIDDEN_IN_UNIT in c.metadata.get("tags", [])]
    rest = [c for c in unit.cells if c not in hidden and part(c) not in ("student", "header")]
    solution_cells = [c for c in solution.cells if not c.source.startswith("*Chapter ")]  # header
    # the visible cells are the generated solution notebook's, in its order, source for source
    assert [(c.cell_type, c.source) for c in rest] == \
        [(c.cell_type, c.source) for c in solution_cells]
    # the hidden ones are the chapter's remove-cell code cells, each at its chapter index
    removed = [(i, c.source) for i, c in enumerate(chapter.cells)
               if c.cell_type == "code" and "remove-cell" in c.metadata.get("tags", [])]
    assert [(c.metadata[UNIT_KEY]["chapter_cell"], c.source) for c in hidden] == removed
    # every chapter code cell appears once, in order
    mapped = [c.metadata[UNIT_KEY].get("chapter_cell") for c in unit.cells if c.cell_type == "code"]
    mapped = [i for i in mapped if i is not None]
    assert mapped == [i for i, c in enumerate(chapter.cells) if c.cell_type == "code"]
    # the student cells: the exercise version's stubs and checks, in its order
    stubs_checks = [c for c in student.cells if c.cell_type == "code"
                    and ("raise NotImplementedError" in c.source or "rc.checks." in c.source)]
    appended = [c for c in unit.cells if part(c) == "student"]
    assert len(appended) == len(stubs_checks) and appended, path.name
    assert unit.cells[-len(appended):] == appended
    for a, s in zip(appended, stubs_checks):
        assert a.source == s.source if "rc.checks." not in s.source else "NOT YET" in a.source


def _run(code: str):
    from IPython.core.interactiveshell import InteractiveShell
    shell = InteractiveShell.instance()
    return shell.run_cell(code, silent=False)


@pytest.mark.parametrize("says, fails", [("NOT YET: write it", False), ("PASSED: correct", True)])
def test_a_check_that_passes_on_the_stub_fails_its_cell(says, fails):
    # as a returned value (the check's result, displayed), printed, or displayed
    for check in (f"class R:\n    def __repr__(self):\n        return {says!r}\n\nR()",
                  f"print({says!r})",
                  f"from IPython.display import display, HTML\ndisplay(HTML('<b>{says}</b>'))"):
        result = _run(check_on_stub_cell(check))
        assert (result.error_in_exec is not None) == fails, check
        if fails:
            assert "did not report failure on the student version's stub" in str(result.error_in_exec)


def _tiny_unit(tmp_path: Path, middle: str = "y = x + 1\nprint(y)"):
    chapter = nbformat.v4.new_notebook()
    chapter.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                      "language": "python"}
    hidden = nbformat.v4.new_code_cell("assert x == 1")
    hidden.metadata["tags"] = ["remove-cell"]
    chapter.cells = [nbformat.v4.new_markdown_cell("# Tiny"), nbformat.v4.new_code_cell("x = 1"),
                     hidden, nbformat.v4.new_code_cell(middle), nbformat.v4.new_code_cell("x * 7"),
                     nbformat.v4.new_code_cell("x * 8;"),        # a trailing ; shows nothing
                     nbformat.v4.new_code_cell(                   # text, figure, text: in order
                         "from IPython.display import HTML, display\nprint('before')\n"
                         "print('still before')\ndisplay(HTML('<b>figure</b>'))\nprint('after')\n"
                         "print('10%', end='\\r'); print('100%')")]
    path = tmp_path / "99_tiny.ipynb"
    nbformat.write(chapter, path)
    unit = nbformat.v4.new_notebook(metadata=chapter.metadata)
    install = nbformat.v4.new_code_cell("print('install cell')")
    install.metadata[UNIT_KEY] = {"part": "install"}
    student = nbformat.v4.new_code_cell("print('NOT YET')")
    student.metadata[UNIT_KEY] = {"part": "student"}
    cells = [install]
    for i, c in enumerate(chapter.cells):
        c = nbformat.from_dict(dict(c))
        c.metadata = {**c.metadata, UNIT_KEY: {"chapter_cell": i}}
        cells.append(c)
    unit.cells = cells + [student]
    (tmp_path / "unit").mkdir()
    nbformat.write(unit, tmp_path / "unit" / path.name)
    return path, chapter, unit


def _nbval(tmp_path: Path):
    records = tmp_path / "records"
    subprocess.run([sys.executable, "-m", "pytest", "-q", "--nbval-lax", "-p", "no:cacheprovider",
                    "-p", "no:xdist", "-p", "rnncourse_tools.unit_run",
                    "--rnncourse-record", str(records), "99_tiny.ipynb"],
                   cwd=tmp_path / "unit", capture_output=True, text=True)
    return read_records(records / "99_tiny")


def test_a_recorded_run_becomes_the_chapter_the_book_finds(tmp_path):
    path, chapter, unit = _tiny_unit(tmp_path)
    records = _nbval(tmp_path)
    assert sorted(records) == list(range(8)) and all(r["outcome"] == "passed"
                                                    for r in records.values())
    nb, seconds, student = executed_chapter(chapter, unit, records)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert [c.execution_count for c in code] == [2, 3, 4, 5, 6, 7]     # the install cell was 1
    assert code[0].outputs == [] and code[2].outputs[0]["text"] == "2\n"
    assert code[3].outputs[0]["output_type"] == "execute_result"
    assert code[3].outputs[0]["data"]["text/plain"] == "7"
    assert code[3].outputs[0]["execution_count"] == 5
    assert code[4].outputs == []                                       # x * 8;
    assert [(o["output_type"], o.get("text")) for o in code[5].outputs] == [
        ("stream", "before\nstill before\n"), ("display_data", None), ("stream", "after\n100%\n")]
    assert seconds > 0 and student > 0
    assert [c.source for c in nb.cells] == [c.source for c in chapter.cells]
    nbformat.validate(nb)
    cache = tmp_path / "_build" / ".jupyter_cache"
    store_for_the_book(path, nb, {"run": "tests"}, cache)
    from jupyter_cache import get_cache
    record = get_cache(str(cache)).match_cache_file(str(path))   # what jupyter-book looks up
    assert record.data == {"run": "tests"}


def test_a_failed_cell_keeps_the_chapter_out_of_the_book(tmp_path):
    path, chapter, unit = _tiny_unit(tmp_path, middle="y = undefined_name")
    records = _nbval(tmp_path)
    assert records[3]["outcome"] == "failed"
    with pytest.raises(IncompleteRun, match="code cell 3 of the test unit failed"):
        executed_chapter(chapter, unit, records)
    del records[7]
    records[3]["outcome"] = "passed"
    with pytest.raises(IncompleteRun, match="code cell 7 of the test unit did not run"):
        executed_chapter(chapter, unit, records)
