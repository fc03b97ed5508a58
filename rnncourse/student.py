"""Make student notebooks from the solution notebooks (for instructors).

Usage::

    rnncourse-student notebooks/ -o student/          # every chapter
    rnncourse-student notebooks/06_lstm.ipynb -o student/

What it does to each notebook:

1. nbgrader's own preprocessors (``ClearSolutions``, ``ClearHiddenTests``; no nbgrader database
   or course directory is needed) replace the code between ``### BEGIN SOLUTION`` and
   ``### END SOLUTION`` by ``raise NotImplementedError()`` and delete the lines between
   ``### BEGIN HIDDEN TESTS`` and ``### END HIDDEN TESTS``.
2. The worked solutions shown in the book's "Solution" dropdowns are removed: every cell from a
   ``{solution-start}`` directive to its ``{solution-end}``, and every ``{solution}`` directive
   cell, except code cells that hold a stubbed exercise (those are what the student fills in).
3. Cells left empty and all outputs are dropped.

nbgrader is an optional dependency: ``pip install -e ".[instructor]"`` from a clone.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

import nbformat

SOLUTION_MARK = "### BEGIN SOLUTION"


_FENCE = re.compile(r"^(?P<fence>`{3,}|:{3,})\{(?P<name>[a-z-]+)\}")


def _split_markdown(text: str, inside: bool) -> tuple[str, bool]:
    """Drop solution material from one markdown cell.

    Returns the text to keep and whether the cell ends inside a ``{solution-start}`` block.
    Handles directives anywhere in a cell (jupytext merges consecutive markdown blocks).
    """
    kept: list[str] = []
    lines = text.split("\n")
    i = 0
    while i < len(lines):
        m = _FENCE.match(lines[i])
        if m and m.group("name") in ("solution-start", "solution-end", "solution"):
            fence, name = m.group("fence"), m.group("name")
            j = i + 1  # skip the directive up to its closing fence
            while j < len(lines) and lines[j].strip() != fence:
                j += 1
            if j == len(lines):
                raise ValueError(f"the {{{name}}} directive is not closed by {fence}")
            if name == "solution-start":
                if inside:
                    raise ValueError("a {solution-start} opens inside another solution block")
                inside = True
            elif name == "solution-end":
                if not inside:
                    raise ValueError("found {solution-end} without a {solution-start} before it")
                inside = False
            i = j + 1
            continue
        if not inside:
            kept.append(lines[i])
        i += 1
    return "\n".join(kept).strip("\n"), inside


def solution_structure(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """A copy of ``nb`` without the worked solutions (steps 2 and 3 of the module docstring
    but one: the exercise cells keep their solution code between the markers). This is what
    nbgrader's ``generate_assignment`` starts from (see :mod:`rnncourse.colab`)."""
    nb = nbformat.from_dict(nb)  # a deep copy
    kept, inside = [], False
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            cell.source, inside = _split_markdown(cell.source, inside)
            if cell.source.strip():
                kept.append(cell)
        elif not inside or (cell.cell_type == "code" and SOLUTION_MARK in cell.source):
            kept.append(cell)
    if inside:
        raise ValueError("a {solution-start} block is never closed by {solution-end}")
    nb.cells = kept
    return nb


def make_student_notebook(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Return the student version of a solution notebook (the input is not modified)."""
    try:
        from nbgrader.preprocessors import ClearHiddenTests, ClearSolutions
    except ImportError as e:  # pragma: no cover - depends on the environment
        raise ImportError(
            "making student notebooks needs nbgrader: pip install -e \".[instructor]\" (from a clone of the repository)"
        ) from e
    n_solutions = sum(SOLUTION_MARK in c.source for c in nb.cells)
    nb = solution_structure(nb)
    resources: dict = {}
    nb, resources = ClearSolutions(enforce_metadata=False).preprocess(nb, resources)
    nb, resources = ClearHiddenTests(enforce_metadata=False).preprocess(nb, resources)
    cells = []
    for cell in nb.cells:
        if not cell.source.strip():
            continue
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
        cell.metadata.pop("nbgrader", None)
        cells.append(cell)
    nb.cells = cells
    left = sum("NotImplementedError" in c.source for c in nb.cells if c.cell_type == "code")
    if left < n_solutions:
        raise ValueError(f"expected {n_solutions} stubbed solutions, found {left}")
    return nb


def convert(src: Path, out_dir: Path) -> Path:
    """Write the student version of notebook ``src`` into ``out_dir``; return its path."""
    nb = nbformat.read(src, as_version=4)
    student = make_student_notebook(nb)
    out_dir.mkdir(parents=True, exist_ok=True)
    dest = out_dir / src.name
    nbformat.write(student, dest)
    return dest


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="rnncourse-student",
        description="Write student versions (solutions removed) of the chapter notebooks.",
    )
    parser.add_argument("paths", nargs="+", type=Path, help="notebooks or folders of notebooks")
    parser.add_argument("-o", "--out", type=Path, default=Path("student"),
                        help="output folder (default: ./student)")
    args = parser.parse_args(argv)
    sources: list[Path] = []
    for p in args.paths:
        if p.is_dir():
            sources += sorted(p.glob("*.ipynb"))
        elif p.suffix == ".ipynb" and p.exists():
            sources.append(p)
        else:
            parser.error(f"{p} is not a notebook (.ipynb) or a folder")
    if not sources:
        parser.error("no notebooks found")
    for src in sources:
        print(f"{src} -> {convert(src, args.out)}")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
