"""The committed notebooks follow the conventions of CONTRIBUTING.md (read, not executed)."""

import re

import jupytext
import nbformat
import pytest
import yaml

from conftest import NOTEBOOKS, ROOT

ids = [p.stem for p in NOTEBOOKS]


def test_there_are_chapters():
    assert len(NOTEBOOKS) >= 3


def _cells(nb):
    return [(c.cell_type, c.source.strip(), sorted(c.metadata.get("tags", []))) for c in nb.cells]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=ids)
def test_jupytext_pair_in_sync(path):
    md = path.with_suffix(".md")
    assert md.exists(), f"{path.name} has no jupytext pair {md.name}"
    from_md = jupytext.read(md)
    from_ipynb = nbformat.read(path, as_version=4)
    assert _cells(from_md) == _cells(from_ipynb), (
        f"{path.name} and {md.name} differ: run `jupytext --sync {md.relative_to(ROOT)}`"
    )


@pytest.mark.parametrize("path", NOTEBOOKS, ids=ids)
def test_no_committed_outputs(path):
    nb = nbformat.read(path, as_version=4)
    dirty = [i for i, c in enumerate(nb.cells) if c.cell_type == "code" and (c.outputs or c.execution_count)]
    assert not dirty, f"{path.name}: cells {dirty} carry outputs; commit notebooks without outputs"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=ids)
def test_first_code_cell_bootstraps_rnncourse(path):
    nb = nbformat.read(path, as_version=4)
    first = next(c for c in nb.cells if c.cell_type == "code").source
    assert "import rnncourse as rc" in first and "git+https://" in first
    assert "rc.set_seed(" in first
    assert "cuda" not in first
    # device = rc.device() only in a chapter that uses it (tests/test_device.py checks which:
    # chapters 1-3 keep their tiny models on the CPU and have no device line), and then in the
    # first cell, where CONTRIBUTING.md puts it.
    rest = "\n".join(c.source for c in nb.cells if c.cell_type == "code" and c.source != first)
    if "rc.device()" in rest:
        assert "device = rc.device()" in first, f"{path.name}: set device = rc.device() in the first cell"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=ids)
def test_structure_objectives_summary_exercises(path):
    nb = nbformat.read(path, as_version=4)
    text = "\n".join(c.source for c in nb.cells)
    assert re.search(r"learning objectives", text, re.I), "no learning objectives"
    assert re.search(r"^#+ .*summary", text, re.I | re.M), "no summary section"
    labels = re.findall(r"\{exercise\}.*\n:label: (ex-\S+)", text)
    assert len(labels) >= 4, f"only {len(labels)} labelled exercises"
    for label in labels:
        assert re.search(r"\{solution(-start)?\} " + re.escape(label), text), f"{label} has no solution"
    assert "{cite" in text, "the chapter cites nothing"
    code = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    hard = re.findall(r"\.cuda\(\)|device\(\s*[\"']cuda|device\s*=\s*[\"']cuda|to\(\s*[\"']cuda", code)
    assert not hard, f"hard-coded cuda (use rc.device()): {hard}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=ids)
def test_solution_markers_balanced(path):
    nb = nbformat.read(path, as_version=4)
    for c in nb.cells:
        assert c.source.count("### BEGIN SOLUTION") == c.source.count("### END SOLUTION")
        assert c.source.count("### BEGIN HIDDEN TESTS") == c.source.count("### END HIDDEN TESTS")


def test_every_notebook_is_in_the_toc():
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    files = {ch["file"] for part in toc["parts"] for ch in part["chapters"]}
    for path in NOTEBOOKS:
        assert f"notebooks/{path.stem}" in files, f"{path.name} is not in _toc.yml"
