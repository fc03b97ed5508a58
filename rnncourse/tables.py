"""Results over seeds, and one table format for them (chapters 2 onwards).

Every "mean ± spread" in the book is the mean and the *sample* standard deviation (``ddof=1``)
over at least three seeds, and every table built here says so in its footer.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from typing import Callable, Mapping, Sequence

import numpy as np

__all__ = ["run_seeds", "mean_std", "results_table", "ResultsTable", "format_mean_std"]


def run_seeds(run: Callable[[int], Mapping[str, float]], seeds: Sequence[int]) -> dict:
    """Call ``run(seed)`` for every seed; return ``{period: array of NMSE, one per seed}``.

    ``run`` returns a dict of NMSE by period (or a tuple whose second item is that dict, as
    chapter 2's ``train_time_delay`` and chapter 3's ``train_elman`` do).
    """
    seeds = list(seeds)
    if not seeds:
        raise ValueError("run_seeds needs at least one seed")
    results: dict[str, list[float]] = {}
    for seed in seeds:
        out = run(seed)
        scores = out[1] if isinstance(out, tuple) else out
        if not isinstance(scores, Mapping):
            raise TypeError("run(seed) must return a dict of NMSE by period, or (model, dict, ...)")
        if results and set(scores) != set(results):
            raise ValueError(f"seed {seed} returned periods {sorted(scores)}, "
                             f"expected {sorted(results)}")
        for name, value in scores.items():
            results.setdefault(name, []).append(float(value))
    return {name: np.array(v) for name, v in results.items()}


def mean_std(values) -> tuple[float, float]:
    """Mean and standard deviation (ddof=1; 0 for a single value) of per-seed results."""
    try:
        v = np.asarray(values, dtype=np.float64).ravel()
    except (TypeError, ValueError):
        raise ValueError(f"mean_std expects numbers (one result per seed), got {values!r:.80}") from None
    if v.size == 0:
        raise ValueError("mean_std got no values")
    return float(v.mean()), float(v.std(ddof=1)) if v.size > 1 else 0.0


def _cell(value, digits: int = 3) -> str:
    if value is None:
        return "n/a"
    if isinstance(value, str):
        return value
    v = np.asarray(value, dtype=np.float64).ravel()
    if v.size == 1:
        return f"{v[0]:.{digits}f}"
    return format_mean_std(v, digits)


def format_mean_std(values, digits: int = 3) -> str:
    """``"0.123 ± 0.004"``: the mean and sample standard deviation of per-seed results."""
    mean, std = mean_std(values)
    return f"{mean:.{digits}f} ± {std:.{digits}f}"


@dataclass(frozen=True)
class ResultsTable:
    """A table of results by model and column; prints as text, renders as HTML in notebooks."""

    columns: tuple[str, ...]
    rows: tuple[tuple[str, tuple[str, ...]], ...]
    note: str = ""

    def __str__(self) -> str:
        head = ("model",) + self.columns
        body = [(name,) + cells for name, cells in self.rows]
        widths = [max(len(r[i]) for r in [head] + body) for i in range(len(head))]
        fmt = lambda r: "  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip()
        lines = [fmt(head), fmt(tuple("-" * w for w in widths))] + [fmt(r) for r in body]
        return "\n".join(lines + ([self.note] if self.note else []))

    __repr__ = __str__

    def _repr_html_(self) -> str:
        esc = html.escape
        head = "".join(f"<th>{esc(c)}</th>" for c in ("model",) + self.columns)
        body = "".join(
            "<tr><td style='text-align:left'>" + esc(name) + "</td>"
            + "".join(f"<td>{esc(c)}</td>" for c in cells) + "</tr>"
            for name, cells in self.rows
        )
        note = f"<p><small>{esc(self.note)}</small></p>" if self.note else ""
        return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>{note}"


def results_table(rows: Mapping[str, Mapping[str, object]], columns: Sequence[str] | None = None,
               note: str = "") -> ResultsTable:
    """One table of results: ``rows`` maps a model's name to ``{column: value}``.

    A value is a number (one result), an array of per-seed results (shown as mean ± sample
    standard deviation), a string (e.g. a published figure) or ``None`` (shown as n/a).
    ``columns`` defaults to the keys of the first row. When any cell holds several seeds, the
    footer says what the spread is and over how many seeds.
    """
    if not isinstance(rows, Mapping) or not all(isinstance(r, Mapping) for r in rows.values()):
        raise TypeError(f"results_table expects rows as a dict {{name: {{column: value}}}}, got "
                        f"{type(rows).__name__}")
    if not rows:
        raise ValueError("results_table needs at least one row")
    if columns is None:
        columns = list(next(iter(rows.values())))
    columns = tuple(columns)
    table_rows, seeds = [], set()
    for name, values in rows.items():
        if not isinstance(values, Mapping):
            raise TypeError(f"row {name!r} must be a dict {{period: value}}, got {type(values).__name__}")
        unknown = set(values) - set(columns)
        if unknown:
            raise ValueError(f"row {name!r} has periods {sorted(unknown)} that are not columns {columns}")
        table_rows.append((str(name), tuple(_cell(values.get(c)) for c in columns)))
        for v in values.values():
            if v is not None and not isinstance(v, str) and np.asarray(v).size > 1:
                seeds.add(int(np.asarray(v).size))
    if seeds:
        n = "/".join(str(k) for k in sorted(seeds))
        spread = f"Mean ± sample standard deviation (ddof = 1) over {n} seeds."
        note = f"{note.rstrip()} {spread}" if note else spread
    return ResultsTable(columns, tuple(table_rows), note)
