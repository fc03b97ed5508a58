"""Write the Colab notebooks of every chapter (and, on request, nbgrader source notebooks).

    python scripts/make_colab.py                      # colab/exercises/ and colab/solutions/
    python scripts/make_colab.py --check              # fail if colab/ is not up to date
    python scripts/make_colab.py --nbgrader-source DIR [--assignment-prefix ch]
                                                      # DIR/ch01/01_sequences.ipynb, ...

The chapters in notebooks/ are the one source (see rnncourse/colab.py for what changes). The
repository, the branch the Colab links open and the published book's address come from
_config.yml; the package version (the install cell pins tag v<version>) from pyproject.toml.
Run it after every chapter edit; scripts/test.sh runs it and fails when colab/ differs from
what is committed.
"""

from __future__ import annotations

import argparse
import sys
import tomllib
from pathlib import Path

import nbformat
import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from rnncourse.colab import (Book, Target, exercise_notebook, nbgrader_notebook,  # noqa: E402
                             solution_notebook)


def settings(root: Path | None = None) -> tuple[Book, Target, list[Path]]:
    root = root or ROOT
    config = yaml.safe_load((root / "_config.yml").read_text())
    try:
        repo, ref = config["repository"]["url"], config["repository"].get("branch", "main")
        url = config["html"]["baseurl"]
    except KeyError as e:
        raise SystemExit(f"_config.yml: expected repository.url and html.baseurl, missing {e}")
    version = tomllib.loads((root / "pyproject.toml").read_text())["project"]["version"]
    notebooks = sorted((root / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    if not notebooks:
        raise SystemExit(f"no chapter notebooks (NN_topic.ipynb) in {root / 'notebooks'}")
    pages = sorted((root / "book").glob("*.md"))
    bib = [root / b for b in config.get("bibtex_bibfiles", [])]
    book = Book.from_sources(url, notebooks, root, bib[0] if bib else None, pages)
    return book, Target(repo, ref, version), notebooks


def write(nb, dest: Path) -> None:
    dest.parent.mkdir(parents=True, exist_ok=True)
    dest.write_text(nbformat.writes(nb) + "\n", encoding="utf-8")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--check", action="store_true",
                        help="write nothing; exit 1 if a file in colab/ would change")
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
        for path in notebooks:
            doc = f"notebooks/{path.stem}"
            dest = args.nbgrader_source / f"{args.assignment_prefix}{path.name[:2]}" / path.name
            write(nbgrader_notebook(path, book, doc, target), dest)
            print(f"{path.relative_to(ROOT)} -> {dest}")
        return 0
    if args.only:
        parser.error("--only needs --nbgrader-source (colab/ is always written whole)")
    expected = {}
    for path in notebooks:
        doc = f"notebooks/{path.stem}"
        expected[ROOT / target.exercises_dir / path.name] = exercise_notebook(path, book, doc, target)
        expected[ROOT / target.solutions_dir / path.name] = solution_notebook(path, book, doc, target)
    stale = []
    for dest, nb in expected.items():
        text = nbformat.writes(nb) + "\n"
        if not dest.exists() or dest.read_text(encoding="utf-8") != text:
            stale.append(dest)
            if not args.check:
                write(nb, dest)
    extra = [p for d in (target.exercises_dir, target.solutions_dir)
             for p in sorted((ROOT / d).glob("*")) if p not in expected]
    for p in extra:
        if not args.check:
            p.unlink()
    rel = lambda p: p.relative_to(ROOT).as_posix()  # noqa: E731
    if args.check:
        if stale or extra:
            print("colab/ is out of date; run python scripts/make_colab.py:\n  " +
                  "\n  ".join([f"would rewrite {rel(p)}" for p in stale] +
                              [f"would delete {rel(p)}" for p in extra]), file=sys.stderr)
            return 1
        print(f"colab/ is up to date ({len(expected)} notebooks)")
        return 0
    print(f"wrote {len(stale)} of {len(expected)} notebooks in colab/"
          + (f", deleted {', '.join(map(rel, extra))}" if extra else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
