"""Colab notebooks and nbgrader source notebooks from the chapter notebooks (for instructors).

The chapters in ``notebooks/`` are written for the book: their Markdown uses MyST directives
and roles (exercise boxes, solution dropdowns, citations, cross-references) that Jupyter and
Colab show as raw text. This module turns one chapter into

* an **exercise notebook** (:func:`exercise_notebook`): the student version of
  :mod:`rnncourse_tools.student` (solutions stubbed, worked solutions and hidden tests removed),
  with the build-only ``remove-cell`` cells dropped and the Markdown made plain;
* a **solution notebook** (:func:`solution_notebook`): every cell a reader of the book sees,
  solutions shown under a "Solution" heading, the Markdown made plain;
* an **nbgrader source notebook** (:func:`nbgrader_notebook`): solution cells, autograded check
  cells (the check wrapped in :func:`rnncourse.checks.require`, so that it raises on failure,
  with points) and read-only cells carry nbgrader's cell metadata.

Plain Markdown means: ``{exercise}`` boxes become "**Exercise 6.2** (title)", solution blocks
"**Solution to Exercise 6.2**", admonitions block quotes, ``{cite}`` roles "Author (year)"
linked to the book's bibliography page, ``{ref}``/``{numref}``/``{doc}`` links to the
published pages; ``$...$`` and ``$$...$$`` stay as they are. A directive or role this module
does not know is an error, so new markup never reaches students as raw text.

Each generated notebook starts with a cell that installs the matching ``rnncourse`` version
(``git+<repository>@v<version>``) when the package is missing. ``scripts/make_colab.py`` writes
them all into ``colab/``.
"""

from __future__ import annotations

import copy
import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from .student import SOLUTION_MARK, make_student_notebook, solution_structure

__all__ = ["Book", "Exercise", "markdown_to_plain", "exercise_notebook", "solution_notebook",
           "nbgrader_notebook", "install_cell_source", "colab_url"]

ADMONITIONS = {"note": "Note", "tip": "Tip", "hint": "Hint", "important": "Important",
               "warning": "Warning", "caution": "Caution", "attention": "Attention",
               "danger": "Danger", "error": "Error", "seealso": "See also", "admonition": None}
CITE_ROLES = {"cite", "cite:p", "cite:t", "cite:ps", "cite:ts"}
_DIRECTIVE = re.compile(r"^(?P<indent> {0,3})(?P<fence>`{3,}|:{3,})\{(?P<name>[A-Za-z][\w:-]*)\}"
                        r"[ \t]*(?P<arg>.*)$")
_FENCE = re.compile(r"^ {0,3}(?P<fence>`{3,}|~{3,})")
_TARGET = re.compile(r"^\((?P<label>[\w.:-]+)\)=\s*$")
_OPTION = re.compile(r"^:(?P<key>[\w-]+):[ \t]*(?P<value>.*)$")
_ROLE = re.compile(r"\{(?P<name>[a-z][\w:-]*)\}`(?P<text>[^`]+)`")
_SETUP_TRY = re.compile(
    r"try:\n\s+import rnncourse as rc\nexcept ImportError:[^\n]*\n\s+%pip install[^\n]*\n"
    r"\s+import rnncourse as rc\n")
REMOVE = "remove-cell"


@dataclass(frozen=True)
class Exercise:
    number: str   # "6.2"
    label: str    # "ex-ch06-lstm-step" ("" if the exercise has none)
    title: str
    docname: str  # "notebooks/06_lstm"


@dataclass
class Book:
    """What the conversion needs to know about the whole book: where it is published, its
    bibliography, every exercise (for numbers and cross-references) and labelled target."""

    url: str                                  # the published book, ending in "/"
    bibliography: dict = field(default_factory=dict)   # key -> "Author" / "A and B" / "A et al."; year
    exercises: dict = field(default_factory=dict)      # label -> Exercise
    by_doc: dict = field(default_factory=dict)         # docname -> [Exercise, ...]
    targets: dict = field(default_factory=dict)        # label -> (docname, title)
    titles: dict = field(default_factory=dict)         # docname -> first heading
    source: str = ""                  # the repository's files at the release: .../blob/vX.Y.Z/
    files: frozenset = frozenset()    # repository paths (benchmarks/x.py, ...) that get a link

    def page(self, docname: str, anchor: str = "") -> str:
        return f"{self.url}{docname}.html" + (f"#{anchor}" if anchor else "")

    @classmethod
    def from_sources(cls, url: str, notebooks: list[Path], root: Path,
                     bibfile: Path | None = None, pages: list[Path] = ()) -> "Book":
        """Scan the chapter notebooks (and other pages, for titles) of the book in ``root``."""
        if not url.endswith("/"):
            url += "/"
        book = cls(url=url, bibliography=read_bibliography(bibfile) if bibfile else {})
        for path in pages:
            doc = path.relative_to(root).with_suffix("").as_posix()
            book.titles[doc] = _first_heading(path.read_text(encoding="utf-8")) or doc
        for path in notebooks:
            doc = path.relative_to(root).with_suffix("").as_posix()
            nb = nbformat.read(path, as_version=4)
            markdown = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
            book.titles[doc] = _first_heading(markdown) or doc
            chapter = chapter_number(path)
            found = []
            for k, (label, title) in enumerate(_scan_exercises(markdown), start=1):
                ex = Exercise(f"{chapter}.{k}", label, title, doc)
                found.append(ex)
                if label:
                    if label in book.exercises or label in book.targets:
                        raise ValueError(f"label {label!r} is defined twice (again in {path.name})")
                    book.exercises[label] = ex
            book.by_doc[doc] = found
            for m in re.finditer(r"^\(([\w.:-]+)\)=\s*\n+(#+ +(.*))?", markdown, re.M):
                book.targets[m.group(1)] = (doc, m.group(3) or m.group(1))
        return book


def chapter_number(path: Path) -> int:
    m = re.match(r"(\d+)_", Path(path).name)
    if not m:
        raise ValueError(f"{path}: expected a chapter notebook named NN_topic.ipynb")
    return int(m.group(1))


def _first_heading(text: str) -> str | None:
    m = re.search(r"^# +(.+)$", text, re.M)
    return m.group(1).strip() if m else None


def _scan_exercises(markdown: str):
    lines = markdown.split("\n")
    for i, line in enumerate(lines):
        m = _DIRECTIVE.match(line)
        if m and m.group("name") == "exercise":
            label = ""
            for nxt in lines[i + 1:]:
                o = _OPTION.match(nxt)
                if not o:
                    break
                if o.group("key") == "label":
                    label = o.group("value").strip()
            yield label, m.group("arg").strip()


def read_bibliography(bibfile: Path) -> dict:
    """``key -> (authors, year)`` from a BibTeX file, authors as the book's author-year style
    writes them: "Elman", "Cho and Bengio", "Cho et al."."""
    from pybtex.database import parse_file
    from pybtex.plugin import find_plugin
    from pybtex.richtext import Text

    text = find_plugin("pybtex.backends", "text")()  # found once: each search reads every
                                                      # installed package's entry points
    def plain(latex: str) -> str:
        return Text.from_latex(latex).render(text)

    out = {}
    for key, entry in parse_file(str(bibfile), bib_format="bibtex").entries.items():
        people = entry.persons.get("author") or entry.persons.get("editor") or []
        names = [plain(" ".join(p.prelast_names + p.last_names)) for p in people]
        if not names:
            names = [plain(entry.fields.get("organization", entry.fields.get("title", key)))]
        authors = (names[0] if len(names) == 1 else f"{names[0]} and {names[1]}"
                   if len(names) == 2 else f"{names[0]} et al.")
        out[key] = (authors, entry.fields.get("year", "n.d."))
    return out


class _Converter:
    """Turns the MyST Markdown of one notebook into plain notebook Markdown."""

    def __init__(self, book: Book, docname: str, solutions: bool):
        self.book, self.docname, self.solutions = book, docname, solutions
        self.exercises = list(book.by_doc.get(docname, []))
        self.next_exercise = 0

    def error(self, message: str):
        raise ValueError(f"{self.docname}: {message}")

    # -- roles ------------------------------------------------------------------------------
    def role(self, m: re.Match) -> str:
        name, text = m.group("name"), m.group("text")
        explicit = re.fullmatch(r"(?P<title>.+?)\s*<(?P<target>[^<>]+)>", text, re.S)
        title, target = (explicit.group("title"), explicit.group("target")) if explicit \
            else (None, text.strip())
        if name in CITE_ROLES:
            return self.cite(name, text)
        if name in ("ref", "numref"):
            return self.ref(name, title, target)
        if name == "doc":
            doc = (Path(self.docname).parent / target).as_posix()
            doc = re.sub(r"[^/]+/\.\./", "", doc)
            if doc not in self.book.titles:
                self.error(f"{{doc}}`{text}`: expected one of the book's pages, "
                           f"{sorted(self.book.titles)}")
            return f"[{title or self.book.titles[doc]}]({self.book.page(doc)})"
        if name == "math":
            return f"${text}$"
        self.error(f"unsupported role {{{name}}}`{text}`: expected one of "
                   f"{sorted(CITE_ROLES | {'ref', 'numref', 'doc', 'math'})}")

    def cite(self, name: str, text: str) -> str:
        bib = self.book.page("book/bibliography")
        parts = []
        for key in (k.strip() for k in text.split(",")):
            if key not in self.book.bibliography:
                self.error(f"{{{name}}}`{text}`: no entry {key!r} in the bibliography")
            authors, year = self.book.bibliography[key]
            entry = f"{bib}#{cite_anchor(key)}"
            parts.append(f"[{authors} ({year})]({entry})" if name.startswith("cite:t")
                         else f"[{authors}, {year}]({entry})")
        return "; ".join(parts) if name.startswith("cite:t") else "(" + "; ".join(parts) + ")"

    def ref(self, name: str, title: str | None, label: str) -> str:
        if label in self.book.exercises:
            ex = self.book.exercises[label]
            shown = title.replace("%s", ex.number) if title else (
                f"Exercise {ex.number}" if name == "numref" else ex.number)
            return f"[{shown}]({self.book.page(ex.docname, label)})"
        if label in self.book.targets:
            doc, heading = self.book.targets[label]
            return f"[{title or heading}]({self.book.page(doc, label)})"
        self.error(f"{{{name}}}`{label}`: expected the label of an exercise or of a "
                   f"`(label)=` target in the book, found no such label")

    def inline(self, line: str) -> str:
        return _ROLE.sub(self.role, line)

    # -- blocks -----------------------------------------------------------------------------
    def convert(self, text: str) -> str:
        text = _BOOK_ONLY.sub("", text)            # sentences about the book's page, not Colab
        text = _COLAB_ONLY.sub(lambda m: m.group(1).strip(), text)
        return self.link_files("\n".join(self.block(text.split("\n"))).strip("\n"))

    def link_files(self, text: str) -> str:
        """`benchmarks/x.py` (a file of the repository, in backticks, outside code blocks) ->
        a link to that file on GitHub at the release the notebook installs."""
        if not (self.book.source and self.book.files):
            return text
        out, fence = [], None
        for line in text.split("\n"):
            m = re.match(r"\s*(`{3,}|~{3,})", line)
            if m and (fence is None or m.group(1).startswith(fence)):
                fence = None if fence else m.group(1)
            elif fence is None:
                line = re.sub(r"(?<![\[`])`([\w./-]+)`(?![\]`])",
                              lambda m: (f"[`{m.group(1)}`]({self.book.source}{m.group(1)})"
                                         if m.group(1) in self.book.files else m.group(0)), line)
            out.append(line)
        return "\n".join(out)

    def block(self, lines: list[str]) -> list[str]:
        out: list[str] = []
        i = 0
        while i < len(lines):
            line = lines[i]
            d = _DIRECTIVE.match(line)
            if d:
                fence = d.group("fence")
                j = i + 1
                while j < len(lines) and lines[j].strip() != fence:
                    j += 1
                if j == len(lines):
                    self.error(f"the {{{d.group('name')}}} directive is not closed by {fence}")
                k, options = i + 1, {}
                while k < j and _OPTION.match(lines[k]):
                    o = _OPTION.match(lines[k])
                    options[o.group("key")] = o.group("value").strip()
                    k += 1
                out += self.directive(d.group("name"), d.group("arg").strip(), options,
                                      lines[k:j])
                i = j + 1
                continue
            f = _FENCE.match(line)
            if f:  # a plain code block: copied as it is
                fence = f.group("fence")
                j = i + 1
                while j < len(lines) and not lines[j].strip().startswith(fence):
                    j += 1
                out += lines[i:j + 1]
                i = j + 1
                continue
            t = _TARGET.match(line)
            if t:
                out.append(f'<a id="{t.group("label")}"></a>')
            elif not line.startswith("% "):  # MyST comments are dropped
                out.append(self.inline(line))
            i += 1
        return out

    def directive(self, name: str, arg: str, options: dict, body: list[str]) -> list[str]:
        inner = self.block(body)
        while inner and not inner[0].strip():
            inner = inner[1:]
        if name == "exercise":
            if self.next_exercise >= len(self.exercises):
                self.error("more exercises than the scan of the notebook found")
            ex = self.exercises[self.next_exercise]
            self.next_exercise += 1
            if options.get("label", "") != ex.label:
                self.error(f"exercise {ex.number}: expected label {ex.label!r}")
            head = f"**Exercise {ex.number}**" + (f" ({self.inline(arg)})" if arg else "")
            anchor = [f'<a id="{ex.label}"></a>'] if ex.label else []
            return ["", "---", ""] + anchor + [head, ""] + inner
        if name in ("solution-start", "solution"):
            if not self.solutions:
                self.error(f"a {{{name}}} block is left in the exercise version")
            label = arg.split()[0] if arg else ""
            if label not in self.book.exercises:
                self.error(f"{{{name}}} {arg}: expected the label of an exercise")
            head = f"**Solution to Exercise {self.book.exercises[label].number}**"
            return [head, ""] + inner
        if name == "solution-end":
            return []
        if name in ADMONITIONS:
            title = self.inline(arg) if name == "admonition" else ADMONITIONS[name]
            if name != "admonition" and arg:  # the first line of the content
                inner = [self.inline(arg)] + inner
            return [f"> **{title}**", ">"] + [f"> {x}" if x.strip() else ">" for x in inner]
        if name == "math":
            return ["$$"] + body + ["$$"]
        self.error(f"unsupported directive {{{name}}}: expected exercise, solution-start, "
                   f"solution-end, solution, math or an admonition ({', '.join(ADMONITIONS)})")


#: Text between these comments is about the book's web page (folded outputs, hidden checks):
#: the generated notebooks leave it out. ``<!-- colab: text -->`` is the reverse: invisible in the
#: book, plain text in the notebooks.
_BOOK_ONLY = re.compile(r"<!--\s*book-only\s*-->.*?<!--\s*/book-only\s*-->", re.S)
_COLAB_ONLY = re.compile(r"<!--\s*colab:(.*?)-->", re.S)


def markdown_to_plain(text: str, book: Book, docname: str, solutions: bool = True) -> str:
    """Convert one Markdown text (for tests and single cells; exercise numbers restart)."""
    return _Converter(book, docname, solutions).convert(text)


# -- notebooks ---------------------------------------------------------------------------------

def colab_url(repository_url: str, ref: str, path: str) -> str:
    """``https://colab.research.google.com/github/<owner>/<repo>/blob/<ref>/<path>``."""
    m = re.fullmatch(r"https://github\.com/([^/]+/[^/]+?)/?", repository_url)
    if not m:
        raise ValueError(f"expected a https://github.com/<owner>/<repo> URL, got {repository_url!r}")
    return f"https://colab.research.google.com/github/{m.group(1)}/blob/{ref}/{path}"


def cite_anchor(key: str) -> str:
    """The anchor of bibliography entry ``key`` in the book (``bibtex_cite_id: "cite-{key}"`` in
    _config.yml, made an HTML id as docutils' ``make_id`` does: lower case, runs of other
    characters as one hyphen)."""
    return re.sub(r"^[-0-9]+|-+$", "", re.sub(r"[^a-z0-9]+", "-", f"cite-{key}".lower()))


def install_cell_source(repository_url: str, version: str) -> str:
    """The first code cell: install ``rnncourse`` at tag ``v<version>`` if it is missing."""
    spec = f"rnncourse @ git+{repository_url}@v{version}"
    return (
        f"# Install the course package that matches this notebook (rnncourse {version}), unless\n"
        "# it is installed already (as on your own machine after `pip install -e .`).\n"
        "import importlib.metadata, importlib.util, subprocess, sys\n"
        "\n"
        "if importlib.util.find_spec(\"rnncourse\") is None:\n"
        f"    done = subprocess.run([sys.executable, \"-m\", \"pip\", \"install\", \"--quiet\",\n"
        f"                           \"{spec}\"],\n"
        "                          capture_output=True, text=True)\n"
        "    if done.returncode != 0:\n"
        "        print(done.stderr[-2000:])\n"
        f"        raise SystemExit(\"Could not install rnncourse {version} from GitHub (pip's message is \"\n"
        "                         \"above): check that this runtime can reach the internet and run \"\n"
        "                         \"this cell again; if it still fails, open the notebook again from \"\n"
        "                         \"the link on the book's chapter page, which points at a release.\")\n"
        f"    print(\"installed {spec}\")\n"
        "else:\n"
        "    print(f\"rnncourse {importlib.metadata.version('rnncourse')} is already installed; \"\n"
        "          \"nothing to do\")"
    )


def _cell_id(kind: str, index: int, source: str) -> str:
    return f"{kind}-{index:03d}-" + hashlib.sha1(source.encode()).hexdigest()[:8]


def _finish(nb, docname: str, book: Book, solutions: bool, header: str,
            repository_url: str, version: str):
    """Drop remove-cell cells, make the Markdown plain, add the header and install cells."""
    converter = _Converter(book, docname, solutions)
    cells = []
    for cell in nb.cells:
        if REMOVE in cell.metadata.get("tags", []):
            continue
        cell = copy.deepcopy(cell)
        if cell.cell_type == "markdown":
            cell.source = converter.convert(cell.source)
        else:
            cell.outputs, cell.execution_count = [], None
        cell.metadata.pop("nbgrader", None)
        cells.append(cell)
    if converter.next_exercise != len(converter.exercises):
        raise ValueError(f"{docname}: {len(converter.exercises)} exercises in the chapter, "
                         f"{converter.next_exercise} in the {'solution' if solutions else 'exercise'} version")
    first_code = next((i for i, c in enumerate(cells) if c.cell_type == "code"), None)
    if first_code is None:
        raise ValueError(f"{docname}: expected a code cell (the chapter's setup cell)")
    cells[first_code].source = _SETUP_TRY.sub("import rnncourse as rc\n", cells[first_code].source)
    cells.insert(first_code, nbformat.v4.new_code_cell(install_cell_source(repository_url, version)))
    title = next((i for i, c in enumerate(cells) if c.cell_type == "markdown"), None)
    cells.insert(0 if title is None else title + 1, nbformat.v4.new_markdown_cell(header))
    for i, cell in enumerate(cells):
        cell.id = _cell_id(cell.cell_type, i, cell.source)
    nb.cells = cells
    nb.metadata.pop("jupytext", None)
    nb.metadata["colab"] = {"name": Path(docname).name + ".ipynb", "provenance": []}
    nb.nbformat, nb.nbformat_minor = 4, 5
    return nb


def _header(book: Book, docname: str, path: Path, kind: str, other: str) -> str:
    n = chapter_number(path)
    return (f"*Chapter {n} of [Recurrent neural networks: an executable course]"
            f"({book.page(docname)}), {kind}. {other}*\n\n"
            "*The numbers in the text are for `SCALE = 1`, which runs on a CPU. To train longer "
            "(on a GPU runtime, say), run `%env RNNCOURSE_SCALE=4` in a cell before the setup "
            "cell, or change its line `SCALE = rc.scale()` to `SCALE = 4`.*")


@dataclass
class Target:
    """Where the generated notebooks live and what they install."""

    repository_url: str   # https://github.com/<owner>/<repo>
    ref: str              # the tag the Colab links open ("v<version>")
    version: str          # the package version; the install cell uses tag v<version>
    exercises_dir: str = "colab/exercises"
    solutions_dir: str = "colab/solutions"

    def url(self, folder: str, path: Path) -> str:
        return colab_url(self.repository_url, self.ref, f"{folder}/{Path(path).name}")


def exercise_notebook(path: Path, book: Book, docname: str, target: Target):
    """The exercise (student) version of chapter ``path`` for Colab and Jupyter."""
    nb = make_student_notebook(nbformat.read(path, as_version=4))
    header = _header(book, docname, path, "**exercise version**: write your solutions in the "
                     "cells that raise `NotImplementedError`; the check cell after each tells "
                     "you whether it is right",
                     f"[Open the version with solutions in Colab]"
                     f"({target.url(target.solutions_dir, path)}).")
    return _finish(nb, docname, book, False, header, target.repository_url, target.version)


def solution_notebook(path: Path, book: Book, docname: str, target: Target):
    """The version with solutions of chapter ``path`` for Colab and Jupyter."""
    nb = nbformat.read(path, as_version=4)
    header = _header(book, docname, path, "**version with solutions**",
                     f"[Open the exercise version in Colab]"
                     f"({target.url(target.exercises_dir, path)}).")
    return _finish(nb, docname, book, True, header, target.repository_url, target.version)


# -- nbgrader ----------------------------------------------------------------------------------

_CHECK_CALL = re.compile(r"^(?P<call>rc\.checks\.\w+\.\w+\(.*\))\s*(#.*)?$")


def nbgrader_notebook(path: Path, book: Book, docname: str, target: Target, points: int = 1):
    """nbgrader's source notebook for chapter ``path``.

    Exercise cells (``### BEGIN SOLUTION``) are solution cells; each check cell becomes an
    autograded test worth ``points``, its call wrapped in ``rc.checks.require(...)`` so that a
    failing check raises ``AssertionError`` with the check's message; every other cell is
    read-only. Worked solutions and written answers are left out, as in the exercise version
    (``nbgrader generate_assignment`` then stubs the solution cells).
    """
    nb = solution_structure(nbformat.read(path, as_version=4))
    header = _header(book, docname, path, "**nbgrader assignment**", "")
    nb = _finish(nb, docname, book, False, header, target.repository_url, target.version)
    stem = Path(path).stem
    for i, cell in enumerate(nb.cells):
        meta = {"schema_version": 3, "grade_id": f"{stem}-{i:03d}", "grade": False,
                "solution": False, "locked": True, "task": False}
        if cell.cell_type == "code" and SOLUTION_MARK in cell.source:
            meta.update(solution=True, locked=False)
        elif cell.cell_type == "code" and "rc.checks." in cell.source:
            m = _CHECK_CALL.match(cell.source.strip())
            if not m:
                raise ValueError(f"{docname}: expected a check cell to be one call "
                                 f"`rc.checks.chNN.name(...)`, got:\n{cell.source}")
            cell.source = f"rc.checks.require({m.group('call')})"
            meta.update(grade=True, points=points)
        cell.metadata["nbgrader"] = meta
    return nb


# -- the executed unit of the test run ---------------------------------------------------------

#: metadata key of a test-unit cell: ``{"chapter_cell": i}`` (index in the chapter notebook), or
#: ``{"part": "install"}`` / ``{"part": "student"}`` for the cells the unit adds
UNIT_KEY = "rnncourse_unit"
HIDDEN_IN_UNIT = "hidden-in-unit"
NOT_YET = "NOT YET"   # rnncourse.checks.NOT_YET

_CHECK_WRAP = '''from IPython.utils.capture import capture_output as _rnncourse_capture
_rnncourse_value = None
with _rnncourse_capture() as _rnncourse_out:
{body}
_rnncourse_shown = [o.data for o in _rnncourse_out.outputs]
if _rnncourse_value is not None:
    _rnncourse_shown.append(get_ipython().display_formatter.format(_rnncourse_value)[0])
_rnncourse_said = _rnncourse_out.stdout + "".join(
    str(d.get("text/plain", "")) + str(d.get("text/html", "")) for d in _rnncourse_shown)
print(_rnncourse_said)
assert {not_yet!r} in _rnncourse_said, (
    "the test run: a check did not report failure on the student version's stub (it must say "
    {not_yet!r} "); the check was:\\n" + {source!r} + "\\nit said:\\n" + _rnncourse_said)'''


def check_on_stub_cell(source: str) -> str:
    """A check cell's code wrapped so that the cell fails unless the check says NOT YET (in
    what it prints, displays or returns as the cell's value)."""
    import ast
    lines = source.rstrip().splitlines()
    tree = ast.parse(source)
    if tree.body and isinstance(tree.body[-1], ast.Expr):
        last = tree.body[-1]
        head = lines[:last.lineno - 1]
        expr = ast.get_source_segment(source, last.value)
        lines = head + f"_rnncourse_value = ({expr})".splitlines() + lines[last.end_lineno:]
    body = "\n".join("    " + line for line in lines) or "    pass"
    return _CHECK_WRAP.format(body=body, not_yet=NOT_YET, source=source)


def unit_notebook(path: Path, book: Book, docname: str, target: Target):
    """What the test run executes for chapter ``path``, once: the generated solution notebook
    (exactly its cells, install cell and setup cell included) with the chapter's build-only
    ``remove-cell`` code cells (the hidden asserts) back in their places, then the student
    version's stubbed exercise cells and its check cells, each check wrapped so that the cell
    fails unless the check reports NOT YET on the stub.

    Every cell carries ``metadata["rnncourse_unit"]``: ``{"chapter_cell": i}`` for a cell of
    the chapter (index ``i`` in the chapter notebook), else ``{"part": "install"}`` or
    ``{"part": "student"}``; the test run puts the outputs of the chapter's cells back into the
    chapter notebook for the book (rnncourse_tools.unit_run). tests/test_colab_names.py checks
    that no visible cell reads a name a hidden cell bound, so the hidden cells do not change
    what the visible ones compute (except through shared objects and random state).
    """
    source = nbformat.read(path, as_version=4)
    nb = copy.deepcopy(source)
    for i, cell in enumerate(nb.cells):
        cell.metadata[UNIT_KEY] = {"chapter_cell": i}
        tags = cell.metadata.get("tags", [])
        if cell.cell_type == "code" and REMOVE in tags:
            cell.metadata["tags"] = [HIDDEN_IN_UNIT if t == REMOVE else t for t in tags]
    header = _header(book, docname, path, "**test run**: the version with solutions, its hidden "
                     "asserts and the exercise version's checks on its stubs", "")
    nb = _finish(nb, docname, book, True, header, target.repository_url, target.version)
    for cell in nb.cells:
        cell.metadata.setdefault(UNIT_KEY, {"part": "install" if cell.cell_type == "code"
                                            else "header"})
    student = make_student_notebook(copy.deepcopy(source))
    for cell in student.cells:
        if cell.cell_type != "code":
            continue
        if "raise NotImplementedError" in cell.source:
            new = nbformat.v4.new_code_cell(cell.source)
        elif "rc.checks." in cell.source:
            new = nbformat.v4.new_code_cell(check_on_stub_cell(cell.source))
        else:
            continue
        new.metadata[UNIT_KEY] = {"part": "student"}
        new.id = _cell_id("student", len(nb.cells), new.source)
        nb.cells.append(new)
    return nb
