"""The generated Colab notebooks run top to bottom without the cells the generator drops.

``scripts/make_colab.py`` drops the build-only ``remove-cell`` cells (hidden asserts) from both
versions, and the exercise version also drops the worked solutions. A visible cell that uses a
name bound only in a dropped cell runs in the book (the build executes every cell) and raises
``NameError`` in Colab. This finds such cells by reading the code, without running it; the
generated solution notebooks are also executed as students get them (scripts/nbval_colab.py).
"""

from __future__ import annotations

import ast

import nbformat
import pytest
from IPython.core.inputtransformer2 import TransformerManager

from rnncourse_tools.student import make_student_notebook

from conftest import NOTEBOOKS

ids = [p.stem for p in NOTEBOOKS]
REMOVE = "remove-cell"


def _python(source: str) -> ast.Module:
    return ast.parse(TransformerManager().transform_cell(source))  # %magics become calls


def bound_names(tree: ast.AST) -> set[str]:
    """Names a cell binds at module level (not inside functions, classes or comprehensions)."""
    out: set[str] = set()

    def visit(node):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            out.add(node.name)
            return
        if isinstance(node, (ast.Lambda, ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)):
            return
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            out.add(node.id)
        elif isinstance(node, ast.ExceptHandler) and node.name:
            out.add(node.name)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            out.update(a.asname or a.name.split(".")[0] for a in node.names)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    return out


def names_from_dropped_cells(cells, kept) -> list[tuple[str, list[str]]]:
    """(source, names) for each kept code cell that uses a name bound only in an earlier cell
    that ``kept`` rejects (and in no earlier kept cell, nor in the cell itself)."""
    visible, dropped, found = set(), set(), []
    for cell in cells:
        if cell.cell_type != "code":
            continue
        tree = _python(cell.source)
        here = bound_names(tree)
        if not kept(cell):
            dropped |= here
            continue
        used = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}
        local = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}
        local |= {a.arg for n in ast.walk(tree) if isinstance(n, ast.arguments)
                  for a in n.posonlyargs + n.args + n.kwonlyargs + [n.vararg, n.kwarg] if a}
        missing = (used & dropped) - visible - here - local
        if missing:
            found.append((cell.source, sorted(missing)))
        visible |= here
    return found


def _not_removed(cell) -> bool:
    return REMOVE not in cell.metadata.get("tags", [])


def _report(found, version: str) -> str:
    return "\n\n".join(
        f"in the {version} version this cell uses {names}, bound only in a cell the generator "
        f"drops (NameError in Colab): bind it in a visible cell\n{source}"
        for source, names in found)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=ids)
def test_no_visible_cell_uses_a_name_from_a_dropped_cell(path):
    nb = nbformat.read(path, as_version=4)
    # the solution version: every cell but the remove-cell cells
    found = names_from_dropped_cells(nb.cells, _not_removed)
    # the exercise version also drops the worked solutions (the cells make_student_notebook
    # leaves out, found by cell id)
    kept_ids = {c.id for c in make_student_notebook(nb).cells}
    found_ex = names_from_dropped_cells(nb.cells, lambda c: _not_removed(c) and c.id in kept_ids)
    found_ex = [f for f in found_ex if f not in found]
    assert not found and not found_ex, _report(found, "solution") + _report(found_ex, "exercise")


def test_a_name_from_a_removed_cell_is_found():
    hidden = nbformat.v4.new_code_cell("count = 3\nassert count > 2")
    hidden.metadata["tags"] = [REMOVE]
    cells = [
        nbformat.v4.new_code_cell("%matplotlib inline\nimport numpy as np\nx = np.ones(3)"),
        hidden,
        nbformat.v4.new_code_cell("print(x.sum())"),                       # fine: x is visible
        nbformat.v4.new_code_cell("def f(count):\n    return count + 1\nf(1)"),  # an argument
        nbformat.v4.new_code_cell("count = 4\nprint(count)"),               # bound here first
        nbformat.v4.new_code_cell("print([i for i in range(count)])"),      # bound visibly above
    ]
    assert names_from_dropped_cells(cells, _not_removed) == []
    cells.insert(3, nbformat.v4.new_code_cell("print(f'{count} of 5')"))
    assert names_from_dropped_cells(cells, _not_removed) == [(cells[3].source, ["count"])]


# -- the hidden cells feed nothing to the visible ones ------------------------------------------
# The test run executes each chapter once, as the generated solution notebook with the hidden
# asserts back in their places (rnncourse_tools.colab.unit_notebook). That run stands for
# the notebook a student gets only if the hidden cells change nothing the visible cells read:
# no visible cell may read a name whose latest binding was in a hidden cell, and no hidden cell
# may read the repository's files (the run is in a bare folder, as on Colab; check a record in
# a unit test instead).

def names_fed_by_hidden_cells(cells) -> list[tuple[str, list[str]]]:
    """(source, names) for each visible code cell that reads a name (not bound in the cell
    itself) whose latest binding before it was in a ``remove-cell`` cell."""
    latest: dict[str, bool] = {}   # name -> bound last by a hidden cell
    found = []
    for cell in cells:
        if cell.cell_type != "code":
            continue
        tree = _python(cell.source)
        hidden = not _not_removed(cell)
        here = bound_names(tree)
        if not hidden:
            used = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}
            local = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}
            local |= {a.arg for n in ast.walk(tree) if isinstance(n, ast.arguments)
                      for a in n.posonlyargs + n.args + n.kwonlyargs + [n.vararg, n.kwarg] if a}
            fed = sorted(n for n in used - here - local if latest.get(n))
            if fed:
                found.append((cell.source, fed))
        for name in here:
            latest[name] = hidden
    return found


@pytest.mark.parametrize("path", NOTEBOOKS, ids=ids)
def test_hidden_cells_feed_nothing_to_the_visible_ones(path):
    cells = nbformat.read(path, as_version=4).cells
    found = names_fed_by_hidden_cells(cells)
    assert not found, "\n\n".join(
        f"this visible cell reads {names}, last bound in a hidden (remove-cell) cell: the test run "
        f"(with the hidden cells) then computes something the generated notebook does not; bind "
        f"it in a visible cell or rename it in the hidden one\n{source}" for source, names in found)
    repo = [c.source for c in cells if c.cell_type == "code" and not _not_removed(c)
            and any(isinstance(n, ast.Constant) and isinstance(n.value, str)
                    and ("../" in n.value or n.value.startswith(("benchmarks/", "tests/", "scripts/")))
                    for n in ast.walk(_python(c.source)))]
    assert not repo, ("a hidden cell reads the repository's files, which the test run (a bare "
                      "folder, as on Colab) does not have: check the record in a unit test\n"
                      + "\n\n".join(repo))


def test_a_name_fed_by_a_hidden_cell_is_found():
    hidden = nbformat.v4.new_code_cell("x = 2\nassert x > 1")
    hidden.metadata["tags"] = [REMOVE]
    cells = [nbformat.v4.new_code_cell("x = 1"), hidden,
             nbformat.v4.new_code_cell("x = 3\nprint(x)"),          # rebound here first: fine
             nbformat.v4.new_code_cell("print(x)")]
    assert names_fed_by_hidden_cells(cells) == []
    cells.insert(2, nbformat.v4.new_code_cell("print(x + 1)"))     # reads the hidden cell's x
    assert names_fed_by_hidden_cells(cells) == [(cells[2].source, ["x"])]
