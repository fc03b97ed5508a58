"""book/_ext/status_page.py: the rows of the status page come from the jupyter-cache record that
matches each notebook's code, with its execution time and who ran it."""

import sys

import nbformat

from conftest import ROOT

sys.path.insert(0, str(ROOT / "book" / "_ext"))

import status_page  # noqa: E402


def _notebook(path, code):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(code)]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, path)
    return nb


def test_rows_from_the_matching_cache_record(tmp_path):
    from jupyter_cache import get_cache
    from jupyter_cache.base import CacheBundleIn

    a, b = tmp_path / "01_a.ipynb", tmp_path / "02_b.ipynb"
    nb = _notebook(a, "x = 1")
    _notebook(b, "y = 2")
    cache = get_cache(str(tmp_path / "cache"))
    nb.cells[0].outputs = []
    cache.cache_notebook_bundle(CacheBundleIn(nb, str(a), data={"run": "tests", "execution_seconds": 12.34}),
                                check_validity=False)
    rows = status_page.chapter_rows(tmp_path / "cache", [a, b])
    assert rows[0]["notebook"] == "01_a.ipynb" and rows[0]["seconds"] == 12.3
    assert rows[0]["run_by"] == "tests" and rows[0]["executed"].endswith("+00:00")
    assert rows[1]["seconds"] is None and rows[1]["run_by"] is None      # no record for b
    _notebook(a, "x = 3")                                                # the code changed
    assert status_page.chapter_rows(tmp_path / "cache", [a])[0]["seconds"] is None
    assert status_page.chapter_rows(tmp_path / "missing", [a])[0]["seconds"] is None


def test_machine_facts(root):
    facts = status_page.machine_facts(str(root))
    assert facts["cores"] >= 1 and facts["python"].count(".") == 2
    assert set(facts) >= {"commit", "cpu", "gpu", "torch", "numpy", "platform"}
