"""scripts/new_chapter.py: the skeleton of a new chapter, created in a temporary copy of the
repository's wiring (never in the repository itself), follows the notebook conventions, passes
its own tests and the garbage-answer tests, and is never written over existing files."""

import importlib.util
import itertools
import shutil
import subprocess
import sys

import pytest
import yaml

from conftest import ROOT

import test_checks_garbage as garbage
import test_device
import test_notebook_files

NN, SLUG, TITLE = "99", "test_topic", "A test chapter"
STEM = f"{NN}_{SLUG}"
CREATED = [f"notebooks/{STEM}.md", f"notebooks/{STEM}.ipynb", f"rnncourse/chapters/ch{NN}.py",
           f"rnncourse/checks/ch{NN}.py", f"tests/test_ch{NN}.py", f"tests/test_checks_ch{NN}.py"]


def _repo(tmp_path):
    """The files the script reads, copied into ``tmp_path``."""
    (tmp_path / "notebooks").mkdir()
    shutil.copy(ROOT / "_toc.yml", tmp_path / "_toc.yml")
    return tmp_path


def _run(root, *args):
    return subprocess.run([sys.executable, str(ROOT / "scripts" / "new_chapter.py"), *args,
                           "--root", str(root)], capture_output=True, text=True)


def _snapshot(root):
    return {p.relative_to(root): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def _load(name, path, monkeypatch):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, name, module)
    spec.loader.exec_module(module)
    return module


def _run_tests(module):
    """Call every ``test_*`` function of a generated test module, parametrized ones once per
    case; returns how many ran."""
    count = 0
    for name, fn in vars(module).items():
        if not name.startswith("test_") or not callable(fn):
            continue
        marks = [m for m in getattr(fn, "pytestmark", []) if m.name == "parametrize"]
        cases = [{}]
        for mark in marks:
            names = [n.strip() for n in mark.args[0].split(",")]
            values = [v if len(names) > 1 else (v,) for v in mark.args[1]]
            cases = [{**c, **dict(zip(names, v))} for c, v in itertools.product(cases, values)]
        for case in cases:
            fn(**case)
            count += 1
    return count


@pytest.fixture(scope="module")
def created(tmp_path_factory):
    root = _repo(tmp_path_factory.mktemp("repo"))
    result = _run(root, NN, SLUG, TITLE)
    return root, result


def test_it_creates_the_chapters_files_and_says_so(created):
    root, result = created
    assert result.returncode == 0, result.stderr
    for rel in CREATED:
        assert (root / rel).is_file(), rel
        assert f"created {rel}" in result.stdout, result.stdout
    assert "changed _toc.yml" in result.stdout and "Still to do" in result.stdout
    toc = yaml.safe_load((root / "_toc.yml").read_text())
    files = [ch["file"] for part in toc["parts"] for ch in part["chapters"]]
    chapters = [f for f in files if f.startswith("notebooks/")]
    assert chapters[-1] == f"notebooks/{STEM}" and chapters[:-1] == sorted(chapters[:-1])
    assert not list((ROOT / "notebooks").glob(f"{NN}_*")), "the repository itself was changed"


def test_the_notebook_follows_the_conventions(created):
    root, _ = created
    md, ipynb = root / "notebooks" / f"{STEM}.md", root / "notebooks" / f"{STEM}.ipynb"
    assert md.read_text().split("---\n", 2)[2].lstrip().startswith(f"# {TITLE}\n")
    test_notebook_files.test_jupytext_pair_in_sync(ipynb)
    test_notebook_files.test_no_committed_outputs(ipynb)
    test_notebook_files.test_first_code_cell_bootstraps_rnncourse(ipynb)
    test_notebook_files.test_structure_objectives_summary_exercises(ipynb)
    test_notebook_files.test_solution_markers_balanced(ipynb)
    test_device.test_a_notebook_sets_device_only_if_it_uses_it(md)
    text = md.read_text()
    assert f"rc.checks.ch{NN}.running_mean(running_mean)" in text
    assert "### BEGIN HIDDEN TESTS" in text and ":tags: [remove-cell]" in text


def test_its_tests_and_the_garbage_tests_pass(created, monkeypatch):
    root, _ = created
    _load(f"rnncourse.chapters.ch{NN}", root / "rnncourse" / "chapters" / f"ch{NN}.py", monkeypatch)
    checks = _load(f"rnncourse.checks.ch{NN}", root / "rnncourse" / "checks" / f"ch{NN}.py",
                   monkeypatch)
    chapter_tests = _load(f"test_ch{NN}", root / "tests" / f"test_ch{NN}.py", monkeypatch)
    check_tests = _load(f"test_checks_ch{NN}", root / "tests" / f"test_checks_ch{NN}.py",
                        monkeypatch)
    assert _run_tests(chapter_tests) >= 2 and _run_tests(check_tests) >= 3

    found, problems = garbage.discover([checks])
    assert not problems and list(found) == [f"{int(NN)}.1 running_mean"]
    (check, solutions, accepts), = found.values()
    assert check(*solutions)
    cases = 0
    for kind, value in garbage.CONSTANTS.items():
        garbage.assert_helpful_failure(check(lambda *args, value=value: value))
        cases += 1
    for kind, broken in garbage.BROKEN.items():
        garbage.assert_helpful_failure(check(broken(garbage._arity(solutions[0]))))
        cases += 1
    for kind, (applies, spoil) in garbage.DERIVED.items():
        if applies(accepts):
            garbage.assert_helpful_failure(check(garbage._spoiled(solutions[0], spoil)))
            cases += 1
    assert cases >= 25


def test_it_never_writes_over_a_chapter(created):
    root, _ = created
    before = _snapshot(root)
    again = _run(root, NN, "other_name", "Another title")
    assert again.returncode != 0 and "never overwrites" in again.stderr, again.stderr
    assert f"notebooks/{STEM}.md" in again.stderr
    assert _snapshot(root) == before


def test_one_existing_file_stops_it_before_it_writes_anything(tmp_path):
    root = _repo(tmp_path)
    (root / "tests").mkdir()
    mine = root / "tests" / f"test_checks_ch{NN}.py"
    mine.write_text("# a user's own tests\n")
    before = _snapshot(root)
    result = _run(root, NN, SLUG, TITLE)
    assert result.returncode != 0 and f"tests/test_checks_ch{NN}.py" in result.stderr
    assert _snapshot(root) == before


@pytest.mark.parametrize("args, words", [
    (("0", "x", "T"), "1 to 99"),
    (("14", "Bad-Slug", "T"), "the slug must be"),
    (("14", "ok", " "), "one-line title"),
])
def test_bad_arguments_are_refused_with_what_was_expected(tmp_path, args, words):
    root = _repo(tmp_path)
    result = _run(root, *args)
    assert result.returncode != 0 and words in result.stderr, result.stderr


def test_a_step_that_fails_half_way_leaves_nothing_behind(tmp_path, monkeypatch):
    """jupytext failing after the files are written: the script removes what it created and
    leaves _toc.yml as it was, so the chapter can be created again."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("new_chapter", ROOT / "scripts" / "new_chapter.py")
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    root = _repo(tmp_path)
    mine = root / "notebooks" / "my_notes.md"
    mine.write_text("a student's own file")
    toc = (root / "_toc.yml").read_text()

    def fail(*args, **kwargs):
        raise subprocess.CalledProcessError(1, args[0])

    monkeypatch.setattr(script.subprocess, "run", fail)
    with pytest.raises(subprocess.CalledProcessError):
        script.create(int(NN), "random_walks", "Random walks", root)
    left = sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())
    assert left == ["_toc.yml", "notebooks/my_notes.md"]
    assert (root / "_toc.yml").read_text() == toc and mine.read_text() == "a student's own file"
