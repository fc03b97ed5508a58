"""The book's headline results as functions that re-run them: the claims registry.

A *claim* is one sentence of a chapter that states a result ("full BPTT reaches a lower test
error than the detached gradient"). Each is registered here with :func:`claim` as a function
``measure(seed, budget) -> dict[str, float]`` that re-runs the chapter's own experiment for one
seed with every training budget multiplied by ``budget`` (1 is the book's budget), and a
predicate ``holds(values) -> bool`` that says whether the sentence is still true of the
measured numbers, where ``values`` maps each measured name to a NumPy array over the seeds.

``benchmarks/check_claims.py`` runs them: at the book's seeds, at seeds the book does not use,
and at a multiple of the budget; a result is stated in the book only if it holds in all three.
Chapters register their claims in ``benchmarks/claims/chNN.py``; this module finds them.
"""

from __future__ import annotations

import importlib
import math
import pkgutil
from dataclasses import dataclass, field
from typing import Callable, Mapping, Sequence

import numpy as np

__all__ = ["Claim", "Outcome", "claim", "registry", "scaled", "run_claim"]


@dataclass(frozen=True)
class Claim:
    """One headline result of a chapter, re-runnable at any seeds and budget."""

    chapter: int
    name: str                                   # short identifier, unique within the chapter
    sentence: str                               # what the prose says (quoted or paraphrased)
    measure: Callable[[int, float], Mapping[str, float]]
    holds: Callable[[Mapping[str, np.ndarray]], bool]
    book_seeds: tuple[int, ...]                 # the seeds the chapter's own run uses
    budget: str = ""                            # what budget = 1 means ("150 Adam steps")
    book_longer: bool = False                   # also run the book's seeds at the longer budget


@dataclass
class Outcome:
    """The numbers one claim produced at some seeds and budget, and whether it held."""

    seeds: tuple[int, ...]
    budget: float
    values: dict[str, np.ndarray] = field(default_factory=dict)
    holds: bool = False
    error: str = ""

    def summary(self) -> str:
        """'name mean ± std' for every measured number (sample std, ddof = 1)."""
        if self.error:
            return f"error: {self.error}"
        parts = []
        for key, v in self.values.items():
            if len(v) > 1:
                parts.append(f"{key} {v.mean():.4g} ± {v.std(ddof=1):.2g}")
            else:
                parts.append(f"{key} {v.mean():.4g}")
        return "; ".join(parts)


_REGISTRY: dict[tuple[int, str], Claim] = {}


def claim(*, chapter: int, sentence: str, holds: Callable[[Mapping[str, np.ndarray]], bool],
          book_seeds: Sequence[int] = (0,), budget: str = "", book_longer: bool = False):
    """Register ``measure(seed, budget) -> {name: number}`` as a claim of ``chapter``.

    ``book_longer=True``: the runner also re-runs the book's own seeds at the longer budget (for
    a result the prose says depends on the budget, on the seeds the page shows)."""
    if not isinstance(chapter, int) or not 1 <= chapter <= 99:
        raise ValueError(f"claim: chapter must be a chapter number, got {chapter!r}")
    if not callable(holds):
        raise TypeError("claim: holds must be a function of the measured values")

    def register(measure):
        key = (chapter, measure.__name__)
        if key in _REGISTRY and _REGISTRY[key].measure is not measure:
            raise ValueError(f"claim {measure.__name__!r} of chapter {chapter} is registered twice")
        _REGISTRY[key] = Claim(chapter, measure.__name__, sentence, measure, holds,
                               tuple(int(s) for s in book_seeds), budget, bool(book_longer))
        return measure

    return register


def registry(chapters: Sequence[int] | None = None) -> list[Claim]:
    """Every registered claim (of ``chapters`` if given), importing ``claims/chNN.py`` first."""
    for info in pkgutil.iter_modules(__path__):
        if info.name.startswith("ch"):
            importlib.import_module(f"{__name__}.{info.name}")
    out = [c for c in _REGISTRY.values() if chapters is None or c.chapter in chapters]
    return sorted(out, key=lambda c: (c.chapter, c.name))


def scaled(n: int, budget: float) -> int:
    """A training budget of ``n`` (epochs, updates) multiplied by ``budget``, at least 1."""
    if not budget > 0:
        raise ValueError(f"budget must be a positive multiplier, got {budget!r}")
    return max(1, int(round(n * budget)))


def run_claim(c: Claim, seeds: Sequence[int], budget: float) -> Outcome:
    """Measure ``c`` at every seed and decide whether it holds over them."""
    out = Outcome(tuple(seeds), budget)
    rows = []
    try:
        for seed in seeds:
            rows.append(dict(c.measure(int(seed), float(budget))))
        keys = list(rows[0])
        if any(list(r) != keys for r in rows):
            raise ValueError("measure returned different names for different seeds")
        out.values = {k: np.array([float(r[k]) for r in rows]) for k in keys}
        finite = all(np.isfinite(v).all() for v in out.values.values())
        out.holds = bool(finite and c.holds(out.values))
    except Exception as e:  # a failed run is a failed claim, reported in the table
        out.error = f"{type(e).__name__}: {e}"
        out.holds = False
    return out


def mean(v: np.ndarray) -> float:
    return float(np.mean(v))


def isclose(a: float, b: float, *, rel: float = 0.0, abs: float = 0.0) -> bool:
    return math.isclose(a, b, rel_tol=rel, abs_tol=abs)
