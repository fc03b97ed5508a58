"""One execution per chapter: record what nbval ran, and give the book the chapter's outputs.

The test run (scripts/nbval_colab.py, called by scripts/test.sh) executes each chapter once, as
its *test unit* (rnncourse_tools.colab.unit_notebook: the generated solution notebook with
the hidden asserts back in place and the student version's checks on its stubs appended),
under ``pytest --nbval-lax`` from the installed wheel in a bare folder. This module is

- a pytest plugin (``-p rnncourse_tools.unit_run --rnncourse-record DIR``) that writes, for every
  notebook cell nbval runs, its outputs, outcome and time to ``DIR/<notebook stem>/<n>.json``;
- ``executed_chapter``, which puts the recorded outputs of the chapter's cells back into the
  chapter notebook (refusing if a cell failed or did not run), and
- ``store_for_the_book``, which puts that executed chapter into the book's jupyter-cache, where
  ``jupyter-book build`` (``execute_notebooks: cache``) takes it instead of running the chapter
  again.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path

import nbformat

from .colab import UNIT_KEY

try:
    import fcntl
except ImportError:  # Windows: no file locks (run the tests without -n)
    fcntl = None


# -- the pytest plugin --------------------------------------------------------------------------

def pytest_addoption(parser):
    parser.addoption("--rnncourse-record", metavar="DIR", default=None,
                     help="write each notebook cell's outputs, outcome and time (nbval) to "
                          "DIR/<notebook stem>/<cell number>.json")


def _record(item, report, seconds: float) -> None:
    folder = item.config.getoption("rnncourse_record", None)
    if not folder or not hasattr(item, "cell_num"):
        return
    out = Path(folder) / Path(str(item.fspath)).stem
    out.mkdir(parents=True, exist_ok=True)
    record = {"cell_num": item.cell_num, "outcome": report.outcome, "seconds": seconds,
              "outputs": [dict(o) for o in (getattr(item, "test_outputs", None) or [])]}
    (out / f"{item.cell_num:04d}.json").write_text(json.dumps(record), encoding="utf-8")


def coalesce_adjacent_streams(outputs):
    """Merge each run of adjacent stream outputs of one name (stdout, stderr), as a notebook
    shows them, keeping their order among the figures; then resolve ``\\r`` and ``\\b`` as
    nbval does. (nbval's own ``coalesce_streams`` merges *all* of a cell's stdout into its first
    stream output, which moves text printed after a figure to before it.)"""
    import re
    merged = []
    for output in outputs:
        if (output.get("output_type") == "stream" and merged
                and merged[-1].get("output_type") == "stream"
                and merged[-1].get("name") == output.get("name")):
            merged[-1]["text"] += output["text"]
        else:
            merged.append(output)
    backspace = re.compile("[^\n]\x08")                  # a character, then a backspace
    carriage_return = re.compile("^.*\r(?=[^\n])", re.M)   # a line overwritten after a carriage return
    for output in merged:
        if output.get("output_type") == "stream":
            text = None
            while text != output["text"]:
                text = output["text"]
                output["text"] = backspace.sub("", text)
            output["text"] = carriage_return.sub("", output["text"])
    return merged


def pytest_configure(config):
    """With ``--rnncourse-record``, nbval runs each cell as a notebook front end does:

    - with ``store_history=True`` (Jupyter and Colab do; nbval sends False, and IPython then
      decides whether a trailing ``;`` silences a cell's value from the *previous* cell stored in
      its history, so ``draw();`` showed its figure twice);
    - keeping the order of printed text and figures (``coalesce_adjacent_streams``).
    """
    if not config.getoption("rnncourse_record", None):
        return
    import nbval.kernel
    import nbval.plugin

    def execute_cell_input(self, cell_input, allow_stdin=None):
        return self.kc.execute(cell_input, store_history=True, allow_stdin=allow_stdin,
                               stop_on_error=False)

    nbval.kernel.RunningKernel.execute_cell_input = execute_cell_input
    nbval.plugin.coalesce_streams = coalesce_adjacent_streams


try:
    import pytest
except ImportError:  # the assembly functions below need no pytest
    pytest = None

if pytest is not None:
    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_makereport(item, call):
        outcome = yield
        if call.when == "call":
            _record(item, outcome.get_result(), call.duration)


# -- from the records to the book ----------------------------------------------------------------

class IncompleteRun(Exception):
    """A cell of the unit failed or did not run: the chapter's outputs are not the book's."""


def read_records(folder: Path) -> dict[int, dict]:
    """The records of one notebook, by code-cell number."""
    return {r["cell_num"]: r for r in
            (json.loads(p.read_text(encoding="utf-8")) for p in sorted(Path(folder).glob("*.json")))}


def executed_chapter(chapter, unit, records: dict[int, dict]):
    """The chapter notebook with the outputs the unit's run recorded for its cells.

    ``chapter`` and ``unit`` are notebooks (the unit made from the chapter by
    ``unit_notebook``); ``records`` from ``read_records``. Returns ``(notebook,
    chapter_seconds, student_seconds)``: the chapter's cells in their order with outputs and
    execution counts (numbered as the run numbered them: the install cell is 1), the time of the
    install and chapter cells, and the time of the appended student cells. Raises
    ``IncompleteRun`` naming the first cell that failed or has no record.
    """
    nb = copy.deepcopy(chapter)
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    chapter_seconds = student_seconds = 0.0
    code = [c for c in unit.cells if c.cell_type == "code"]
    for k, cell in enumerate(code):
        record = records.get(k)
        where = cell.metadata.get(UNIT_KEY, {})
        if record is None or record["outcome"] != "passed":
            what = "did not run" if record is None else record["outcome"]
            raise IncompleteRun(f"code cell {k} of the test unit {what} ({where}):\n{cell.source[:300]}")
        if where.get("part") == "student":
            student_seconds += record["seconds"]
            continue
        chapter_seconds += record["seconds"]
        i = where.get("chapter_cell")
        if i is None:
            continue
        target = nb.cells[i]
        if target.cell_type != "code":
            raise IncompleteRun(f"test unit cell {k} maps to chapter cell {i}, which is not code: "
                                "the unit was not made from this chapter")
        target.outputs = [nbformat.from_dict(o) for o in record["outputs"]]
        target.execution_count = k + 1
        for o in target.outputs:
            if o.get("output_type") == "execute_result":
                o["execution_count"] = k + 1
    extra = len(records) - len(code)
    if extra:
        raise IncompleteRun(f"{extra} more records than the unit has code cells: the records are "
                            "not of this unit")
    return nb, chapter_seconds, student_seconds


def store_for_the_book(path: Path, notebook, data: dict, cache: Path) -> None:
    """Put executed chapter ``notebook`` (of ``path``) into the jupyter-cache at ``cache``,
    where ``jupyter-book build`` finds it (processes running side by side take turns)."""
    from jupyter_cache import get_cache
    from jupyter_cache.base import CacheBundleIn

    cache = Path(cache)
    cache.parent.mkdir(parents=True, exist_ok=True)
    with open(cache.parent / ".jupyter_cache.lock", "w") as lock:
        if fcntl is not None:
            fcntl.flock(lock, fcntl.LOCK_EX)
        get_cache(str(cache)).cache_notebook_bundle(
            CacheBundleIn(notebook, str(Path(path).resolve()), data=data),
            check_validity=False, overwrite=True,  # as myst-nb caches the notebooks it runs
        )
