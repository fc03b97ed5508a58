"""Sphinx extension: small fixes to sphinx-book-theme's pages.

* A light colour mode by default: with no ``default_mode`` the theme's script logs the console
  error "Got invalid theme mode" on every page (the browser test fails on console errors).
* One search box: the theme puts a search field in the sidebar and a search button in the page
  header; the sidebar keeps the logo, the icon links and the table of contents only
  (``html_sidebars``; the header's button, also on Ctrl+K, stays).
* The book's own stylesheet, ``book/_static/rnncourse.css`` (code cells that wrap instead of
  scrolling sideways).
"""

from pathlib import Path

STATIC = Path(__file__).resolve().parents[1] / "_static"

SIDEBAR = ["navbar-logo.html", "icon-links.html", "sbt-sidebar-nav.html"]


def configure(app, config):
    config.html_context = {**config.html_context, "default_mode": "light"}  # pydata-sphinx-theme
    if not config.html_sidebars:
        config.html_sidebars = {"**": SIDEBAR}
    config.html_static_path = [*config.html_static_path, str(STATIC)]


def setup(app):
    app.connect("config-inited", configure)
    app.add_css_file("rnncourse.css")
    return {"parallel_read_safe": True, "parallel_write_safe": True, "version": "1"}
