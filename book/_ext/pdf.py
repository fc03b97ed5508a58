"""Sphinx extension: the book as one PDF.

Every page of the HTML book gets a link to ``rnncourse.pdf`` at the top (written beside the book
by ``scripts/build_pdf.py``, which ``scripts/build_book.sh`` runs after the HTML build).

The PDF is printed from the single-page HTML build (``--builder singlehtml``), which must render
every node the multi-page build renders.

Some extensions register HTML visitors for the ``singlehtml`` builder by name; once one does,
Sphinx no longer falls back to the ``html`` visitors for that builder, and nodes registered only
for ``html`` (myst-nb's hidden-code-cell node, for instance) fail with "unknown node type". This
copies every ``html`` visitor that ``singlehtml`` lacks when the builder starts.

Sphinx also adds MathJax only to pages whose own document has equations, and the single page
is named after the preface, which has none: here every asset goes on every page.
"""

from __future__ import annotations


def share_html_visitors(app):
    if app.builder.name != "singlehtml":
        return
    handlers = app.registry.translation_handlers
    single = handlers.setdefault("singlehtml", {})
    for node, visitors in handlers.get("html", {}).items():
        single.setdefault(node, visitors)
    app.set_html_assets_policy("always")


PDF_NAME = "rnncourse.pdf"


def add_pdf_link(app, pagename, templatename, context, doctree):
    if app.builder.name != "html" or "body" not in context:
        return
    href = context["pathto"](PDF_NAME, 1)
    context["body"] = (f'<p class="rnncourse-pdf"><a class="reference external" href="{href}">'
                       'The whole book as one PDF</a></p>\n' + context["body"])


def setup(app):
    app.connect("builder-inited", share_html_visitors)
    app.connect("html-page-context", add_pdf_link)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
