"""Student notebooks: solutions removed, they run up to and through their exercises, and every
exercise check reports "not yet" on the stub (the student version command, chapter by chapter)."""

import nbformat
import pytest
from nbclient import NotebookClient

from rnncourse.student import main, make_student_notebook

from conftest import NOTEBOOKS, ROOT

ids = [p.stem for p in NOTEBOOKS]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=ids)
def test_student_version_runs_and_checks_fail_helpfully(path, tmp_path):
    assert main([str(path), "-o", str(tmp_path)]) == 0
    nb = nbformat.read(tmp_path / path.name, as_version=4)
    text = "\n".join(c.source for c in nb.cells)
    assert "### BEGIN SOLUTION" not in text and "BEGIN HIDDEN TESTS" not in text
    assert "{solution" not in text, "solution dropdowns must not reach students"
    stubs = [c for c in nb.cells if c.cell_type == "code" and "raise NotImplementedError" in c.source]
    assert stubs, "no stubbed exercise"
    NotebookClient(nb, timeout=600, kernel_name="python3",
                   resources={"metadata": {"path": str(ROOT / "notebooks")}}).execute()
    check_cells = [c for c in nb.cells if c.cell_type == "code" and "rc.checks." in c.source]
    assert len(check_cells) >= len(stubs) > 0
    for cell in check_cells:
        shown = "".join(
            o.get("text", "") + str(o.get("data", {}).get("text/plain", "")) for o in cell.outputs
        )
        assert "❌ not yet" in shown, f"a check did not report failure on the stub:\n{cell.source}\n{shown}"


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
