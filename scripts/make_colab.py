"""Write the Colab notebooks of every chapter (and, on request, nbgrader source notebooks).

    python scripts/make_colab.py                      # colab/exercises/ and colab/solutions/
    python scripts/make_colab.py --check [--out DIR]  # fail if colab/ is not up to date
    python scripts/make_colab.py --out DIR            # DIR/colab/exercises/, DIR/colab/solutions/
    python scripts/make_colab.py --nbgrader-source DIR [--assignment-prefix ch]
                                                      # DIR/ch01/01_sequences.ipynb, ...

The chapters in notebooks/ are the one source (see rnncourse_tools/colab.py for what changes). The
repository and the published book's address come from _config.yml; the package version from
pyproject.toml: the install cell pins tag v<version>, and every Colab link opens the notebooks
at that tag (blob/v<version>/colab/...), so a notebook and the package it installs are always
of one release (scripts/release.py makes one; tests/test_release.py checks that they agree).
Run it after every chapter edit; scripts/test.sh runs it with --check and fails when colab/
differs from what it would write.

It writes and deletes only notebooks it wrote itself and nobody edited since: each carries a
marker in its metadata (``rnncourse``: the generator and a fingerprint of its cells, see
rnncourse_tools.student.mark_generated). A notebook without the marker, an edited one, or any other
file (a student's own notebook or notes in colab/exercises/) is never replaced or deleted: the
script names it and stops before writing anything, unless --force (which replaces or deletes
edited and unmarked notebooks at the names it writes; other files are always left alone).
Folders (.ipynb_checkpoints/) are ignored. --check writes the notebooks into a temporary folder
(or --out DIR) and compares; it never writes into colab/.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import nbformat
import yaml

try:
    import tomllib  # Python 3.11+
except ModuleNotFoundError:  # Python 3.10
    try:
        import tomli as tomllib
    except ModuleNotFoundError:
        tomllib = None

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from rnncourse_tools.colab import (Book, Target, exercise_notebook, nbgrader_notebook,  # noqa: E402
                                   solution_notebook)
from rnncourse_tools.student import (NotOurs, generated_state, mark_generated,  # noqa: E402
                                     refuse_unless_ours, write_generated)

BY = "scripts/make_colab.py"


def project_version(pyproject_text: str) -> str:
    """``project.version`` from pyproject.toml (tomllib, tomli, or on Python 3.10 without tomli a
    reading of the one line ``version = "..."`` in the ``[project]`` table)."""
    if tomllib is not None:
        return tomllib.loads(pyproject_text)["project"]["version"]
    import re
    table = re.search(r"^\[project\]\s*$(.*?)(?=^\[|\Z)", pyproject_text, re.M | re.S)
    version = table and re.search(r"^version\s*=\s*[\"']([^\"']+)[\"']\s*(#.*)?$", table.group(1), re.M)
    if not version:
        raise SystemExit('pyproject.toml: expected a line version = "..." in [project]')
    return version.group(1)


LINKED_FOLDERS = ("benchmarks", "scripts", "tests", "rnncourse", "notebooks", "book")


def settings(root: Path | None = None) -> tuple[Book, Target, list[Path]]:
    root = root or ROOT
    config = yaml.safe_load((root / "_config.yml").read_text())
    try:
        repo, url = config["repository"]["url"], config["html"]["baseurl"]
    except KeyError as e:
        raise SystemExit(f"_config.yml: expected repository.url and html.baseurl, missing {e}")
    version = project_version((root / "pyproject.toml").read_text())
    ref = f"v{version}"      # the release tag: the notebooks and the package they install agree
    notebooks = sorted((root / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    if not notebooks:
        raise SystemExit(f"no chapter notebooks (NN_topic.ipynb) in {root / 'notebooks'}")
    pages = sorted((root / "book").glob("*.md"))
    bib = [root / b for b in config.get("bibtex_bibfiles", [])]
    book = Book.from_sources(url, notebooks, root, bib[0] if bib else None, pages)
    # repository files the text names in backticks become links to them at the release
    book.source = f"{repo.rstrip('/')}/blob/{ref}/"
    book.files = frozenset(p.relative_to(root).as_posix() for top in LINKED_FOLDERS
                           for p in (root / top).rglob("*") if p.is_file())
    return book, Target(repo, ref, version), notebooks


def _text(nb, source: str, name: str) -> str:
    return nbformat.writes(mark_generated(nb, BY, source, name)) + "\n"


def _files(folder: Path) -> list[Path]:
    """The files in ``folder`` (not its subfolders such as .ipynb_checkpoints/)."""
    return sorted(p for p in folder.glob("*") if p.is_file()) if folder.is_dir() else []


def _refusals(paths_actions, force: bool) -> list[str]:
    out = []
    for path, action in paths_actions:
        try:
            refuse_unless_ours(path, action, force)
        except NotOurs as e:
            out.append(str(e))
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--check", action="store_true",
                        help="write nothing into colab/: generate into a temporary folder (or "
                             "--out DIR) and exit 1 if a file in colab/ differs")
    parser.add_argument("--out", type=Path, metavar="DIR",
                        help="write DIR/colab/exercises and DIR/colab/solutions instead of the "
                             "repository's colab/")
    parser.add_argument("--force", action="store_true",
                        help="replace or delete notebooks even if they were edited or not "
                             "written by this script (a student's work there is lost)")
    parser.add_argument("--nbgrader-source", type=Path, metavar="DIR",
                        help="write nbgrader source notebooks into DIR/<prefix>NN/ instead")
    parser.add_argument("--assignment-prefix", default="ch",
                        help="assignment name prefix for --nbgrader-source (default: ch)")
    parser.add_argument("--only", metavar="NN", action="append", default=[],
                        help="only chapter NN (repeatable; with --nbgrader-source)")
    args = parser.parse_args(argv)
    book, target, notebooks = settings(ROOT)
    if args.only:
        notebooks = [p for p in notebooks if p.name[:2] in args.only]
        if not notebooks:
            parser.error(f"--only {args.only}: expected chapter numbers like 01")
    if args.nbgrader_source:
        written = {args.nbgrader_source / f"{args.assignment_prefix}{path.name[:2]}" / path.name:
                   (path, nbgrader_notebook(path, book, f"notebooks/{path.stem}", target))
                   for path in notebooks}
        refused = _refusals(((d, "overwrite") for d in written), args.force)
        if refused:
            print("\n".join(refused), file=sys.stderr)
            return 1
        for dest, (path, nb) in written.items():
            write_generated(nb, dest, BY + " --nbgrader-source", path.name, force=args.force)
            print(f"{path.relative_to(ROOT)} -> {dest}")
        return 0
    if args.only:
        parser.error("--only needs --nbgrader-source (colab/ is always written whole)")
    expected = {}  # path relative to the output root -> (source notebook, generated notebook)
    for path in notebooks:
        doc = f"notebooks/{path.stem}"
        for folder, make in ((target.exercises_dir, exercise_notebook),
                             (target.solutions_dir, solution_notebook)):
            expected[Path(folder) / path.name] = (path, make(path, book, doc, target))
    if args.check:
        return check(expected, target, args.out)
    out = args.out or ROOT
    stale = [rel for rel, (path, nb) in expected.items() if not (out / rel).is_file()
             or (out / rel).read_text(encoding="utf-8") != _text(nb, path.name, rel.name)]
    extra, foreign = [], []
    for d in (target.exercises_dir, target.solutions_dir):
        for p in _files(out / d):
            if p.relative_to(out) not in expected:
                (extra if generated_state(p) in ("generated", "edited") else foreign).append(p)
    refused = _refusals([(out / rel, "overwrite") for rel in stale]
                        + [(p, "delete") for p in extra], args.force)
    if refused:
        print("\n".join(refused) + "\nnothing was written.", file=sys.stderr)
        return 1
    for rel in stale:
        path, nb = expected[rel]
        write_generated(nb, out / rel, BY, path.name, force=args.force)
    for p in extra:
        p.unlink()
    shown = lambda p: p.relative_to(out).as_posix()  # noqa: E731
    print(f"wrote {len(stale)} of {len(expected)} notebooks in {out / 'colab'}"
          + (f", deleted {', '.join(map(shown, extra))}" if extra else "")
          + (f"; left alone (not generated here): {', '.join(map(shown, foreign))}"
             if foreign else ""))
    return 0


def check(expected: dict, target: Target, keep: Path | None) -> int:
    """Write the notebooks into a temporary folder (or ``keep``) and compare them with colab/."""
    with tempfile.TemporaryDirectory(prefix="rnncourse-colab-") as tmp:
        out = keep or Path(tmp)
        for rel, (path, nb) in expected.items():
            dest = out / rel
            if dest.exists() and generated_state(dest) != "generated":
                raise SystemExit(f"--check --out {out}: {dest} exists and is not a generated "
                                 "notebook: expected an empty or new folder")
            write_generated(nb, dest, BY, path.name)
        problems = []
        for rel in expected:
            mine, generated = ROOT / rel, (out / rel).read_text(encoding="utf-8")
            if not mine.is_file():
                problems.append(f"would write {rel.as_posix()} (missing)")
            elif mine.read_text(encoding="utf-8") != generated:
                problems.append(f"would rewrite {rel.as_posix()}")
        foreign = []
        for d in (target.exercises_dir, target.solutions_dir):
            for p in _files(ROOT / d):
                rel = p.relative_to(ROOT)
                if rel not in expected:
                    if generated_state(p) in ("generated", "edited"):
                        problems.append(f"would delete {rel.as_posix()}")
                    else:
                        foreign.append(rel.as_posix())
    if foreign:
        print(f"not generated here, never touched: {', '.join(foreign)}")
    if problems:
        print("colab/ is out of date; run python scripts/make_colab.py and commit colab/:\n  "
              + "\n  ".join(problems), file=sys.stderr)
        return 1
    print(f"colab/ is up to date ({len(expected)} notebooks)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
