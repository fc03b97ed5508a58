"""Student notebooks: solutions, hidden tests and solution dropdowns removed, every exercise
stubbed and followed by its checks, nothing else using a stub (the student version command,
chapter by chapter). That the checks say "NOT YET" on the stubs is tested where each chapter
runs (test_notebooks.py): the stubs and checks run in the chapter's kernel after the chapter."""

import ast
import os
import re
import subprocess
import sys

import nbformat
import pytest
from IPython.core.inputtransformer2 import TransformerManager

from rnncourse_tools import INSTRUCTOR_MODULES
from rnncourse_tools.student import main, make_student_notebook

from conftest import NOTEBOOKS, ROOT
from notebook_run import is_check, is_stub

ids = [p.stem for p in NOTEBOOKS]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=ids)
def test_student_version_hides_solutions_and_keeps_stubs_and_checks(path, tmp_path):
    assert main([str(path), "-o", str(tmp_path)]) == 0
    nb = nbformat.read(tmp_path / path.name, as_version=4)
    text = "\n".join(c.source for c in nb.cells)
    assert "### BEGIN SOLUTION" not in text and "BEGIN HIDDEN TESTS" not in text
    assert "{solution" not in text, "solution dropdowns must not reach students"
    stubs = [c for c in nb.cells if is_stub(c)]
    assert stubs, "no stubbed exercise"
    check_cells = [c for c in nb.cells if is_check(c)]
    assert len(check_cells) >= len(stubs) > 0


def _python(source):
    return ast.parse(TransformerManager().transform_cell(source))  # %magics become calls


def _handles_not_implemented(tree) -> bool:
    """The cell catches NotImplementedError (it falls back while the exercise is a stub)."""
    return any(isinstance(h, ast.ExceptHandler) and isinstance(h.type, ast.Name)
               and h.type.id == "NotImplementedError"
               for node in ast.walk(tree) if isinstance(node, ast.Try) for h in node.handlers)


def cells_using_stubs(student_nb):
    """(cell, names) for each code cell other than a check that uses a function or class
    stubbed above it: in the student version it raises NotImplementedError."""
    stubbed, found = set(), []
    for cell in student_nb.cells:
        if is_stub(cell):
            stubbed |= {node.name for node in _python(cell.source).body
                        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))}
        elif cell.cell_type == "code" and not is_check(cell):
            tree = _python(cell.source)
            used = {n.id for n in ast.walk(tree)
                    if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)} & stubbed
            if used and not _handles_not_implemented(tree):
                found.append((cell, sorted(used)))
    return found


@pytest.mark.parametrize("path", NOTEBOOKS, ids=ids)
def test_no_cell_but_a_check_uses_a_stub(path):
    """What running the student notebook top to bottom would catch, without running it."""
    student = make_student_notebook(nbformat.read(path, as_version=4))
    for cell, names in cells_using_stubs(student):
        pytest.fail(f"this cell uses the stubbed {names}, so it fails in the student version "
                    f"(only check cells may):\n{cell.source}")


def test_a_cell_using_a_stub_is_found():
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_code_cell("%matplotlib inline\nimport numpy as np"),
        nbformat.v4.new_code_cell("def f(x):\n    ### BEGIN SOLUTION\n    return x + 1\n    ### END SOLUTION"),
        nbformat.v4.new_code_cell("rc.checks.ch00.f(f)"),
        nbformat.v4.new_code_cell("g = 2  # f is not called here"),
        nbformat.v4.new_code_cell("print([f(x) for x in range(3)])"),
        nbformat.v4.new_code_cell("try:\n    y = f(1)\nexcept NotImplementedError:\n    y = 2"),
    ]
    found = cells_using_stubs(make_student_notebook(nb))
    assert [(c.source, names) for c, names in found] == [(nb.cells[4].source, ["f"])]


def test_student_version_of_a_small_notebook():
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_markdown_cell("```{exercise} Add one\n:label: ex-t\nWrite f.\n```"),
        nbformat.v4.new_markdown_cell("```{solution-start} ex-t\n:class: dropdown\n```"),
        nbformat.v4.new_code_cell("def f(x):\n    ### BEGIN SOLUTION\n    return x + 1\n    ### END SOLUTION"),
        nbformat.v4.new_markdown_cell("Because adding one adds one."),
        nbformat.v4.new_code_cell("print(f(1))  # shows the solution working"),
        nbformat.v4.new_markdown_cell("```{solution-end}\n```"),
        nbformat.v4.new_code_cell("### BEGIN HIDDEN TESTS\nassert f(1) == 2\n### END HIDDEN TESTS"),
        nbformat.v4.new_markdown_cell("```{solution} ex-t\nA written answer.\n```"),
    ]
    student = make_student_notebook(nb)
    sources = [c.source for c in student.cells]
    assert len(sources) == 2
    assert sources[0].startswith("```{exercise}")
    assert "raise NotImplementedError" in sources[1] and "x + 1" not in sources[1]
    assert "x + 1" in nb.cells[2].source, "the input notebook must not be modified"


def test_unclosed_solution_block_is_an_error():
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("```{solution-start} ex-t\n```")]
    with pytest.raises(ValueError, match="never closed"):
        make_student_notebook(nb)


def test_cli_rejects_non_notebooks(tmp_path, capsys):
    with pytest.raises(SystemExit):
        main([str(tmp_path / "nothing.txt")])
    assert "not a notebook" in capsys.readouterr().err


@pytest.mark.parametrize("missing", INSTRUCTOR_MODULES)
def test_command_without_the_instructor_extra_says_how_to_install_it(missing, tmp_path):
    """rnncourse-student is installed with the package, the instructor extra (nbformat, nbgrader)
    is not: without it, the command pyproject.toml installs names the extra, no traceback."""
    target = re.search(r'^rnncourse-student = "([\w.]+):(\w+)"', (ROOT / "pyproject.toml").read_text(),
                       re.M)
    assert target, "pyproject.toml: expected the rnncourse-student entry point"
    code = (f"import sys; sys.modules[{missing!r}] = None  # as if not installed\n"
            f"import importlib; command = importlib.import_module({target[1]!r}).{target[2]}\n"
            f"sys.exit(command([{str(NOTEBOOKS[0])!r}, '-o', 'student']))")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path,
                          env=env, timeout=120)
    assert done.returncode == 1 and done.stdout == "", done.stderr
    assert done.stderr.startswith("rnncourse-student: making student notebooks needs the instructor "
                                  f"extra ({missing} is not installed): pip install"), done.stderr
    assert "[instructor]" in done.stderr and "Traceback" not in done.stderr
    assert not (tmp_path / "student").exists()


def test_help_works_without_the_instructor_extra(tmp_path):
    code = ("import sys; sys.modules['nbformat'] = sys.modules['nbgrader'] = None\n"
            "from rnncourse_tools import student_main; sys.exit(student_main(['--help']))")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path,
                          env=env, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("usage: rnncourse-student") and "instructor extra" in done.stdout
