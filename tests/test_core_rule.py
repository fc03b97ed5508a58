"""The rule that separates the core from the chapters (CONTRIBUTING.md, "Core and chapters").

The core holds the course's general tools (what a reader would reuse on their own sequences)
and the experiments two or more chapters share; a chapter module holds the rest of its
chapter. Concretely:

1. every public name of a core module is used by two or more chapters (notebook code cells,
   chapter modules, checks), or by another core module, or is listed in ``GENERAL_TOOLS`` below
   with the reason it belongs to the core although one chapter (or none) uses it today;
2. the modules of a shared experiment (``SHARED_EXPERIMENTS``) are used by at least the
   chapters that share them; their names may serve one of those chapters each;
3. a chapter module imports no other chapter's module (a companion ``chNN_<idea>.py`` of the
   same chapter is allowed): chapters share code through the core.

"Used" means named in code: ``module.name`` (``rc.cells.LSTMCell``, ``decode.greedy``,
``rc.data.shakespeare``) or ``from ...module import name``. The core importing no chapter code
is tests/test_layout.py's.
"""

import ast
import re
from collections import defaultdict
from pathlib import Path

import pytest

import rnncourse as rc

PKG = Path(rc.__file__).resolve().parent
ROOT = PKG.parent
# every chapter of the book, from its notebook's number (a 13th chapter is scanned too)
CHAPTERS = sorted({int(p.name[:2]) for p in (ROOT / "notebooks").glob("[0-9][0-9]_*.md")})

# Core modules whose names are not held to the rule (none today: the instructors' tools live in
# rnncourse_tools, the checks' machinery in rnncourse.checks; `_validate` is private).
NOT_CHECKED: set[str] = set()

# Code two or more chapters share as one experiment: module -> the chapters that share it.
SHARED_EXPERIMENTS = {
    "timeseries": {2, 3},     # the sunspot benchmark
    "pulse": {6, 7},          # the pulse converter
    "gradients": {5, 6},      # gradient norms against the lag
}

# General tools in the core that fewer than two chapters use by name today, and why they are
# core all the same. A name listed here that no longer exists fails the test (remove it).
GENERAL_TOOLS = {
    # the kinds a reader can name: Recurrent("lstm", ...) and make_cell look them up here
    "cells.CELLS": "the table of cell kinds by name (make_cell, Recurrent's kind)",
    # additive attention is a layer any encoder-decoder can use (chapter 10 uses it; chapter 11's
    # captioner writes its attention inline to show it step by step)
    "attention.additive_attention": "a layer, for any decoder",
    "attention.AdditiveAttention": "a layer, for any decoder",
    # decoding any step(tokens, state) decoder: chapter 9 samples, chapters 10 and 11 search
    "decode.sample": "decoding: sampling from any decoder",
    "decode.sampling_distribution": "decoding: temperature and top-k for any logits",
    "decode.index_state": "decoding: selects rows of any nested state (beam search, callers' states)",
    # the shipped data sets and text as ids
    "data.shakespeare": "a shipped data set (chapter 9)",
    "text.CharVocab": "text as ids, for any text",
    "text.split_text": "text as ids, for any text",
    "text.streams": "text as ids, for any text",
    # results over seeds and figures
    "tables.ResultsTable": "what results_table returns",
    "tables.format_mean_std": "mean ± std as text",
    "plots.plot_series": "a figure helper",
    "plots.plot_history": "a figure helper (training curves of any History)",
    "plots.BOOK_RC": "the book's figure style (book/_ext reads figures made with it)",
    "plots.DESCRIPTION_KEY": "the PNG chunk of a figure's alt text (book/_ext reads it)",
    "plots.describe_figure": "a figure's alt text (book/_ext)",
    "plots.figure_png": "a figure as PNG with its alt text (book/_ext)",
    # the cells, the layer and the training loop: parts of their interface
    "cells.ACTIVATIONS": "a cell's nonlinearity by name (also for cells outside the core: ch05's)",
    "cells.activation": "a cell's nonlinearity by name",
    "gradients.log_slope": "the decay rate read off gradient norms by lag",
    "train.lr_factor": "the learning-rate schedules of fit",
    "train.LR_SCHEDULES": "the learning-rate schedules of fit",
    "train.bucketed_order": "fit's length bucketing",
    "train.show_progress": "fit's progress bar",
    "train.detach_state": "truncated BPTT: cut a state's graph",
    "train.History": "what fit returns",
    "train.chunks": "fit's truncation: a batch of sequences cut into chunks",
    # utilities
    "utils.show_source": "shows a package object's source in a chapter",
    "utils.Source": "what show_source returns",
}


def _core_modules() -> dict[str, Path]:
    """Dotted name below rnncourse -> file, for every core module checked."""
    mods = {}
    for path in sorted(PKG.glob("*.py")) + sorted((PKG / "data").glob("*.py")):
        name = path.stem if path.parent == PKG else f"data.{path.stem}"
        if name == "data.__init__":
            name = "data"
        if name == "__init__" or name.split(".")[-1].startswith("_") or name in NOT_CHECKED:
            continue
        mods[name] = path
    return mods


def _public_names(path: Path) -> list[str]:
    """The names a module defines and exports (``__all__``, without re-exports of other modules)."""
    tree = ast.parse(path.read_text())
    defined = {n.name for n in tree.body if isinstance(n, (ast.FunctionDef, ast.ClassDef))}
    defined |= {t.id for n in tree.body if isinstance(n, (ast.Assign, ast.AnnAssign))
                for t in (n.targets if isinstance(n, ast.Assign) else [n.target])
                if isinstance(t, ast.Name)}
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", "") == "__all__" for t in node.targets):
            return [n for n in ast.literal_eval(node.value) if n in defined]
    return sorted(n for n in defined if not n.startswith("_"))


def _notebook_code(path: Path) -> str:
    """The code cells of a MyST notebook, IPython magics and shell lines dropped."""
    cells = re.findall(r"^```\{code-cell\}[^\n]*\n(.*?)^```", path.read_text(), re.S | re.M)
    lines = [ln for cell in cells for ln in cell.splitlines()
             if not ln.lstrip().startswith(("%", "!", ":tags:", ":"))]
    return "\n".join(lines)


def _chapter_sources(n: int) -> list[str]:
    srcs = [_notebook_code(p) for p in ROOT.glob(f"notebooks/{n:02d}_*.md")]
    srcs += [p.read_text() for p in (PKG / "chapters").glob(f"ch{n:02d}*.py")]
    srcs += [p.read_text() for p in (PKG / "checks").glob(f"ch{n:02d}.py")]
    return srcs


def _uses(source: str) -> set[tuple[str, str]]:
    """(module, name) pairs a source uses: ``module.name`` or ``from ...module import name``,
    with ``module`` the last part of the module's dotted name (aliases resolved)."""
    tree = ast.parse(source)
    alias, used = {}, set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            base = (node.module or "").split(".")[-1]
            for a in node.names:
                used.add((base, a.name))
                alias[a.asname or a.name] = a.name      # `from .. import data as rcdata`
        elif isinstance(node, ast.Import):
            for a in node.names:
                alias[a.asname or a.name.split(".")[0]] = a.name.split(".")[-1]
        elif (isinstance(node, ast.Assign) and len(node.targets) == 1
              and isinstance(node.targets[0], ast.Name) and isinstance(node.value, ast.Attribute)):
            alias[node.targets[0].id] = node.value.attr          # `G = rc.gradients`
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute):
            owner = node.value
            last = owner.attr if isinstance(owner, ast.Attribute) else getattr(owner, "id", None)
            if last is not None:
                used.add((alias.get(last, last), node.attr))
    return used


def _names_of(module: str) -> set[str]:
    """How code names a core module: its last part, ``data`` for what data re-exports and
    ``rnncourse`` (``rc``) for what the package re-exports from utils (``rc.device()``)."""
    return ({module.split(".")[-1]} | ({"data"} if module.startswith("data.") else set())
            | ({"rnncourse"} if module == "utils" else set()))


@pytest.fixture(scope="module")
def usage():
    """(module, name) -> the chapters that use it, and the set used by the core itself."""
    by_chapter = defaultdict(set)
    for n in CHAPTERS:
        for src in _chapter_sources(n):
            for pair in _uses(src):
                by_chapter[pair].add(n)
    by_core = defaultdict(set)
    for module, path in _core_modules().items():
        for pair in _uses(path.read_text()):
            if not (module == "data" and pair[0] in {"tasks", "text"}):   # re-exports are no use
                by_core[pair].add(module)
    return by_chapter, by_core


def test_every_core_name_serves_two_chapters_or_is_a_listed_general_tool(usage):
    by_chapter, by_core = usage
    broken = {}
    for module, path in _core_modules().items():
        short = module.split(".")[-1]
        shared = SHARED_EXPERIMENTS.get(module)
        for name in _public_names(path):
            chapters = set().union(*(by_chapter.get((m, name), set()) for m in _names_of(module)))
            core = set().union(*(by_core.get((m, name), set()) for m in _names_of(module))) - {module}
            if (len(chapters) >= 2 or core or shared or f"{short}.{name}" in GENERAL_TOOLS
                    or f"{module}.{name}" in GENERAL_TOOLS):
                continue
            broken[f"{module}.{name}"] = sorted(chapters)
    assert not broken, (
        "core names used by fewer than two chapters (chapter numbers in brackets): "
        f"{broken}. Move each into its chapter's module (rnncourse/chapters/chNN.py), or, if it is "
        "a general tool a reader would reuse, list it in GENERAL_TOOLS with the reason")


def test_shared_experiments_are_used_by_the_chapters_that_share_them(usage):
    by_chapter, _ = usage
    for module, chapters in SHARED_EXPERIMENTS.items():
        names = _public_names(_core_modules()[module])
        users = set().union(*(by_chapter.get((module, n), set()) for n in names))
        assert chapters <= users, (module, sorted(users))


def test_the_general_tools_list_names_only_what_exists():
    mods = _core_modules()
    public = {f"{m.split('.')[-1]}.{n}" for m, p in mods.items() for n in _public_names(p)}
    public |= {f"{m}.{n}" for m, p in mods.items() for n in _public_names(p)}
    stale = sorted(set(GENERAL_TOOLS) - public)
    assert not stale, f"GENERAL_TOOLS lists names the core no longer has (remove them): {stale}"


def test_no_chapter_module_imports_another_chapters_module():
    offenders = {}
    for path in sorted((PKG / "chapters").glob("ch*.py")):
        own = path.stem[:4]                                   # ch10 for ch10.py and ch10_dates.py
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom):
                names = [node.module or ""] + [f"{node.module or ''}.{a.name}" for a in node.names]
            elif isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            else:
                continue
            other = {m for n in names for m in re.findall(r"\bch\d\d\w*", n) if m[:4] != own}
            if other:
                offenders.setdefault(path.name, set()).update(other)
    assert not offenders, f"chapter modules import other chapters' modules: {offenders}"


def test_the_rule_sees_real_use():
    """The scanner finds known uses, so that a silent parser can not make the rule pass."""
    by_chapter = defaultdict(set)
    for n in CHAPTERS:
        for src in _chapter_sources(n):
            for pair in _uses(src):
                by_chapter[pair].add(n)
    assert len(CHAPTERS) >= 12 and {3, 4, 8} <= by_chapter[("train", "fit")]
    assert {10, 11} <= by_chapter[("decode", "greedy")]
    assert len(_core_modules()) >= 15
