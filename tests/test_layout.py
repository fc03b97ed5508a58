"""The package's architecture: the core loads only itself.

``import rnncourse`` loads the core modules and nothing else of the course: no chapter module
(``rnncourse.chapters``), no exercise check (``rnncourse.checks``), no instructors' tool
(``rnncourse_tools``, nbformat, nbgrader). The checks and chapter modules load when a notebook
first uses them (``rc.checks.ch05.name(...)``). No core module imports them, in any form and
anywhere in its file (inside a function too); naming them in a string (a docstring, a message
such as "convert with rc.chapters.ch07.switch_convention") is fine.
"""

import ast
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

import rnncourse as rc

PKG = Path(rc.__file__).resolve().parent
ROOT = PKG.parent
NOT_CORE = ("rnncourse.chapters", "rnncourse.checks", "rnncourse_tools")
TOOLING = ("nbformat", "nbgrader", "nbclient", "nbconvert", "jupytext")


def _python(code: str) -> str:
    """Run ``code`` in a fresh interpreter that imports this checkout's package; its stdout."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                          cwd=ROOT, timeout=300)
    assert done.returncode == 0, done.stderr
    return done.stdout


def _is_within(name: str, packages) -> bool:
    return any(name == p or name.startswith(p + ".") for p in packages)


@pytest.fixture(scope="module")
def fresh():
    """What a fresh interpreter loads on ``import rnncourse``, then on first using a check and a
    chapter module (one interpreter for both tests: starting one imports torch)."""
    return json.loads(_python(
        "import json, sys\n"
        "import rnncourse as rc\n"
        "after_import = sorted(sys.modules)\n"
        "listed = [n for n in dir(rc.checks) if n.startswith('ch0')]\n"
        "result = rc.checks.ch02.nmse(lambda y, y_hat, variance: 0.0)\n"
        "switch = rc.chapters.ch07.switch_convention\n"
        "print(json.dumps(dict(file=rc.__file__, after_import=after_import, dir=dir(rc),\n"
        "    listed=listed, passed=bool(result), after_use=sorted(sys.modules))))"))


def test_import_rnncourse_loads_only_the_core(fresh):
    assert Path(fresh["file"]).resolve() == PKG / "__init__.py"        # this checkout's package
    loaded = fresh["after_import"]
    ours = [m for m in loaded if _is_within(m, ("rnncourse", "rnncourse_tools"))]
    assert "rnncourse.cells" in ours and "rnncourse.train" in ours    # the core did load
    assert not [m for m in ours if _is_within(m, NOT_CORE)], ours
    assert not [m for m in loaded if _is_within(m, TOOLING)]
    core = {".".join(("rnncourse",) + rel.with_suffix("").parts).removesuffix(".__init__")
            for rel, _ in _core_modules()}
    assert set(ours) <= core, set(ours) - core


def test_checks_and_chapters_load_when_first_used(fresh):
    assert "checks" in fresh["dir"] and "chapters" in fresh["dir"]      # tab completion sees them
    assert fresh["listed"][:3] == ["ch01", "ch02", "ch03"]             # and the chapters' checks
    assert not fresh["passed"]                                         # a check ran: "not yet"
    loaded = fresh["after_use"]
    assert "rnncourse.checks.ch02" in loaded and "rnncourse.chapters.ch07" in loaded
    assert "rnncourse.checks.ch05" not in loaded                       # only what was used
    assert rc.chapters.ch10_dates.__name__ == "rnncourse.chapters.ch10_dates"   # a companion
    assert "ch10_dates" in dir(rc.chapters)
    with pytest.raises(AttributeError, match="the chapters with checks are ch01"):
        rc.checks.ch5                                                  # a typo: the names that exist


# -- no core module imports chapters, checks or tooling -------------------------------------------

def _core_modules():
    """(path relative to rnncourse/, path) of every core module: all but chapters/ and checks/."""
    for path in sorted(PKG.rglob("*.py")):
        rel = path.relative_to(PKG)
        if rel.parts[0] not in ("chapters", "checks"):
            yield rel, path


def imports_of(source: str, package: str):
    """(line, module) for every import in ``source``, a module of ``package``: ``import a.b``,
    ``from a import b`` (both ``a`` and ``a.b``), relative imports resolved, at any depth
    (inside functions too), and ``importlib.import_module(...)`` / ``__import__(...)`` calls,
    whose module is None unless it is a string constant."""
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            yield from ((node.lineno, a.name) for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = package.split(".")
            base = ".".join(base[:len(base) - node.level + 1]) if node.level else ""
            base = ".".join(p for p in (base, node.module) if p)
            yield node.lineno, base
            yield from ((node.lineno, f"{base}.{a.name}") for a in node.names)
        elif isinstance(node, ast.Call):
            f = node.func
            name = f.attr if isinstance(f, ast.Attribute) else getattr(f, "id", None)
            if name in ("import_module", "__import__"):
                arg = node.args[0] if node.args else None
                text = arg.value if isinstance(arg, ast.Constant) and isinstance(arg.value, str) else None
                if text and text.startswith(".") and len(node.args) > 1:
                    text = None                       # relative to a package given at run time
                yield node.lineno, text


def test_the_import_finder_sees_every_form_and_no_string():
    source = '''
"""Convert with rc.chapters.ch07.switch_convention (a string is not an import)."""
import importlib
import rnncourse.chapters.ch01
from . import checks
from .checks.ch01 import x
def f():
    from ..chapters import ch07
    importlib.import_module("rnncourse_tools.colab")
    return __import__(name), "from rnncourse.chapters import ch02"
'''
    found = list(imports_of(source, "rnncourse.data"))
    assert (5, "rnncourse.data.checks") in found and (6, "rnncourse.data.checks.ch01.x") in found
    assert (4, "rnncourse.chapters.ch01") in found and (8, "rnncourse.chapters.ch07") in found
    assert (9, "rnncourse_tools.colab") in found and (10, None) in found
    assert not [line for line, _ in found if line in (2, 10) and _]       # strings are not imports
    assert (5, "rnncourse.checks") in imports_of("\n\n\n\nfrom . import checks", "rnncourse")


def test_no_core_module_imports_chapters_checks_or_tooling():
    offenders, dynamic = {}, {}
    for rel, path in _core_modules():
        package = ".".join(("rnncourse",) + rel.parent.parts)
        for line, name in imports_of(path.read_text(), package):
            if name is None:
                dynamic.setdefault(str(rel), []).append(line)
            elif _is_within(name, NOT_CORE) or _is_within(name, TOOLING):
                offenders.setdefault(str(rel), []).append(f"line {line}: {name}")
    assert not offenders, f"core modules import chapter, check or tooling code: {offenders}"
    # the one import of a name computed at run time: rnncourse/__init__.py's __getattr__, which
    # loads rc.checks and rc.chapters on first use (test_import_rnncourse_loads_only_the_core)
    assert list(dynamic) == ["__init__.py"] and len(dynamic["__init__.py"]) == 1, dynamic
    assert len(list(_core_modules())) >= 15   # the walk really saw the core


def reaches_of(source: str):
    """(line, text) for every attribute chain in code (not in strings) that reaches into the
    chapters or checks, such as ``rc.chapters.ch07.switch_convention`` after ``import rnncourse
    as rc``: that loads chapter code at run time without an import statement."""
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Attribute) and node.attr in ("chapters", "checks"):
            yield node.lineno, ast.unparse(node)


def test_no_core_module_reaches_into_chapters_or_checks_through_an_attribute():
    sample = 'import rnncourse as rc\n"""rc.chapters.ch07 in a string"""\ndef f():\n    return rc.chapters.ch07.f\n'
    assert [line for line, _ in reaches_of(sample)] == [4]          # the code, not the string
    offenders = {}
    for rel, path in _core_modules():
        if rel.name == "__init__.py" and len(rel.parts) == 1:
            continue        # the package's own lazy loader names them (imported on first use)
        found = list(reaches_of(path.read_text()))
        if found:
            offenders[str(rel)] = found
    assert not offenders, f"core modules use chapter or check code through attributes: {offenders}"


def test_every_chapter_module_is_named_after_its_chapter():
    names = sorted(p.stem for p in (PKG / "chapters").glob("ch*.py"))
    # chNN.py, or a companion chNN_<idea>.py that holds a second idea of the same chapter
    assert names and all(re.fullmatch(r"ch\d\d(_[a-z0-9]+)?", n) for n in names), names
    notebooks = {p.name[:2] for p in (PKG.parent / "notebooks").glob("[0-9][0-9]_*.ipynb")}
    assert {n[2:4] for n in names} <= notebooks
