"""Print the book to one PDF: the single-page HTML build, typeset by MathJax in headless Chromium.

    python scripts/build_pdf.py                 # _build/singlehtml -> _build/html/rnncourse.pdf
    python scripts/build_pdf.py --check         # then check the PDF (also run by scripts/test.sh)

scripts/build_book.sh runs ``jupyter-book build . --builder singlehtml`` (the same sources and
notebook outputs as the HTML book, from the same jupyter-cache) and then this script, which
serves that page on 127.0.0.1 only, waits until MathJax has typeset every formula, opens every
folded block (hidden code, exercise solutions) so that the printout has everything the web page
can show, and prints it with Chromium (``page.pdf``): A4, page numbers in the footer, a PDF
outline (bookmarks) from the headings, and the page's links, which stay links (internal ones
jump within the PDF). The PDF lands beside the HTML book, which links it from every page.

``--check`` reads the PDF's text layer back (``pypdf``) and fails unless it has every chapter's
title, at least as many images as the chapters have figures, no raw TeX (``\\frac``, ``$$``) and
an outline entry per chapter.
"""

from __future__ import annotations

import argparse
import functools
import http.server
import json
import re
import sys
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SINGLE = ROOT / "_build" / "singlehtml"
OUT = ROOT / "_build" / "html" / "rnncourse.pdf"
FOOTER = ('<div style="font-size:8px;width:100%;text-align:center;color:#555">'
          'Recurrent neural networks: an executable course &middot; '
          '<span class="pageNumber"></span> / <span class="totalPages"></span></div>')


def chromium() -> str:
    sys.path.insert(0, str(ROOT / "tests" / "browser"))
    from test_book_in_browser import chromium_path  # the browser test's search for Chromium
    path = chromium_path()
    if path is None:
        sys.exit("build_pdf: no Chromium found (apt-get install chromium, or set RNNCOURSE_CHROMIUM)")
    return path


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):   # no line per request
        pass


#: The page as printed: the article alone at the full width of the paper (no sidebars, header
#: or footer of the web page), and long lines of code and output wrapped instead of cut off.
PRINT_CSS = """
.bd-header, .bd-header-article, .bd-sidebar-primary, .bd-sidebar-secondary, .bd-footer,
.bd-footer-content, .prev-next-area, .rnncourse-pdf { display: none !important; }
.bd-container, .bd-container__inner, .bd-main, .bd-content, .bd-article-container, .bd-article,
.bd-page-width { max-width: 100% !important; width: 100% !important; margin: 0 !important; }
pre, div.highlight pre, .cell_output pre, .output pre { white-space: pre-wrap !important;
  overflow-wrap: anywhere; overflow: visible !important; }
div.cell, div.cell_input, div.cell_output, figure, img { break-inside: avoid; }
"""


def serve(folder: Path):
    handler = functools.partial(_QuietHandler, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def print_pdf(single: Path, out: Path) -> None:
    from playwright.sync_api import sync_playwright

    if not (single / "index.html").is_file():
        sys.exit(f"build_pdf: no single-page build in {single} "
                 "(run jupyter-book build . --builder singlehtml first)")
    # The single page is written as book/preface.html (named after the book's root, to which
    # index.html redirects), but its links to _static/ and _images/ are relative to the build's
    # top folder: print a copy that sits there.
    m = re.search(r'url=([^"]+)"', (single / "index.html").read_text())
    page_file = single / (m.group(1) if m else "index.html")
    printed = single / "book-print.html"
    printed.write_text(page_file.read_text())
    server = serve(single)
    url = f"http://127.0.0.1:{server.server_address[1]}/{printed.name}"
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=chromium(), headless=True)
            page = browser.new_page()
            # nothing but the local server: the printout must not depend on the network
            page.route(re.compile(r"^(?!http://127\.0\.0\.1:).*"), lambda route: route.abort())
            page.goto(url, wait_until="load", timeout=300_000)
            page.wait_for_function("() => window.MathJax && MathJax.startup && MathJax.startup.promise",
                                   timeout=120_000)
            page.evaluate("() => MathJax.startup.promise")
            raw = page.evaluate("() => document.querySelectorAll('mjx-merror').length")
            if raw:
                sys.exit(f"build_pdf: MathJax could not typeset {raw} formulas")
            page.evaluate("() => document.querySelectorAll('details').forEach(d => d.open = true)")
            page.emulate_media(media="print")
            page.add_style_tag(content=PRINT_CSS)
            out.parent.mkdir(parents=True, exist_ok=True)
            page.pdf(path=str(out), format="A4", print_background=True, outline=True, tagged=True,
                     display_header_footer=True, header_template="<div></div>",
                     footer_template=FOOTER,
                     margin={"top": "16mm", "bottom": "18mm", "left": "14mm", "right": "14mm"})
            browser.close()
    finally:
        server.shutdown()
    print(f"build_pdf: wrote {out.relative_to(ROOT)} ({out.stat().st_size / 1e6:.1f} MB)")


def chapter_titles() -> list[str]:
    titles = []
    for nb in sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb")):
        for cell in json.loads(nb.read_text())["cells"]:
            if cell["cell_type"] == "markdown":
                m = re.search(r"^# (.+)$", "".join(cell["source"]), flags=re.M)
                if m:
                    titles.append(m.group(1).strip())
                    break
    return titles


def check(out: Path) -> list[str]:
    """What is wrong with the PDF (an empty list if nothing)."""
    from pypdf import PdfReader

    reader = PdfReader(str(out))
    text = "\n".join(page.extract_text() or "" for page in reader.pages)
    flat = re.sub(r"\s+", " ", text)
    problems = []
    for title in chapter_titles():
        if re.sub(r"\s+", " ", title) not in flat:
            problems.append(f"chapter title not in the PDF's text: {title!r}")
    for raw in (r"\frac", r"\mathbf", r"\begin{", "$$"):
        if raw in text:
            problems.append(f"raw TeX in the PDF's text: {raw!r} (MathJax did not typeset it)")
    images = sum(len(page.images) for page in reader.pages)
    figures = sum(1 for nb in (ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb")
                  for cell in json.loads(nb.read_text())["cells"]
                  if cell["cell_type"] == "code" and re.search(r"\bplt\.(show|subplots|figure)\b",
                                                               "".join(cell["source"])))
    if images < max(1, figures // 2):
        problems.append(f"only {images} images in the PDF for about {figures} figure cells")
    outline = [o.title for o in reader.outline if not isinstance(o, list)] if reader.outline else []
    flat_outline = re.sub(r"\s+", "", "".join(_walk(reader.outline)))
    for title in chapter_titles():
        if re.sub(r"\s+", "", title) not in flat_outline:
            problems.append(f"no outline entry for chapter {title!r}")
    print(f"build_pdf: {len(reader.pages)} pages, {images} images, "
          f"{len(outline)} top-level outline entries, {out.stat().st_size / 1e6:.1f} MB")
    return problems


def _walk(outline) -> list[str]:
    out = []
    for o in outline or []:
        out += _walk(o) if isinstance(o, list) else [o.title]
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--check", action="store_true", help="check the PDF after printing it")
    ap.add_argument("--check-only", action="store_true", help="check an existing PDF, print nothing")
    ap.add_argument("--single", type=Path, default=SINGLE, help="the single-page build (folder)")
    ap.add_argument("--out", type=Path, default=OUT, help="the PDF to write")
    args = ap.parse_args(argv)
    if not args.check_only:
        print_pdf(args.single, args.out)
    if args.check or args.check_only:
        problems = check(args.out)
        for p in problems:
            print(f"build_pdf: {p}", file=sys.stderr)
        return 1 if problems else 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
