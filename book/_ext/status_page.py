"""Sphinx extension: the book's status page, from the run that produced the book's outputs.

The directive ``{execution-status}`` (used once, in ``book/status.md``) becomes a table with one
row per chapter: how long the notebook took to execute, when, and whether the tests
(``scripts/nbval_colab.py``, or ``tests/test_notebooks.py`` by hand) or the book build ran it; above it, the commit and the machine
(processor, cores, GPU) and the versions of Python, torch and numpy. The table is filled in when
the page is written, after every notebook has been read (executed or taken from the
jupyter-cache), from the cache record that matches each notebook's code exactly. The same facts
are written beside the book as ``status.json`` for anyone to read.

A chapter with no matching record (its outputs did not come from the cache) is a warning, an
error under ``-W``.
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
from datetime import timezone
from pathlib import Path

from docutils import nodes
from sphinx.util import logging
from sphinx.util.docutils import SphinxDirective

logger = logging.getLogger(__name__)
JSON_NAME = "status.json"


class status_placeholder(nodes.General, nodes.Element):
    """Replaced by the table when the page is written."""


class ExecutionStatus(SphinxDirective):
    has_content = False

    def run(self):
        return [status_placeholder()]


def _git(srcdir: str, *args: str) -> str:
    try:
        return subprocess.run(["git", *args], cwd=srcdir, capture_output=True, text=True,
                              check=True, timeout=20).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return ""


def _cpu() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def machine_facts(srcdir: str) -> dict:
    """The commit, the machine and the versions that the build ran with."""
    import numpy
    import torch

    commit = _git(srcdir, "rev-parse", "HEAD")
    dirty = bool(_git(srcdir, "status", "--porcelain", "--untracked-files=no"))
    gpu = torch.cuda.get_device_name(0) if torch.cuda.is_available() else "none"
    return {
        "commit": commit or "unknown (not a git checkout)",
        "uncommitted_changes": dirty,
        "cpu": _cpu(),
        "cores": os.cpu_count(),
        "gpu": gpu,
        "platform": platform.platform(),
        "python": platform.python_version(),
        "torch": torch.__version__,
        "numpy": numpy.__version__,
    }


def chapter_rows(cache_path: Path, notebooks: list[Path]) -> list[dict]:
    """One row per notebook: the cache record whose code matches the notebook now."""
    from jupyter_cache import get_cache
    from jupyter_cache.base import CachingError

    cache = get_cache(str(cache_path)) if cache_path.exists() else None
    rows = []
    for path in notebooks:
        row = {"notebook": path.name, "executed": None, "seconds": None, "run_by": None}
        if cache is not None:
            try:
                record = cache.match_cache_file(str(path))
            except (CachingError, KeyError):
                record = None
            if record is not None:
                created = record.created
                if created.tzinfo is None:
                    created = created.replace(tzinfo=timezone.utc)
                row["executed"] = created.isoformat(timespec="seconds")
                seconds = record.data.get("execution_seconds")
                row["seconds"] = round(float(seconds), 1) if seconds is not None else None
                row["run_by"] = "tests" if record.data.get("run") == "tests" else "book build"
        rows.append(row)
    return rows


def _status(app) -> dict:
    if not hasattr(app.env, "rnncourse_status"):
        cache_path = Path(app.config.nb_execution_cache_path or Path(app.outdir).parent / ".jupyter_cache")
        docnames = [d for d in app.env.found_docs if d.startswith("notebooks/")]
        notebooks = [Path(app.srcdir) / f"{d}.ipynb" for d in sorted(docnames)]
        rows = chapter_rows(cache_path, notebooks)
        for row, d in zip(rows, sorted(docnames)):
            row["docname"] = d
            row["title"] = app.env.titles[d].astext() if d in app.env.titles else d
        app.env.rnncourse_status = {"machine": machine_facts(app.srcdir), "chapters": rows}
    return app.env.rnncourse_status


def _table(rows: list[dict], builder, fromdoc: str) -> nodes.table:
    headers = ["chapter", "execution time (s)", "executed (UTC)", "run by"]
    table = nodes.table(classes=["rnncourse-status"])
    group = nodes.tgroup(cols=len(headers))
    table += group
    for _ in headers:
        group += nodes.colspec(colwidth=1)
    head = nodes.thead()
    group += head
    hrow = nodes.row()
    for h in headers:
        hrow += nodes.entry("", nodes.paragraph(text=h))
    head += hrow
    body = nodes.tbody()
    group += body
    for i, r in enumerate(rows, 1):
        row = nodes.row()
        link = nodes.reference("", f"{i}. {r['title']}", internal=True,
                               refuri=builder.get_relative_uri(fromdoc, r["docname"]))
        cells = [nodes.paragraph("", "", link),
                 nodes.paragraph(text="-" if r["seconds"] is None else f"{r['seconds']:.1f}"),
                 nodes.paragraph(text=(r["executed"] or "-").replace("T", " ").replace("+00:00", "")),
                 nodes.paragraph(text=r["run_by"] or "not from the cache")]
        for c in cells:
            row += nodes.entry("", c)
        body += row
    return table


def fill(app, doctree, docname):
    placeholders = list(doctree.findall(status_placeholder))
    if not placeholders:
        return
    status = _status(app)
    m = status["machine"]
    commit = m["commit"] + (" with uncommitted changes" if m["uncommitted_changes"] else "")
    facts = nodes.bullet_list()
    for label, value in (("commit", commit),
                         ("machine", f"{m['cpu']}, {m['cores']} cores, GPU: {m['gpu']}"),
                         ("platform", m["platform"]),
                         ("versions", f"Python {m['python']}, torch {m['torch']}, numpy {m['numpy']}")):
        item = nodes.list_item()
        para = nodes.paragraph()
        para += nodes.strong(text=f"{label}: ")
        para += nodes.literal(text=value) if label == "commit" else nodes.Text(value)
        item += para
        facts += item
    missing = [r["notebook"] for r in status["chapters"] if r["seconds"] is None]
    for name in missing:
        logger.warning(f"status_page: no jupyter-cache record matches notebooks/{name}; "
                       "its execution time is unknown", location=docname)
    for node in placeholders:
        node.replace_self([facts, _table(status["chapters"], app.builder, docname)])


def write_json(app, exception):
    if exception is not None or app.builder.name != "html" or not hasattr(app.env, "rnncourse_status"):
        return
    out = Path(app.outdir) / JSON_NAME
    status = app.env.rnncourse_status
    data = {"machine": status["machine"],
            "chapters": [{k: r[k] for k in ("notebook", "title", "seconds", "executed", "run_by")}
                         for r in status["chapters"]]}
    out.write_text(json.dumps(data, indent=1) + "\n")


def setup(app):
    app.add_node(status_placeholder)
    app.add_directive("execution-status", ExecutionStatus)
    app.connect("doctree-resolved", fill)
    app.connect("build-finished", write_json)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": False}
