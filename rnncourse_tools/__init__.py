"""The instructors' tools, kept out of the course package ``rnncourse`` that students import.

- :mod:`rnncourse_tools.colab`: Colab notebooks and nbgrader source notebooks from the chapters
  (MyST markup made plain, nbgrader cell metadata); ``scripts/make_colab.py`` runs it;
- :mod:`rnncourse_tools.student`: student notebooks (solutions stubbed, worked solutions and hidden
  tests removed), and the ``rnncourse-student`` command.

They ship in the same distribution as ``rnncourse`` but need the instructor extra (nbformat,
nbgrader): ``pip install -e ".[instructor]"`` from a clone. ``import rnncourse`` never loads them.
"""

from __future__ import annotations

import importlib.util
import sys

#: what the tools import that only the instructor extra installs
INSTRUCTOR_MODULES = ("nbformat", "nbgrader")


def needs_instructor_extra(what: str, missing: str) -> str:
    """The message for ``what`` when the module ``missing`` is not installed."""
    return (f"{what} needs the instructor extra ({missing} is not installed): "
            "pip install -e \".[instructor]\" from a clone of the repository, or "
            "pip install \"rnncourse[instructor] @ git+https://github.com/rnncourse/rnncourse\"")


def student_parser():
    """The ``rnncourse-student`` command line (argparse only, so that ``--help`` works without
    the instructor extra)."""
    import argparse
    from pathlib import Path

    parser = argparse.ArgumentParser(
        prog="rnncourse-student",
        description="Write student versions (solutions removed) of the chapter notebooks.",
        epilog="Needs the instructor extra (nbformat, nbgrader): pip install -e \".[instructor]\" "
               "from a clone of the repository.",
    )
    parser.add_argument("paths", nargs="+", type=Path, help="notebooks or folders of notebooks")
    parser.add_argument("-o", "--out", type=Path, default=Path("student"),
                        help="output folder (default: ./student); never a folder it reads from")
    parser.add_argument("--force", action="store_true",
                        help="overwrite notebooks in the output folder even if they were edited "
                             "or not written by this command")
    return parser


def student_main(argv: list[str] | None = None) -> int:
    """The ``rnncourse-student`` command: :func:`rnncourse_tools.student.main`, or a one-line
    message naming the instructor extra (exit status 1) when nbformat or nbgrader is missing
    (``--help`` and usage errors are answered first, without it)."""
    student_parser().parse_args(argv)
    for name in INSTRUCTOR_MODULES:
        if importlib.util.find_spec(name) is None:
            print(f"rnncourse-student: {needs_instructor_extra('making student notebooks', name)}",
                  file=sys.stderr)
            return 1
    from .student import main  # imports nbformat

    return main(argv)
