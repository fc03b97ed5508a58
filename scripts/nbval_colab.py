"""Run every chapter once as a student gets it, under nbval, and give the book its outputs.

    python scripts/nbval_colab.py                     # the test units of notebooks/ (below)
    python scripts/nbval_colab.py --book-cache _build/.jupyter_cache   # and store for the book
    python scripts/nbval_colab.py --notebooks DIR     # the notebooks in DIR as they are (say
                                                      # colab/solutions, or make_colab.py --out)
    python scripts/nbval_colab.py --only 01 --only 02 -n 1

By default it runs each chapter's *test unit* (rnncourse_tools.colab.unit_notebook): the
generated Colab solution notebook, cell for cell, with the chapter's hidden asserts (its
``remove-cell`` cells) back in their places and the exercise version's stubs and checks appended,
each check failing its cell unless it says NOT YET on the stub. That is the chapter's one
execution in scripts/test.sh: nbval runs every cell, a plugin (rnncourse_tools.unit_run) records
each cell's outputs, and with ``--book-cache`` the chapter notebook with those outputs goes into
the book's jupyter-cache, so the book build runs nothing again. tests/test_colab_names.py checks
that no visible cell reads a name that a hidden cell bound, so what the generated notebook
computes does not lean on the hidden cells.

What a student in Colab has is the generated notebook and the package installed from a tag, in
a folder (/content) with none of the repository's files. This builds a wheel of the package
(from a copy of its sources, so nothing is written into the repository), installs it
non-editable with ``pip install --no-deps --target`` into a temporary folder, copies the
notebooks alone into a bare temporary folder, and runs ``python -m pytest --nbval-lax`` there
with the install folder first on PYTHONPATH (and the repository nowhere on it). It checks that
``import rnncourse`` in that folder finds the wheel's copy, not the checkout. nbval runs every
code cell and fails on any error; ``--nbval-lax`` compares no outputs (the notebooks carry none).
The install cell finds the package and installs nothing. Everything is deleted afterwards.

scripts/test.sh runs it on both cores (pytest-xdist, one notebook per worker at a time, the
longest first).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat
import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from rnncourse_tools.unit_run import (IncompleteRun, executed_chapter, read_records,  # noqa: E402
                                      store_for_the_book)
#: what the wheel is built from (see pyproject.toml)
PACKAGE_FILES = ("pyproject.toml", "README.md", "LICENSE", "rnncourse", "rnncourse_tools")


def build_and_install(tmp: Path) -> Path:
    """Build the wheel from a copy of the package sources; install it into ``tmp/site``."""
    src, dist, site = tmp / "src", tmp / "dist", tmp / "site"
    src.mkdir()
    for name in PACKAGE_FILES:
        if (ROOT / name).is_dir():
            shutil.copytree(ROOT / name, src / name,
                            ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
        else:
            shutil.copy2(ROOT / name, src / name)
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check"]
    # the environment's setuptools if it has one (no download); else pip's isolated build
    try:
        import setuptools  # noqa: F401
        isolation = ["--no-build-isolation"]
    except ImportError:
        isolation = []
    subprocess.run(pip + ["wheel", "--quiet", "--no-deps", *isolation, str(src), "-w", str(dist)],
                   check=True, cwd=tmp)
    wheels = sorted(dist.glob("rnncourse-*.whl"))
    if len(wheels) != 1:
        raise SystemExit(f"expected one rnncourse wheel in {dist}, found {wheels}")
    subprocess.run(pip + ["install", "--quiet", "--no-deps", "--target", str(site), str(wheels[0])],
                   check=True, cwd=tmp)
    print(f"nbval_colab: {wheels[0].name} installed into {site}")
    return site


def print_times(report: Path) -> None:
    """Each notebook's time (the sum of its cells' times, kernel start included)."""
    import xml.etree.ElementTree as ET
    seconds: dict[str, float] = {}
    for case in ET.parse(report).getroot().iter("testcase"):
        found = re.search(r"(\d\d_\w+)\.ipynb", case.get("classname", ""))
        name = found.group(1) if found else "(the probe: the kernel imports the wheel)"
        seconds[name] = seconds.get(name, 0.0) + float(case.get("time", 0))
    print("nbval_colab: seconds per notebook (cells, as nbval ran them):")
    for name, s in sorted(seconds.items()):
        print(f"  {name:32s} {s:7.1f}")


def make_units(folder: Path, only: list[str]) -> dict[str, tuple[Path, object]]:
    """Write each chapter's test unit into ``folder``; {file name: (chapter path, unit)}."""
    from make_colab import settings  # scripts/make_colab.py: the same book and release target
    from rnncourse_tools.colab import unit_notebook

    book, target, chapters = settings(ROOT)
    units = {}
    for path in chapters:
        if only and path.name[:2] not in only:
            continue
        unit = unit_notebook(path, book, f"notebooks/{path.stem}", target)
        nbformat.write(unit, folder / path.name)
        units[path.name] = (path, unit)
    return units


def cell_timeout() -> int:
    """The book build's per-cell timeout (``execute.timeout`` in _config.yml)."""
    return int(yaml.safe_load((ROOT / "_config.yml").read_text()).get("execute", {})
               .get("timeout", 2000))


def store_units(units: dict, records: Path, cache: Path) -> list[str]:
    """Put each fully run chapter into the book's cache; return the problems."""
    problems = []
    for name, (path, unit) in units.items():
        try:
            nb, seconds, student = executed_chapter(nbformat.read(path, as_version=4), unit,
                                                    read_records(records / path.stem))
        except IncompleteRun as e:
            problems.append(f"{name}: not stored for the book: {e}")
            continue
        store_for_the_book(path, nb, {"run": "tests", "execution_seconds": seconds,
                                      "student_checks_seconds": student}, cache)
    return problems


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--notebooks", type=Path, metavar="DIR",
                        help="run the notebooks NN_topic.ipynb in DIR as they are (for example "
                             "colab/solutions) instead of the chapters' test units")
    parser.add_argument("--book-cache", type=Path, metavar="DIR",
                        help="store each chapter that ran whole, with its outputs, in the book's "
                             "jupyter-cache DIR (scripts/test.sh: _build/.jupyter_cache)")
    parser.add_argument("--only", metavar="NN", action="append", default=[],
                        help="only chapter NN (repeatable)")
    parser.add_argument("-n", "--workers", default="auto",
                        help="pytest-xdist workers (default: auto, one per core)")
    args, pytest_args = parser.parse_known_args(argv)
    if args.notebooks and args.book_cache:
        parser.error("--book-cache stores the chapters' test units: leave out --notebooks")
    try:
        import nbval
    except ImportError:
        raise SystemExit("nbval_colab: expected nbval to be installed (pip install -r "
                         "requirements.txt, or pip install nbval)")
    start = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="rnncourse-nbval-") as tmp:
        tmp = Path(tmp)
        content = tmp / "content"  # like Colab's /content: the notebooks and nothing else
        content.mkdir()
        units = {}
        if args.notebooks:
            notebooks = sorted(args.notebooks.glob("[0-9][0-9]_*.ipynb"))
            if args.only:
                notebooks = [p for p in notebooks if p.name[:2] in args.only]
            for p in notebooks:
                shutil.copy2(p, content / p.name)
            names = [p.name for p in notebooks]
            what = f"notebooks of {args.notebooks}"
        else:
            units = make_units(content, args.only)
            names = list(units)
            what = "chapters' test units (the generated solution notebook, hidden asserts, checks on the stubs)"
        if not names:
            parser.error(f"no notebooks NN_topic.ipynb (--notebooks {args.notebooks}, --only {args.only})")
        names.sort(reverse=True)  # later chapters train longer: started first, both cores busy to the end
        site = build_and_install(tmp)
        env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
        env["PYTHONPATH"] = str(site)
        # an nbval installed outside the environment (pip install --target, found through
        # PYTHONPATH) stays importable, after the wheel
        plugins = Path(nbval.__file__).resolve().parents[1]
        if not plugins.is_relative_to(Path(sys.prefix).resolve()):
            env["PYTHONPATH"] += os.pathsep + str(plugins)
        found = subprocess.run([sys.executable, "-c", "import rnncourse; print(rnncourse.__file__)"],
                               cwd=content, env=env, check=True, capture_output=True,
                               text=True).stdout.strip()
        if not Path(found).resolve().is_relative_to(site.resolve()):
            raise SystemExit(f"nbval_colab: import rnncourse found {found}, not the wheel in "
                             f"{site}: something puts the checkout first on sys.path")
        print(f"nbval_colab: rnncourse comes from {found}; running the {len(names)} {what} "
              f"in {content}")
        # and in the notebooks' kernel: a one-cell notebook beside the bare folder, run first
        probe = tmp / "probe" / "00_kernel_imports_the_wheel.ipynb"
        probe.parent.mkdir()
        nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(
            "import pathlib, rnncourse\n"
            f"assert pathlib.Path(rnncourse.__file__).resolve().is_relative_to({str(site.resolve())!r}), "
            "rnncourse.__file__")], metadata={"kernelspec": {
                "name": "python3", "display_name": "Python 3", "language": "python"}}), probe)
        report, records = tmp / "report.xml", tmp / "records"
        cmd = [sys.executable, "-m", "pytest", "--nbval-lax", "-p", "no:cacheprovider",
               "-p", "rnncourse_tools.unit_run", "--rnncourse-record", str(records),
               "--nbval-cell-timeout", str(cell_timeout()),
               "--rootdir", str(content), "--junitxml", str(report)]
        if args.workers not in ("0", "1"):
            cmd += ["-n", args.workers, "--dist", "loadfile"]
        cmd += pytest_args + [str(probe)] + names
        rc = subprocess.run(cmd, cwd=content, env=env).returncode
        if report.exists():
            print_times(report)
        if args.book_cache:
            problems = store_units(units, records, args.book_cache)
            print(f"nbval_colab: {len(units) - len(problems)} of {len(units)} chapters stored for "
                  f"the book in {args.book_cache}")
            if problems:
                print("\n".join(problems), file=sys.stderr)
                rc = rc or 1
    print(f"nbval_colab: {len(names)} notebooks, {time.perf_counter() - start:.0f} s "
          f"in all (wheel build and install included)")
    return rc


if __name__ == "__main__":
    sys.exit(main())
