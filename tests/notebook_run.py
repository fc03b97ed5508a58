"""Run a chapter from the checkout: the test, the student check and (if asked) the book's cache.

A developer's path (``pytest -m chapter`` or ``pytest tests/test_notebooks.py -k 06``): the
chapter notebook from ``notebooks/`` with the checkout's package. scripts/test.sh leaves these
tests out and runs each chapter once as students get it instead (scripts/nbval_colab.py: the
generated notebook with the hidden asserts, from the installed wheel, under nbval), which also
fills the book's cache.

``run_chapter`` executes a notebook the way the book build does (nbclient, the notebook's own
kernel, working directory ``notebooks/``, the timeout of ``_config.yml``, any error fails), then,
in the same kernel, runs extra cells: the student version's stubbed exercises and its check
cells. ``store_for_the_book`` puts the executed chapter (without those extra cells) into the
book's jupyter-cache, where ``jupyter-book build`` (``execute_notebooks: cache``) finds it
instead of executing the notebook again.
"""

from __future__ import annotations

import copy
import time
from dataclasses import dataclass
from pathlib import Path

import nbformat
import yaml
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

ROOT = Path(__file__).resolve().parents[1]
#: where myst-nb looks by default (``_build/html`` -> ``_build/.jupyter_cache``)
BOOK_CACHE = ROOT / "_build" / ".jupyter_cache"
NOT_YET = "NOT YET"  # rnncourse.checks.NOT_YET


def is_stub(cell) -> bool:
    return cell.cell_type == "code" and "raise NotImplementedError" in cell.source


def is_check(cell) -> bool:
    return cell.cell_type == "code" and "rc.checks." in cell.source


def student_exercise_cells(student_nb) -> list:
    """The student version's stubbed exercise cells and check cells, in notebook order."""
    return [copy.deepcopy(c) for c in student_nb.cells if is_stub(c) or is_check(c)]


def shown(cell) -> str:
    """What a cell printed or displayed, as text."""
    return "".join(o.get("text", "") + str(o.get("data", {}).get("text/plain", ""))
                   for o in cell.get("outputs", []))


@dataclass
class ChapterRun:
    notebook: nbformat.NotebookNode  # the executed chapter, as the book shows it
    extra: list                      # the extra cells, executed after the chapter
    seconds: float                   # kernel start and the chapter's cells
    extra_seconds: float             # the extra cells


def _execution_settings(nb) -> tuple[int, bool]:
    """Timeout and allow_errors as the book build uses them (``_config.yml``, then the
    notebook's own ``execution`` metadata, as jupyter-cache does)."""
    execute = yaml.safe_load((ROOT / "_config.yml").read_text()).get("execute", {})
    timeout, allow_errors = execute.get("timeout", 30), execute.get("allow_errors", False)
    meta = nb.metadata.get("execution", {})
    return meta.get("timeout", timeout), meta.get("allow_errors", allow_errors)


def run_chapter(path: Path, extra_cells=()) -> ChapterRun:
    """Execute notebook ``path``, then ``extra_cells`` in the same kernel.

    Raises ``CellExecutionError`` (with a note saying which part failed) if a cell raises.
    """
    source = nbformat.read(path, as_version=4)
    n = len(source.cells)
    nb = copy.deepcopy(source)
    nb.cells += [copy.deepcopy(c) for c in extra_cells]
    timeout, allow_errors = _execution_settings(source)
    where = {"index": -1, "chapter_end": None}

    def on_cell_start(cell, cell_index):
        where["index"] = cell_index
        if cell_index == n:
            where["chapter_end"] = time.perf_counter()

    # the same client and settings as jupyter-cache's single_nb_execution (record_timing off:
    # it adds cell metadata, which would change the notebook's cache key)
    client = NotebookClient(nb, timeout=timeout, allow_errors=allow_errors, record_timing=False,
                            resources={"metadata": {"path": str(path.parent)}},
                            on_cell_start=on_cell_start)
    start = time.perf_counter()
    try:
        client.execute()
    except CellExecutionError as e:
        part = ("the chapter" if where["index"] < n
                else "the student version's exercise cells, run after the chapter")
        raise CellExecutionError(f"{path.name}: a cell of {part} failed\n{e}",
                                 e.ename, e.evalue) from None
    end = time.perf_counter()
    chapter_end = where["chapter_end"] or end
    executed = copy.deepcopy(nb)
    executed.cells = nb.cells[:n]
    return ChapterRun(executed, nb.cells[n:], chapter_end - start, end - chapter_end)


def store_for_the_book(path: Path, run: ChapterRun, data: dict) -> None:
    """Cache the executed chapter for ``jupyter-book build`` (pytest-xdist workers take turns)."""
    from rnncourse_tools.unit_run import store_for_the_book as store
    store(path, run.notebook, data, BOOK_CACHE)
