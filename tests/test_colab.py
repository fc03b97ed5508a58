"""The Colab notebooks in colab/: up to date, plain Markdown, numbered like the book and the
checks, solutions only in the solution version, and an install cell that does what it says."""

import importlib
import importlib.util
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

import rnncourse as rc
from rnncourse_tools.colab import Book, Exercise, markdown_to_plain

from conftest import NOTEBOOKS, ROOT
from notebook_run import is_check, is_stub

sys.path.insert(0, str(ROOT / "scripts"))
import make_colab  # noqa: E402

ids = [p.stem for p in NOTEBOOKS]
MYST = re.compile(r"\{[a-z][\w:-]*\}`|^ {0,3}(`{3,}|:{3,})\{", re.M)


def _read(folder, path):
    return nbformat.read(ROOT / "colab" / folder / path.name, as_version=4)


def test_colab_notebooks_are_up_to_date(capsys):
    assert make_colab.main(["--check"]) == 0, capsys.readouterr().err


@pytest.mark.parametrize("folder", ["exercises", "solutions"])
@pytest.mark.parametrize("path", NOTEBOOKS, ids=ids)
def test_generated_notebook_is_plain_and_numbered_like_the_checks(path, folder):
    nb = _read(folder, path)
    source = nbformat.read(path, as_version=4)
    n_exercises = sum(c.source.count("{exercise}") for c in source.cells if c.cell_type == "markdown")
    text = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    left = [m.group(0) for m in MYST.finditer(text)]
    assert not left, f"MyST markup left in the notebook: {left}"
    chapter = int(path.name[:2])
    numbers = re.findall(r"^\*\*Exercise (\d+\.\d+)\*\*", text, re.M)
    assert numbers == [f"{chapter}.{k}" for k in range(1, n_exercises + 1)]
    assert all(not c.get("outputs") and c.get("execution_count") is None
               for c in nb.cells if c.cell_type == "code"), "outputs committed"
    assert not any("remove-cell" in c.metadata.get("tags", []) for c in nb.cells)
    # every check cell follows the exercise whose number the check prints
    current = None
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            found = re.findall(r"^\*\*Exercise (\d+\.\d+)\*\*", cell.source, re.M)
            current = found[-1] if found else current
        elif is_check(cell):
            name = re.match(r"rc\.checks\.(\w+)\.(\w+)\(", cell.source.strip())
            check = getattr(getattr(rc.checks, name.group(1)), name.group(2))
            assert check.exercise == current, (
                f"{cell.source.strip()} reports exercise {check.exercise}, but follows "
                f"Exercise {current} in the notebook")
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert "find_spec(\"rnncourse\")" in code[0].source
    assert "except ImportError" not in code[1].source and "import rnncourse as rc" in code[1].source


@pytest.mark.parametrize("path", NOTEBOOKS, ids=ids)
def test_solutions_only_in_the_solution_version(path):
    source = "\n".join(c.source for c in nbformat.read(path, as_version=4).cells)
    n_solutions = source.count("{solution-start}") + source.count("{solution}")
    exercises, solutions = _read("exercises", path), _read("solutions", path)
    ex_text = "\n".join(c.source for c in exercises.cells)
    sol_text = "\n".join(c.source for c in solutions.cells)
    assert "BEGIN SOLUTION" not in ex_text and "HIDDEN TESTS" not in ex_text
    assert "Solution to Exercise" not in ex_text
    assert sol_text.count("**Solution to Exercise") == n_solutions
    assert "HIDDEN TESTS" not in sol_text, "hidden tests are build-only (remove-cell)"
    assert ex_text.count("raise NotImplementedError()") == source.count("### BEGIN SOLUTION")
    assert any(map(is_stub, exercises.cells))


def _install_cell():
    return _read("exercises", NOTEBOOKS[0]).cells[2].source


@pytest.mark.parametrize("installed", [True, False])
def test_install_cell_installs_only_when_missing(installed, monkeypatch, capsys):
    calls = []

    def run(cmd, capture_output, text):
        calls.append(cmd)
        return subprocess.CompletedProcess(cmd, 0, "", "")
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name: object() if installed else None)
    monkeypatch.setattr(subprocess, "run", run)
    exec(_install_cell(), {})
    out = capsys.readouterr().out.strip().split("\n")
    assert len(out) == 1
    version = make_colab.project_version((ROOT / "pyproject.toml").read_text())
    if installed:
        assert calls == [] and "already installed" in out[0]
    else:
        spec = f"rnncourse @ git+https://github.com/rnncourse/rnncourse@v{version}"
        assert calls == [[sys.executable, "-m", "pip", "install", "--quiet", spec]]
        assert out == [f"installed {spec}"]


def test_install_cell_says_what_to_do_when_the_install_fails(monkeypatch, capsys):
    monkeypatch.setattr(importlib.util, "find_spec", lambda name: None)
    monkeypatch.setattr(subprocess, "run", lambda cmd, capture_output, text: subprocess.CompletedProcess(
        cmd, 1, "", "ERROR: Could not find a tag or branch 'v9.9.9'"))
    with pytest.raises(SystemExit, match=r"Could not install rnncourse .* run this cell again"):
        exec(_install_cell(), {})
    assert "Could not find a tag" in capsys.readouterr().out      # pip's own words, shown first


# -- the Markdown conversion on small inputs ----------------------------------------------------

@pytest.fixture
def book():
    b = Book(url="https://example.org/book/",
             bibliography={"Elman1990finding": ("Elman", "1990"),
                           "Cho2014learning": ("Cho et al.", "2014")},
             titles={"notebooks/01_a": "First", "book/setup": "Setup"})
    b.exercises["ex-one"] = Exercise("1.1", "ex-one", "One", "notebooks/01_a")
    b.by_doc["notebooks/01_a"] = [b.exercises["ex-one"]]
    return b


def test_roles(book):
    text = ("{cite:t}`Elman1990finding` and {cite}`Elman1990finding,Cho2014learning`; "
            "{cite:p}`Cho2014learning`. See {ref}`ex-one`, {numref}`ex-one`, "
            "{ref}`this one <ex-one>`, {doc}`../book/setup` and {math}`x^2`.")
    bib = "https://example.org/book/book/bibliography.html"
    page = "https://example.org/book/notebooks/01_a.html#ex-one"
    elman, cho = f"{bib}#cite-elman1990finding", f"{bib}#cite-cho2014learning"   # each entry
    assert markdown_to_plain(text, book, "notebooks/01_a") == (
        f"[Elman (1990)]({elman}) and ([Elman, 1990]({elman}); [Cho et al., 2014]({cho})); "
        f"([Cho et al., 2014]({cho})). See [1.1]({page}), [Exercise 1.1]({page}), "
        f"[this one]({page}), [Setup](https://example.org/book/book/setup.html) and $x^2$.")


def test_exercise_solution_and_admonition(book):
    text = ("````{exercise} One\n:label: ex-one\n\nWrite `f`:\n\n```python\n{cite}`not a role in code`\n```\n````\n"
            "```{solution} ex-one\n:class: dropdown\n\nBecause.\n```\n"
            "```{warning}\nCareful with $\\alpha$.\n```\n"
            "```{admonition} A title\nBody\n```")
    out = markdown_to_plain(text, book, "notebooks/01_a")
    assert out == ('---\n\n<a id="ex-one"></a>\n**Exercise 1.1** (One)\n\nWrite `f`:\n\n'
                   "```python\n{cite}`not a role in code`\n```\n"
                   "**Solution to Exercise 1.1**\n\nBecause.\n"
                   "> **Warning**\n>\n> Careful with $\\alpha$.\n"
                   "> **A title**\n>\n> Body")
    with pytest.raises(ValueError, match="left in the exercise version"):
        markdown_to_plain("```{solution} ex-one\nx\n```", book, "notebooks/01_a", solutions=False)


@pytest.mark.parametrize("text, message", [
    ("{cite}`Nobody2020`", "no entry 'Nobody2020' in the bibliography"),
    ("{ref}`nowhere`", "expected the label of an exercise or of a `(label)=` target"),
    ("{doc}`missing`", "expected one of the book's pages"),
    ("{glue:text}`x`", "unsupported role"),
    ("```{figure} a.png\n```", "unsupported directive {figure}"),
    ("```{note}\nnever closed", "not closed by ```"),
])
def test_bad_markup_is_a_clear_error(book, text, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        markdown_to_plain(text, book, "notebooks/01_a")


def test_check_script_reports_a_stale_and_an_extra_file(tmp_path, monkeypatch, capsys):
    """On a copy of the repository's sources, so that other tests see colab/ unchanged (what
    the script refuses to touch: tests/test_user_files.py); with chapter 1 alone (the script
    treats every chapter alike; test_colab_notebooks_are_up_to_date runs it on all)."""
    import shutil
    from rnncourse_tools.student import write_generated
    for name in ("notebooks", "book"):
        shutil.copytree(ROOT / name, tmp_path / name)
    for folder in ("exercises", "solutions"):
        (tmp_path / "colab" / folder).mkdir(parents=True)
        shutil.copy(ROOT / "colab" / folder / NOTEBOOKS[0].name, tmp_path / "colab" / folder)
    for name in ("_config.yml", "pyproject.toml"):
        shutil.copy(ROOT / name, tmp_path / name)
    monkeypatch.setattr(make_colab, "ROOT", tmp_path)
    book, where, notebooks = make_colab.settings(tmp_path)  # the book's scan, once
    assert notebooks[0].name == NOTEBOOKS[0].name
    monkeypatch.setattr(make_colab, "settings", lambda root=None: (book, where, notebooks[:1]))
    assert make_colab.main(["--force"]) == 0  # colab/ as committed may predate the markers
    target = tmp_path / "colab" / "exercises" / NOTEBOOKS[0].name
    stale = nbformat.reads(target.read_text().replace("Exercise 1.1", "Exercise 9.9"), as_version=4)
    write_generated(stale, target, make_colab.BY)  # as an older chapter made it
    write_generated(nbformat.v4.new_notebook(), tmp_path / "colab" / "solutions" / "99_old.ipynb",
                    make_colab.BY)  # a chapter that was renamed or removed
    capsys.readouterr()
    assert make_colab.main(["--check"]) == 1
    err = capsys.readouterr().err
    assert f"would rewrite colab/exercises/{NOTEBOOKS[0].name}" in err
    assert "would delete colab/solutions/99_old.ipynb" in err
    assert make_colab.main([]) == 0 and make_colab.main(["--check"]) == 0
    assert not (tmp_path / "colab" / "solutions" / "99_old.ipynb").exists()


def test_version_without_tomllib(monkeypatch):
    """Python 3.10 has no tomllib: tomli if installed, else a reading of the one line."""
    text = (ROOT / "pyproject.toml").read_text()
    expected = make_colab.project_version(text)
    monkeypatch.setattr(make_colab, "tomllib", None)
    assert make_colab.project_version(text) == expected
    assert make_colab.project_version(
        '[build-system]\nversion = "9"\n[project]\nname = "x"\nversion = "1.2.3"  # why\n') == "1.2.3"
    with pytest.raises(SystemExit, match="expected a line version"):
        make_colab.project_version('[tool.x]\nversion = "1"\n')



def test_book_only_text_is_dropped_and_repository_files_are_linked(book):
    book.source = "https://github.com/o/r/blob/v9.9.9/"
    book.files = frozenset({"benchmarks/x.py"})
    text = ("Predict, then run. <!-- book-only -->(The output is folded: open it.)<!-- /book-only -->"
            "<!-- colab: Write it down first. -->\n`benchmarks/x.py` measures it; `missing/y.py` "
            "and `x` stay code.\n```python\n`benchmarks/x.py`\n```")
    assert markdown_to_plain(text, book, "notebooks/01_a") == (
        "Predict, then run. Write it down first.\n"
        "[`benchmarks/x.py`](https://github.com/o/r/blob/v9.9.9/benchmarks/x.py) measures it; "
        "`missing/y.py` and `x` stay code.\n```python\n`benchmarks/x.py`\n```")


def test_generated_notebooks_say_nothing_about_the_books_page():
    for path in sorted((ROOT / "colab").glob("*/*.ipynb")):
        nb = nbformat.read(path, 4)
        text = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
        assert "is folded" not in text, f"{path.name}: Colab does not fold outputs"
        assert "book-only" not in text and "RNNCOURSE_SCALE=4`" in text, path.name
