"""Sphinx extension: a book that reads with the network cut.

**MathJax from the book's own files.** MathJax 3 (its ``es5`` build, with the CHTML fonts and
the components it loads on demand) comes from the PyPI package ``sphinx-mathjax-offline``
(installed by requirements.txt; the package cannot be loaded as a Sphinx extension itself, its
folder name has a hyphen). It is copied to ``_static/mathjax/`` and ``mathjax_path`` in
``_config.yml`` points there, so the reader's browser fetches nothing from a CDN.

**No Thebe.**
Jupyter Book 1 always loads ``sphinx_thebe``, and sphinx-book-theme gives it a configuration,
so every page would carry a Thebe script, its stylesheet, a ``text/x-thebe-config`` block and a
link to ``unpkg.com``, although the book offers no live kernels (its notebooks open in Colab).
This removes them: the raw Thebe nodes from each page, the Thebe scripts and stylesheet from
each page's head.
"""

from __future__ import annotations

import shutil
from importlib import metadata
from pathlib import Path

from docutils import nodes
from sphinx.errors import ExtensionError

MATHJAX_DIST = "sphinx-mathjax-offline"
MATHJAX_FOLDER = "sphinx-mathjax-offline/static/mathjax"


def mathjax_source() -> Path:
    """The folder of MathJax's es5 files in the installed PyPI package."""
    try:
        folder = Path(metadata.distribution(MATHJAX_DIST).locate_file(MATHJAX_FOLDER))
    except metadata.PackageNotFoundError:
        folder = None
    if folder is None or not (folder / "tex-chtml.js").is_file():
        raise ExtensionError(f"offline: expected MathJax 3 in the package {MATHJAX_DIST} "
                             f"({MATHJAX_FOLDER}/tex-chtml.js); run pip install -r requirements.txt")
    return folder


def check_mathjax(app, config):
    mathjax_source()
    if config.mathjax_path != "mathjax/tex-chtml.js":
        raise ExtensionError("offline: expected mathjax_path: mathjax/tex-chtml.js in _config.yml "
                             f"(the local copy), found {config.mathjax_path!r}")


def copy_mathjax(app, exception):
    if exception is None and app.builder.format == "html":
        shutil.copytree(mathjax_source(), Path(app.outdir) / "_static" / "mathjax", dirs_exist_ok=True)


def _is_thebe(text: str) -> bool:
    return "thebe" in text.lower() or text.strip().startswith("<script>kernelName =")


def drop_thebe_nodes(app, doctree, docname):
    for node in list(doctree.findall(nodes.raw)):
        if _is_thebe(node.astext()):
            node.parent.remove(node)


def drop_thebe_assets(app, pagename, templatename, context, doctree):
    for key in ("script_files", "css_files"):
        if key in context:
            context[key] = [a for a in context[key]
                            if not _is_thebe(str(a) + str(getattr(a, "attributes", {}).get("body", "")))]


def setup(app):
    app.connect("config-inited", check_mathjax)
    app.connect("build-finished", copy_mathjax)
    app.connect("doctree-resolved", drop_thebe_nodes, priority=900)      # after sphinx-thebe
    app.connect("html-page-context", drop_thebe_assets, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True, "version": "1"}
