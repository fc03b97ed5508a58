"""No user's work is lost: the generators write and delete only files they wrote themselves.

scripts/make_colab.py, its --nbgrader-source mode and rnncourse-student mark every notebook they
write (metadata ``rnncourse``: the generator, the file name and a fingerprint of the cells). A
student's edited ``colab/exercises/06_lstm.ipynb``, their ``06_lstm_mywork.ipynb`` (a copy of the
generated notebook) and ``my_answers.txt`` survive; an edited notebook stops the script, which
names it and ``--force`` and writes nothing; ``--check`` never writes into the tree.
All on a copy of the repository's sources, so other tests see the real colab/ unchanged.
"""

from __future__ import annotations

import hashlib
import shutil
import sys
from pathlib import Path

import nbformat
import pytest

from rnncourse_tools import student
from rnncourse_tools.student import generated_state, write_generated

from conftest import NOTEBOOKS, ROOT

sys.path.insert(0, str(ROOT / "scripts"))
import make_colab  # noqa: E402

LSTM = next(p.name for p in NOTEBOOKS if p.name.startswith("06_"))


CHAPTERS = (NOTEBOOKS[0].name, LSTM)  # chapters 1 and 6 are enough here


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    """A copy of the sources make_colab.py reads, with the Colab notebooks of CHAPTERS generated
    in it, and make_colab's settings (the book's scan, read once)."""
    root = tmp_path_factory.mktemp("repo")
    for name in ("notebooks", "book"):
        shutil.copytree(ROOT / name, root / name)
    for name in ("_config.yml", "pyproject.toml"):
        shutil.copy(ROOT / name, root / name)
    book, target, _ = make_colab.settings(root)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(make_colab, "ROOT", root)
        mp.setattr(make_colab, "settings", lambda r=None: (book, target, _chapters(root)))
        assert make_colab.main([]) == 0
    return root, book, target


def _chapters(root: Path) -> list[Path]:
    return [root / "notebooks" / name for name in CHAPTERS]


@pytest.fixture
def repo(generated, tmp_path, monkeypatch):
    source, book, target = generated
    root = tmp_path / "repo"
    shutil.copytree(source, root)
    monkeypatch.setattr(make_colab, "ROOT", root)
    monkeypatch.setattr(make_colab, "settings", lambda r=None: (book, target, _chapters(root)))
    return root


def snapshot(root: Path) -> dict:
    return {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


def students_work(root: Path) -> dict:
    """Edit an exercise, duplicate a notebook, add notes and a checkpoint folder in colab/exercises."""
    ex = root / "colab" / "exercises"
    nb = nbformat.read(ex / LSTM, as_version=4)
    (ex / LSTM.replace(".ipynb", "_mywork.ipynb")).write_text(nbformat.writes(nb))  # Jupyter's "Duplicate"
    stub = next(c for c in nb.cells if "raise NotImplementedError" in c.source)
    stub.source = stub.source.replace("raise NotImplementedError()", "return 'MY SOLUTION'")
    nbformat.write(nb, ex / LSTM)
    (ex / "my_answers.txt").write_text("7.2: the forget gate\n")
    (ex / ".ipynb_checkpoints").mkdir()
    (ex / ".ipynb_checkpoints" / f"{LSTM[:-6]}-checkpoint.ipynb").write_text(nbformat.writes(nb))
    return {p: p.read_bytes() for p in ex.rglob("*") if p.is_file()}


def test_make_colab_refuses_to_overwrite_a_students_work_and_writes_nothing(repo, capsys):
    work = students_work(repo)
    stale = repo / "colab" / "solutions" / NOTEBOOKS[0].name
    stale.write_text(stale.read_text().replace("Exercise 1.1", "Exercise 9.9"))
    before = snapshot(repo)
    assert make_colab.main([]) == 1
    err = capsys.readouterr().err
    assert f"refusing to overwrite {repo / 'colab' / 'exercises' / LSTM}" in err
    assert "--force" in err and "nothing was written" in err
    assert snapshot(repo) == before, "a refused run must write nothing"


def test_make_colab_regenerates_around_a_students_files(repo, capsys):
    work = students_work(repo)
    edited = repo / "colab" / "exercises" / LSTM
    edited.unlink()  # the student moved the edited notebook away (or it was never edited)
    del work[edited]
    (repo / "colab" / "solutions" / "99_old.ipynb").write_text("{}")  # not ours either
    assert make_colab.main([]) == 0, capsys.readouterr().err
    assert "left alone (not generated here)" in capsys.readouterr().out
    for path, data in work.items():
        assert path.read_bytes() == data, f"{path} changed"
    assert (repo / "colab" / "solutions" / "99_old.ipynb").read_text() == "{}"
    assert generated_state(edited) == "generated"


def test_force_overwrites_an_edited_notebook_and_deletes_a_stale_one(repo, capsys):
    students_work(repo)
    old = repo / "colab" / "solutions" / "99_old.ipynb"  # a chapter that no longer exists
    write_generated(nbformat.v4.new_notebook(), old, make_colab.BY)
    assert make_colab.main(["--force"]) == 0
    assert "deleted colab/solutions/99_old.ipynb" in capsys.readouterr().out
    assert "MY SOLUTION" not in (repo / "colab" / "exercises" / LSTM).read_text()
    assert (repo / "colab" / "exercises" / "my_answers.txt").exists()
    assert (repo / "colab" / "exercises" / LSTM.replace(".ipynb", "_mywork.ipynb")).exists()


def test_make_colab_refuses_a_notebook_it_did_not_write(repo, capsys):
    dest = repo / "colab" / "exercises" / NOTEBOOKS[0].name
    nb = nbformat.read(dest, as_version=4)
    del nb.metadata["rnncourse"]  # a student's own notebook under a chapter's name
    nbformat.write(nb, dest)
    assert make_colab.main([]) == 1
    assert "not written by this generator" in capsys.readouterr().err


def test_check_compares_in_a_temporary_folder_and_never_writes_into_the_tree(repo, capsys, tmp_path):
    students_work(repo)
    target = repo / "colab" / "exercises" / NOTEBOOKS[0].name
    target.write_text(target.read_text().replace("Exercise 1.1", "Exercise 9.9"))
    before = snapshot(repo)
    assert make_colab.main(["--check"]) == 1
    err = capsys.readouterr().err
    assert f"would rewrite colab/exercises/{NOTEBOOKS[0].name}" in err
    assert f"would rewrite colab/exercises/{LSTM}" in err  # edited: out of date, not deleted
    assert "my_answers" not in err and "_mywork" not in err
    out = tmp_path / "generated"
    assert make_colab.main(["--check", "--out", str(out)]) == 1
    assert snapshot(repo) == before
    assert len(list((out / "colab" / "solutions").glob("*.ipynb"))) == len(CHAPTERS)


def test_nbgrader_source_refuses_to_overwrite_an_edited_source(repo, tmp_path, capsys):
    source = tmp_path / "course" / "source"
    args = ["--nbgrader-source", str(source), "--only", "01"]
    assert make_colab.main(args) == 0 and make_colab.main(args) == 0  # unchanged: fine
    dest = source / "ch01" / NOTEBOOKS[0].name
    nb = nbformat.read(dest, as_version=4)
    nb.cells[0].source += "\n\nINSTRUCTOR EDIT"
    nbformat.write(nb, dest)
    assert make_colab.main(args) == 1
    err = capsys.readouterr().err
    assert f"refusing to overwrite {dest}" in err and "--force" in err
    assert "INSTRUCTOR EDIT" in dest.read_text()
    assert make_colab.main(args + ["--force"]) == 0
    assert "INSTRUCTOR EDIT" not in dest.read_text()


def test_student_command_refuses_its_source_folder(tmp_path, capsys):
    notebooks = tmp_path / "notebooks"
    notebooks.mkdir()
    shutil.copy(NOTEBOOKS[0], notebooks / NOTEBOOKS[0].name)
    before = snapshot(notebooks)
    with pytest.raises(SystemExit):
        student.main([str(notebooks), "-o", str(notebooks)])
    assert "holds the notebook" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        student.main([str(notebooks / NOTEBOOKS[0].name), "-o", str(tmp_path / "." / "notebooks")])
    assert snapshot(notebooks) == before


def test_student_command_keeps_edited_student_notebooks(tmp_path, capsys):
    out = tmp_path / "student"
    assert student.main([str(NOTEBOOKS[0]), "-o", str(out)]) == 0
    assert student.main([str(NOTEBOOKS[0]), "-o", str(out)]) == 0  # its own file: replaced
    dest = out / NOTEBOOKS[0].name
    nb = nbformat.read(dest, as_version=4)
    stub = next(c for c in nb.cells if "raise NotImplementedError" in c.source)
    stub.source = stub.source.replace("raise NotImplementedError()", "return 'STUDENT WORK'")
    nbformat.write(nb, dest)
    capsys.readouterr()
    assert student.main([str(NOTEBOOKS[0]), "-o", str(out)]) == 1
    err = capsys.readouterr().err
    assert f"refusing to overwrite {dest}" in err and "--force" in err and "nothing was written" in err
    assert "STUDENT WORK" in dest.read_text()
    assert student.main([str(NOTEBOOKS[0]), "-o", str(out), "--force"]) == 0
    assert "STUDENT WORK" not in dest.read_text()


def test_generated_state(tmp_path):
    dest = tmp_path / "a.ipynb"
    assert generated_state(dest) == "missing"
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x = 1")])
    assert write_generated(nb, dest, "test") and not write_generated(nb, dest, "test")
    assert generated_state(dest) == "generated"
    nb = nbformat.read(dest, as_version=4)
    nb.cells[0].outputs = [nbformat.v4.new_output("stream", text="ran")]  # running is not editing
    nbformat.write(nb, dest)
    assert generated_state(dest) == "generated"
    shutil.copy(dest, tmp_path / "copy.ipynb")
    assert generated_state(tmp_path / "copy.ipynb") == "foreign"  # a copy is the user's
    nb.cells[0].source = "x = 2"
    nbformat.write(nb, dest)
    assert generated_state(dest) == "edited"
    (tmp_path / "notes.txt").write_text("mine")
    assert generated_state(tmp_path / "notes.txt") == "foreign"
    assert generated_state(tmp_path) == "foreign"
