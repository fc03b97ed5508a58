"""The chapters' own experiments: one module per chapter, ``ch01.py`` ... ``ch12.py``, and a
chapter's companion modules ``chNN_<idea>.py`` (``ch10_dates``).

A notebook imports its chapter's module as ``from rnncourse.chapters import ch05``;
``rc.chapters.ch05`` also works: each module loads the first time it is asked for (PEP 562),
so that ``import rnncourse`` (the core) loads no chapter code.
"""

import importlib
import pkgutil
import re

_CHAPTER = re.compile(r"ch\d\d(_[a-z0-9_]+)?")   # ch05, ch10_dates


def _chapter_modules() -> list[str]:
    """The chapter modules in this folder: ``["ch01", "ch02", ..., "ch10", "ch10_dates", ...]``."""
    return sorted(m.name for m in pkgutil.iter_modules(__path__) if _CHAPTER.fullmatch(m.name))


def __getattr__(name: str):
    if _CHAPTER.fullmatch(name) and name in _chapter_modules():
        return importlib.import_module(f"{__name__}.{name}")
    hint = (f"; the chapter modules are {', '.join(_chapter_modules())}"
            if re.fullmatch(r"ch\d+", name) else "")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}{hint}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_chapter_modules()))
