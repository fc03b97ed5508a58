"""The built book, read in a real browser with the network cut.

Run after the book build (scripts/test.sh does): ``python -m pytest tests/browser``. It serves
``_build/html`` (or ``$RNNCOURSE_BOOK_HTML``) on 127.0.0.1, drives Chromium through Playwright
(headless; every request not to 127.0.0.1 is blocked and counted as a failure) and checks every
page: no console errors, every formula typeset by the book's own MathJax (no raw ``\\(`` or
``$`` left, no TeX errors), every image loaded, every internal link and anchor resolves, every
solution collapsed until its toggle is clicked, the chapter's Colab links pointing at notebooks
that exist in the repository. It saves a screenshot of each chapter in ``_build/screenshots/``.

Chromium: ``$RNNCOURSE_CHROMIUM`` or /usr/bin/chromium (Debian), chromium-browser, google-chrome.
Without one the tests skip, unless ``RNNCOURSE_REQUIRE_BROWSER=1`` (set by scripts/test.sh when
it could install Chromium), which makes a missing browser a failure.
"""

from __future__ import annotations

import functools
import http.server
import os
import re
import shutil
import threading
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit

import pytest

ROOT = Path(__file__).resolve().parents[2]
SITE = Path(os.environ.get("RNNCOURSE_BOOK_HTML", ROOT / "_build" / "html")).resolve()
SHOTS = ROOT / "_build" / "screenshots"
REQUIRE = os.environ.get("RNNCOURSE_REQUIRE_BROWSER") == "1"


def _missing(reason: str):
    if REQUIRE:
        pytest.fail(reason + " (RNNCOURSE_REQUIRE_BROWSER=1)")
    pytest.skip(reason)


def _pages() -> list[str]:
    if not (SITE / "index.html").is_file():
        return []
    pages = [p.relative_to(SITE).as_posix() for p in SITE.rglob("*.html")
             if not p.relative_to(SITE).parts[0].startswith("_")]
    return sorted(pages)


PAGES = _pages()
CHAPTER = re.compile(r"notebooks/(\d\d_[\w-]+)\.html")


def chromium_path() -> str | None:
    for candidate in (os.environ.get("RNNCOURSE_CHROMIUM"), "/usr/bin/chromium",
                      shutil.which("chromium"), shutil.which("chromium-browser"),
                      shutil.which("google-chrome")):
        if candidate and Path(candidate).is_file():
            return candidate
    return None


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def server():
    if not PAGES:
        _missing(f"no built book in {SITE}: run bash scripts/build_book.sh first")
    handler = functools.partial(_Quiet, directory=str(SITE))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/"
    httpd.shutdown()


@pytest.fixture(scope="module")
def browser():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _missing("Playwright is not installed (pip install playwright)")
    executable = chromium_path()
    if executable is None:
        _missing("no Chromium found (apt-get install chromium, or set RNNCOURSE_CHROMIUM)")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=executable, headless=True)
        yield b
        b.close()


@pytest.fixture
def visit(browser, server):
    """Open a page with the network cut; returns (page, console errors, blocked requests)."""
    contexts = []

    def open_page(path):
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        contexts.append(context)
        blocked, errors = [], []

        def route(r):
            if urlsplit(r.request.url).hostname == "127.0.0.1":
                r.continue_()
            else:
                blocked.append(r.request.url)
                r.abort()

        context.route("**/*", route)
        page = context.new_page()
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(server + path, wait_until="load")
        if path == "index.html":  # Jupyter Book's start page redirects to the root page
            page.wait_for_url("**/book/preface.html", wait_until="load")
        # MathJax 3 (deferred script): wait until it has typeset the page
        page.wait_for_function("() => !document.querySelector('.math') || "
                               "(window.MathJax && MathJax.startup && MathJax.startup.promise)")
        page.evaluate("() => window.MathJax && MathJax.startup ? MathJax.startup.promise : null")
        return page, errors, blocked

    yield open_page
    for c in contexts:
        c.close()


class _Anchors(HTMLParser):
    def __init__(self):
        super().__init__()
        self.ids = set()

    def handle_starttag(self, tag, attrs):
        for k, v in attrs:
            if k in ("id", "name") and v:
                self.ids.add(v)


@functools.lru_cache(maxsize=None)
def anchors(path: Path) -> frozenset:
    parser = _Anchors()
    parser.feed(path.read_text(encoding="utf-8", errors="replace"))
    return frozenset(parser.ids)


RAW_MATH_JS = r"""() => {
  const skip = (n) => n.closest('pre, code, script, style, mjx-container, .highlight, .output');
  const walker = document.createTreeWalker(document.querySelector('main') || document.body || document.documentElement,
                                           NodeFilter.SHOW_TEXT);
  const found = [];
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    const t = n.textContent;
    if (!skip(n.parentElement) && (/\\\(|\\\[|\$\$|\$[^$\s][^$]*\$/.test(t))) found.push(t.trim().slice(0, 80));
  }
  return found;
}"""


def check_page(path, page, errors, blocked, server, site=SITE, repo=ROOT, shots=SHOTS) -> list[str]:
    """Everything wrong with the open page ``path`` of the book in ``site``, as sentences."""
    problems = []
    if errors:
        problems.append(f"console errors: {errors}")
    if blocked:
        problems.append(f"requests to other hosts (the book must read offline): {sorted(set(blocked))}")

    # formulas: every .math element typeset, no TeX error, no raw delimiters left
    math = page.evaluate("""() => {
        const all = [...document.querySelectorAll('.math')];
        return {n: all.length, typeset: all.filter(e => e.querySelector('mjx-container')).length,
                errors: [...document.querySelectorAll('mjx-merror')].map(e => e.textContent)};
    }""")
    if math["typeset"] != math["n"]:
        problems.append(f"{math['n'] - math['typeset']} of {math['n']} formulas not typeset")
    if math["errors"]:
        problems.append(f"TeX errors: {math['errors']}")
    wide_math = page.evaluate("""() => [...document.querySelectorAll('mjx-container[display="true"]')]
        .filter(m => m.firstElementChild && m.firstElementChild.getBoundingClientRect().width
                     > m.getBoundingClientRect().width + 1)
        .map(m => m.textContent.slice(0, 40))""")
    if wide_math:
        problems.append(f"display equations wider than the column: {wide_math}")
    raw = page.evaluate(RAW_MATH_JS)
    if raw:
        problems.append(f"raw math delimiters in the text: {raw[:5]}")

    # images: loaded and not empty
    images = page.evaluate("""async () => {
        const imgs = [...document.querySelectorAll('main img, article img')];
        await Promise.all(imgs.map(i => i.decode().catch(() => null)));
        return imgs.map(i => ({src: i.getAttribute('src'), w: i.naturalWidth, ok: i.complete,
                               shown: i.clientWidth, shownH: i.clientHeight, h: i.naturalHeight,
                               alt: i.getAttribute('alt') || '',
                               output: !!i.closest('.cell_output')}));
    }""")
    bad = [i["src"] for i in images if not (i["ok"] and i["w"] > 0)]
    if bad:
        problems.append(f"images not loaded: {bad}")
    no_alt = [i["src"] for i in images if not i["alt"].strip()
              or re.search(r"\.(png|jpe?g|svg|gif)$", i["alt"].strip(), re.I)]
    if no_alt:
        problems.append(f"images without alt text (or a file name as alt text): {no_alt}")
    # a notebook figure must have at least 1.5 pixels per CSS pixel where it is shown
    soft = [i["src"] for i in images if i["output"] and i["ok"] and i["shown"]
            and i["w"] < 1.5 * i["shown"]]
    if soft:
        problems.append(f"figures at screen resolution (soft on high-density screens): {soft}")
    squashed = [i["src"] for i in images if i["ok"] and i["shown"] and i["shownH"] and i["h"]
                and abs(i["shown"] / i["shownH"] - i["w"] / i["h"]) > 0.02 * i["w"] / i["h"]]
    if squashed:
        problems.append(f"images shown with another aspect ratio than their own (squashed): {squashed}")

    # code cells: no line so long that the reader has to scroll sideways (book/_static/rnncourse.css)
    wide = page.evaluate("""() => [...document.querySelectorAll('.cell_input pre')]
        .filter(p => p.scrollWidth > p.clientWidth + 1)
        .map(p => p.textContent.split('\\n').reduce((a, b) => a.length >= b.length ? a : b).slice(0, 60))""")
    if wide:
        problems.append(f"{len(wide)} code cells scroll sideways, e.g. {wide[:3]}")

    # internal links and anchors
    hrefs = page.evaluate("() => [...document.querySelectorAll('a[href]')].map(a => a.href)")
    for href in sorted(set(hrefs)):
        parts = urlsplit(href)
        if parts.scheme not in ("http", "https") or not href.startswith(server):
            continue
        rel = unquote(parts.path)[1:] or "index.html"
        target = site / rel
        if target.is_dir():
            target = target / "index.html"
        if not target.is_file():
            problems.append(f"broken link: {href}")
        elif parts.fragment and target.suffix == ".html" and unquote(parts.fragment) not in anchors(target):
            problems.append(f"missing anchor: {href}")

    # solutions: collapsed until their toggle is clicked
    n_solutions = page.locator(".solution.dropdown").count()
    for i in range(n_solutions):
        sol = page.locator(".solution.dropdown").nth(i)
        body = sol.locator(":scope > :not(.admonition-title)")
        if any(body.nth(k).is_visible() for k in range(body.count())):
            problems.append(f"solution {i + 1} is open before it is clicked")
            continue
        sol.locator("button.toggle-button").first.click()   # the title also holds a link
        page.wait_for_timeout(100)
        if body.count() and not any(body.nth(k).is_visible() for k in range(body.count())):
            problems.append(f"solution {i + 1} does not open when clicked")

    chapter = CHAPTER.fullmatch(path)
    if chapter:
        name = chapter.group(1)
        for cls, folder in (("colab-exercises", "exercises"), ("colab-solutions", "solutions")):
            link = page.locator(f"a.{cls}")
            if link.count() != 1:
                problems.append(f"expected one 'Open in Colab' link {cls}, found {link.count()}")
                continue
            href = link.get_attribute("href")
            m = re.fullmatch(r"https://colab\.research\.google\.com/github/[^/]+/[^/]+/blob/[^/]+/(.+)", href)
            if not m or m.group(1) != f"colab/{folder}/{name}.ipynb" or not (repo / m.group(1)).is_file():
                problems.append(f"Colab link {href} does not point at colab/{folder}/{name}.ipynb "
                                "in the repository")
        download = page.locator("a.download-executed")
        if download.count() != 1 or not (site / "_notebooks" / f"{name}.ipynb").is_file():
            problems.append("no download of the executed notebook")
        if page.locator(".exercise").count() and not n_solutions:
            problems.append("exercises but no solution dropdowns")
        if shots is not None:
            shots.mkdir(parents=True, exist_ok=True)
            page.evaluate("() => window.scrollTo(0, 0)")
            page.screenshot(path=str(shots / f"{name}.png"))
    return problems


@pytest.mark.parametrize("path", PAGES or ["(no book built)"])
def test_page(path, visit, server):
    problems = check_page(path, *visit(path), server)
    assert not problems, f"{path}:\n  " + "\n  ".join(problems)


def test_the_checks_find_what_they_look_for(browser, tmp_path):
    """A broken page: CDN script, raw, wrong and too wide math, a missing image, a squashed figure at
    screen resolution with a file name as alt text, a code cell that scrolls sideways, a dead link and
    anchor, an open solution, no Colab links. Every check must say so."""
    site = tmp_path / "site"
    (site / "notebooks").mkdir(parents=True)
    (site / "index.html").write_text("<html><body>index</body></html>")
    mathjax = (SITE / "_static" / "mathjax") if (SITE / "_static" / "mathjax").is_dir() else None
    if mathjax is None:
        _missing("the built book's MathJax is needed for this test")
    shutil.copytree(mathjax, site / "_static" / "mathjax")
    (site / "notebooks" / "01_bad.html").write_text("""<html><head>
      <script src="https://cdn.example.org/lib.js"></script>
      <script defer src="../_static/mathjax/tex-chtml.js"></script></head><body><main>
      <p>Raw math: $x^2$ and <span class="math">\\(x^^2\\)</span></p>
      <div class="math">\\[LONG_EQUATION\\]</div>
      <img src="../missing.png">
      <div class="cell_output"><img alt="x.png" width="40" height="30" src="data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAACgAAAAKCAIAAABJ+IsHAAAAHElEQVR4nGM8ISfHMBCAaUBsHbV41OJRi4eFxQD/xAEYFrzagQAAAABJRU5ErkJggg=="></div>
      <div class="cell_input"><pre style="width: 200px; overflow: auto; white-space: pre">x = 1  # a long line, much longer than two hundred pixels of code can show</pre></div>
      <a href="../nowhere.html">dead</a> <a href="01_bad.html#no-such-anchor">anchor</a>
      <div class="exercise admonition" id="ex-1">Exercise</div>
      <div class="solution dropdown admonition"><p class="admonition-title">Solution</p><p>shown</p></div>
      <script>console.error("boom")</script>
    </main></body></html>""".replace("LONG_EQUATION", " + ".join(f"x_{{{k}}}" for k in range(1, 120))))
    handler = functools.partial(_Quiet, directory=str(site))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    server = f"http://127.0.0.1:{httpd.server_address[1]}/"
    context = browser.new_context()
    blocked, errors = [], []
    context.route("**/*", lambda r: r.continue_() if urlsplit(r.request.url).hostname == "127.0.0.1"
                  else (blocked.append(r.request.url), r.abort()))
    page = context.new_page()
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(server + "notebooks/01_bad.html", wait_until="load")
    page.wait_for_function("() => window.MathJax && MathJax.startup && MathJax.startup.promise")
    page.evaluate("() => MathJax.startup.promise")
    problems = "\n".join(check_page("notebooks/01_bad.html", page, errors, blocked, server,
                                     site=site, shots=None))
    context.close()
    httpd.shutdown()
    for expected in ["console errors", "boom", "cdn.example.org", "TeX errors", "raw math delimiters",
                     "images not loaded", "images without alt text", "figures at screen resolution",
                     "squashed", "display equations wider than the column",
                     "code cells scroll sideways", "broken link", "missing anchor",
                     "solution 1 is open before it is clicked", "expected one 'Open in Colab' link",
                     "no download of the executed notebook"]:
        assert expected in problems, f"the checks missed: {expected}\n{problems}"


def test_every_chapter_has_a_page():
    if not PAGES:
        _missing(f"no built book in {SITE}")
    import yaml
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    files = [c["file"] for part in toc["parts"] for c in part["chapters"]]
    missing = [f for f in files if f"{f}.html" not in PAGES]
    assert not missing, f"pages not built: {missing}"


def test_status_page_has_every_chapter_from_the_tested_run():
    """book/status: one row per chapter with its execution time (status.json beside the book)."""
    if not PAGES:
        _missing(f"no built book in {SITE}")
    import json
    status = json.loads((SITE / "status.json").read_text())
    chapters = sorted(p.name for p in (ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    assert [c["notebook"] for c in status["chapters"]] == chapters
    for c in status["chapters"]:
        assert c["seconds"] is not None and c["seconds"] > 0, c
        assert c["executed"] and c["run_by"] in ("tests", "book build"), c
    m = status["machine"]
    assert re.fullmatch(r"[0-9a-f]{40}", m["commit"]), m["commit"]
    assert m["cores"] >= 1 and m["python"] and m["torch"] and m["numpy"] and m["gpu"]
    page = (SITE / "book" / "status.html").read_text()
    for c in status["chapters"]:
        assert f"{c['seconds']:.1f}" in page, f"{c['notebook']}: its time is not on the status page"
