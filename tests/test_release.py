"""One version everywhere: pyproject.toml, rnncourse.__version__, the install cell of every Colab
notebook (tag v<version>) and every Colab link (blob/v<version>/); and scripts/release.py run in
a scratch clone bumps them all, writes the CHANGELOG and makes an annotated tag."""

import json
import re
import subprocess
import sys

import pytest

import rnncourse
from conftest import ROOT

sys.path.insert(0, str(ROOT / "scripts"))
sys.path.insert(0, str(ROOT / "book" / "_ext"))
import colab_links  # noqa: E402
import make_colab  # noqa: E402


def _version():
    return make_colab.project_version((ROOT / "pyproject.toml").read_text())


def _pins_and_links(folder):
    pins, links = set(), set()
    for path in sorted((folder / "colab").glob("*/*.ipynb")):
        text = "\n".join("".join(c["source"]) for c in json.loads(path.read_text())["cells"])
        pins |= set(re.findall(r"git\+https://github\.com/[^@\s\"]+@(v[^\s\"]+)", text))
        links |= set(re.findall(r"colab\.research\.google\.com/github/[^/]+/[^/]+/blob/([^/]+)/", text))
    return pins, links


def test_version_pin_and_links_agree():
    version = _version()
    assert rnncourse.__version__ == version, "rnncourse/__init__.py and pyproject.toml disagree"
    pins, links = _pins_and_links(ROOT)
    assert pins == {f"v{version}"}, f"install cells pin {pins}, pyproject.toml says {version}"
    assert links == {f"v{version}"}, f"Colab links open {links}, expected blob/v{version}/"
    assert colab_links.release(str(ROOT)) == version     # the book's links use the same tag


def _git(cwd, *args):
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True).stdout


@pytest.mark.skipif(not (ROOT / ".git").exists(), reason="needs the git repository")
def test_release_in_a_scratch_clone(tmp_path):
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", str(ROOT), str(clone)], check=True)
    _git(clone, "config", "user.email", "test@example.org")
    _git(clone, "config", "user.name", "release test")
    old = make_colab.project_version((clone / "pyproject.toml").read_text())
    major, minor, patch = map(int, old.split("."))
    new = f"{major}.{minor + 1}.0"
    env_cmd = [sys.executable, "scripts/release.py"]
    bad = subprocess.run(env_cmd + [old], cwd=clone, capture_output=True, text=True)
    assert bad.returncode != 0 and "newer than the current" in bad.stderr
    (clone / "README.md").write_text("edited\n")                  # uncommitted change: refused
    dirty = subprocess.run(env_cmd + [new], cwd=clone, capture_output=True, text=True)
    assert dirty.returncode != 0 and "uncommitted changes" in dirty.stderr
    _git(clone, "checkout", "--", "README.md")
    done = subprocess.run(env_cmd + [new], cwd=clone, capture_output=True, text=True,
                          env={"PYTHONPATH": str(clone), "PATH": "/usr/bin:/bin"})
    assert done.returncode == 0, done.stdout + done.stderr
    assert _git(clone, "cat-file", "-t", f"v{new}").strip() == "tag"          # annotated
    assert _git(clone, "status", "--porcelain", "--untracked-files=no") == ""
    assert f'version = "{new}"' in (clone / "pyproject.toml").read_text()
    assert f'__version__ = "{new}"' in (clone / "rnncourse" / "__init__.py").read_text()
    assert _pins_and_links(clone) == ({f"v{new}"}, {f"v{new}"})
    changelog = (clone / "CHANGELOG.md").read_text()
    assert f"## v{new} (" in changelog and "- " in changelog
    again = subprocess.run(env_cmd + [new], cwd=clone, capture_output=True, text=True)
    assert again.returncode != 0                                    # the tag exists now
