"""The package's architecture: the core never imports chapter code."""

import ast
import re
from pathlib import Path

import rnncourse as rc

PKG = Path(rc.__file__).resolve().parent


def _core_modules():
    for path in sorted(PKG.rglob("*.py")):
        rel = path.relative_to(PKG)
        if rel.parts[0] == "chapters":
            continue                       # chapter code
        if rel.parts[0] == "checks" and rel.name != "__init__.py":
            continue                       # one chapter's exercise checks
        yield rel, path


def _imports(path):
    tree = ast.parse(path.read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            base = "." * node.level + (node.module or "")
            yield from (f"{base}.{a.name}" for a in node.names)
            yield base
        elif isinstance(node, ast.Import):
            yield from (a.name for a in node.names)


def test_no_core_module_imports_chapter_code():
    offenders = {str(rel): [i for i in _imports(path) if "chapters" in i]
                 for rel, path in _core_modules()}
    offenders = {k: v for k, v in offenders.items() if v}
    assert not offenders, f"core modules import rnncourse.chapters: {offenders}"
    assert len(list(_core_modules())) >= 15   # the walk really saw the core


def test_every_chapter_module_is_named_after_its_chapter():
    names = sorted(p.stem for p in (PKG / "chapters").glob("ch*.py"))
    # chNN.py, or a companion chNN_<idea>.py that holds a second idea of the same chapter
    assert names and all(re.fullmatch(r"ch\d\d(_[a-z0-9]+)?", n) for n in names), names
    notebooks = {p.name[:2] for p in (PKG.parent / "notebooks").glob("[0-9][0-9]_*.ipynb")}
    assert {n[2:4] for n in names} <= notebooks
