"""Sphinx extension: each chapter page offers its Colab notebooks and its executed notebook.

Under the title of every page built from ``notebooks/NN_topic.ipynb`` it adds a line with
"Open in Colab: exercises", "Open in Colab: with solutions" (the notebooks in ``colab/``,
written by ``scripts/make_colab.py``, opened at the release tag ``v<version>`` of
pyproject.toml, the package their install cell pins) and "Download the
executed notebook" (the notebook as the build executed it, copied next to the page from
myst-nb's ``jupyter_execute`` folder). The chapter sources stay untouched.

A chapter without both Colab notebooks, or without an executed notebook, is a build warning
(an error under ``-W``): run ``python scripts/make_colab.py``.
"""

from __future__ import annotations

import html
import re
import shutil
from pathlib import Path

from sphinx.util import logging

logger = logging.getLogger(__name__)
CHAPTER = re.compile(r"notebooks/(?P<name>\d\d_[\w-]+)")
FOLDERS = {"exercises": "colab/exercises", "solutions": "colab/solutions"}


def release(srcdir: str) -> str:
    """The package version in pyproject.toml: the Colab links open the notebooks at tag
    v<version>, the release whose package their install cell pins (scripts/make_colab.py)."""
    text = (Path(srcdir) / "pyproject.toml").read_text()
    m = re.search(r'^version\s*=\s*"([^"]+)"', text, flags=re.M)
    if not m:
        raise ValueError('colab_links: expected a line version = "X.Y.Z" in pyproject.toml')
    return m.group(1)


def _colab(app, folder: str, name: str) -> str:
    options = app.config.html_theme_options
    repo = options.get("repository_url", "").rstrip("/")
    m = re.fullmatch(r"https://github\.com/([^/]+/[^/]+)", repo)
    if not m:
        raise ValueError(f"colab_links: expected repository.url https://github.com/<owner>/<repo>, got {repo!r}")
    ref = f"v{release(app.srcdir)}"   # the tag whose package the notebooks' install cell pins
    return f"https://colab.research.google.com/github/{m.group(1)}/blob/{ref}/{folder}/{name}.ipynb"


def add_links(app, pagename, templatename, context, doctree):
    m = CHAPTER.fullmatch(pagename)
    if not m or "body" not in context:
        return
    name = m.group("name")
    missing = [f"{d}/{name}.ipynb" for d in FOLDERS.values() if not (Path(app.srcdir) / d / f"{name}.ipynb").exists()]
    if missing:
        logger.warning(f"colab_links: {pagename}: missing {', '.join(missing)}; run python scripts/make_colab.py",
                       location=pagename)
        return
    executed = Path(app.outdir).parent / "jupyter_execute" / "notebooks" / f"{name}.ipynb"
    links = [(_colab(app, FOLDERS["exercises"], name), "Open in Colab: exercises", "colab-exercises"),
             (_colab(app, FOLDERS["solutions"], name), "Open in Colab: with solutions", "colab-solutions")]
    if executed.exists():
        dest = Path(app.outdir) / "_notebooks" / f"{name}.ipynb"
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(executed, dest)
        links.append((context["pathto"](f"_notebooks/{name}.ipynb", 1), "Download the executed notebook",
                      "download-executed"))
    else:
        logger.warning(f"colab_links: {pagename}: no executed notebook at {executed}", location=pagename)
    items = " · ".join(
        f'<a class="reference external {cls}" href="{html.escape(href)}"'
        + ("" if cls == "download-executed" else ' target="_blank" rel="noopener"')
        + (f' download="{name}.ipynb"' if cls == "download-executed" else "")
        + f">{text}</a>" for href, text, cls in links)
    block = f'<p class="chapter-notebooks">{items}</p>'
    body = context["body"]
    end = body.find("</h1>")
    context["body"] = body[:end + 5] + "\n" + block + body[end + 5:] if end >= 0 else block + body


def setup(app):
    app.connect("html-page-context", add_links)
    return {"parallel_read_safe": True, "parallel_write_safe": True, "version": "1"}
