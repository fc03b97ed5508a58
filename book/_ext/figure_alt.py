"""Sphinx extension: alt text for the notebooks' figures.

myst-nb turns a notebook's PNG output into an image with no alt text, which HTML then shows as
the file's path. ``rc.plots.book_style()`` writes a description of each figure (its titles and
axis labels) into the PNG's ``Description`` text chunk; this extension reads it back and sets
it as the image's alt text. An image without one gets "Figure (no description)" rather than a
path, and the build warns so that the missing description is noticed.
"""

from pathlib import Path

from docutils import nodes
from sphinx.util import logging

KEY = "Description"   # rnncourse.plots.DESCRIPTION_KEY
logger = logging.getLogger(__name__)


def _description(path: Path) -> str | None:
    from PIL import Image

    try:
        with Image.open(path) as im:
            return (getattr(im, "text", {}) or {}).get(KEY)
    except (OSError, ValueError):
        return None


def add_alt(app, doctree):
    for image in doctree.findall(nodes.image):
        if image.get("alt"):
            continue
        uri = image.get("uri", "")
        if not uri.endswith(".png"):
            continue
        # Sphinx's image collector (also on doctree-read) may already have made the uri
        # relative to the source folder; before it, "/..." is relative to the source folder
        # and anything else to the document's folder
        candidates = [Path(app.srcdir, uri.lstrip("/")),
                      Path(app.env.doc2path(app.env.docname)).parent / uri]
        path = next((p for p in candidates if p.is_file()), None)
        text = _description(path) if path else None
        if text:
            image["alt"] = text
        elif "jupyter_execute" in uri:    # a notebook figure drawn without rc.plots.book_style()
            logger.warning(f"figure without a description (alt text): {uri}; call "
                           "rc.plots.book_style() at the top of the notebook", location=image)


def setup(app):
    app.connect("doctree-read", add_alt)
    return {"parallel_read_safe": True, "parallel_write_safe": True, "version": "1"}
