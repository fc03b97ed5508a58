"""Dates written by people, and the same dates in ISO form, from a seed: chapter 10's data.

A companion of :mod:`rnncourse.chapters.ch10`, imported as
``from rnncourse.chapters import ch10_dates as dates``.

:func:`date_pairs` draws calendar dates and writes each one in one of many human formats,
``"22 november 2026"``, ``"nov 22, 26"``, ``"22/11/2026"``, ``"sunday, 22nd of november 2026"``,
optionally with filler words around it (``"please note the meeting is on 22.11.26 thanks"``);
the target is always the ISO date ``"2026-11-22"``.

- Years run from 1950 to 2049, so a two-digit year is never ambiguous: ``yy >= 50`` is 19yy,
  otherwise 20yy. Numeric formats put the day first (``22/11/2026``, as in most of Europe).
- ``split="train"`` and ``split="test"`` draw from two disjoint sets of calendar dates (a fixed
  80 / 20 split of the 36,525 days), so a test date was never seen in training in any format.
- ``filler=(lo, hi)`` puts between ``lo`` and ``hi`` filler words around the date, split at
  random between before and after. No filler word is a month or weekday name or abbreviation.

:func:`encode_pairs` turns the pairs into token tensors for a sequence-to-sequence model:
inputs padded on the right with :data:`PAD`, targets as the ten ISO characters followed by :data:`END`. :func:`decode_outputs`
turns output tokens back into strings.
"""

from __future__ import annotations

import datetime as _dt
import string

import numpy as np
import torch

from .._validate import int_tensor, nonnegative_int, positive_int, probability, token_id

__all__ = ["MONTHS", "WEEKDAYS", "FORMATS", "FILLER_WORDS", "INPUT_CHARS", "OUTPUT_CHARS", "PAD",
           "END", "START", "date_pairs", "write_date", "encode_pairs", "encode_inputs",
           "decode_outputs", "input_lengths"]

MONTHS = ("january", "february", "march", "april", "may", "june", "july", "august",
          "september", "october", "november", "december")
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")

FILLER_WORDS = ("please", "note", "that", "the", "meeting", "is", "on", "see", "you", "then",
                "we", "will", "meet", "party", "deadline", "due", "by", "from", "until", "after",
                "before", "lunch", "at", "noon", "call", "me", "about", "it", "booked", "for",
                "invoice", "paid", "ok", "thanks", "trip", "starts", "ends", "report", "back",
                "hotel", "flight", "leaves", "arrives", "and", "confirm", "our", "visit",
                "exam", "was", "moved", "to", "next", "week", "office", "closed")

_NAMES = set(MONTHS) | {m[:3] for m in MONTHS} | set(WEEKDAYS) | {w[:3] for w in WEEKDAYS}
assert not _NAMES & set(FILLER_WORDS)


def _ordinal(d: int) -> str:
    if d in (11, 12, 13):
        return f"{d}th"
    return f"{d}" + {1: "st", 2: "nd", 3: "rd"}.get(d % 10, "th")


# name -> how to write (day, month, year); month is 1..12
FORMATS = {
    "d month yyyy": lambda d, m, y: f"{d} {MONTHS[m - 1]} {y}",              # 22 november 2026
    "d mon yyyy": lambda d, m, y: f"{d} {MONTHS[m - 1][:3]} {y}",            # 22 nov 2026
    "month d, yyyy": lambda d, m, y: f"{MONTHS[m - 1]} {d}, {y}",            # november 22, 2026
    "mon d, yy": lambda d, m, y: f"{MONTHS[m - 1][:3]} {d}, {y % 100:02d}",  # nov 22, 26
    "dd/mm/yyyy": lambda d, m, y: f"{d:02d}/{m:02d}/{y}",                     # 22/11/2026
    "dd.mm.yy": lambda d, m, y: f"{d:02d}.{m:02d}.{y % 100:02d}",             # 22.11.26
    "d-mon-yyyy": lambda d, m, y: f"{d}-{MONTHS[m - 1][:3]}-{y}",             # 22-nov-2026
    "dth of month yyyy": lambda d, m, y: f"{_ordinal(d)} of {MONTHS[m - 1]} {y}",  # 22nd of november 2026
}

FIRST_YEAR, LAST_YEAR = 1950, 2049
_DAY0 = _dt.date(FIRST_YEAR, 1, 1).toordinal()
_N_DAYS = _dt.date(LAST_YEAR, 12, 31).toordinal() - _DAY0 + 1      # 36,525 days

PAD, END, START = 0, 0, 1
INPUT_CHARS = ("<pad>",) + tuple(string.ascii_lowercase + string.digits + " ,./-")
OUTPUT_CHARS = ("<end>", "<start>") + tuple(string.digits + "-")
_IN = {c: i for i, c in enumerate(INPUT_CHARS)}
_OUT = {c: i for i, c in enumerate(OUTPUT_CHARS)}


def write_date(date: _dt.date, fmt: str, weekday: str | None = None) -> str:
    """``date`` in the human format ``fmt`` (a key of :data:`FORMATS`), with an optional weekday
    in front: ``weekday="long"`` gives ``"sunday, 22 november 2026"``, ``"short"`` ``"sun 22 nov 2026"``."""
    if not isinstance(date, _dt.date):
        raise TypeError(f"write_date expects a datetime.date, got {type(date).__name__} {date!r}; "
                        "for an ISO string use datetime.date.fromisoformat(s)")
    if not isinstance(fmt, str) or fmt not in FORMATS:
        raise ValueError(f"unknown date format {fmt!r}: expected one of {sorted(FORMATS)}")
    text = FORMATS[fmt](date.day, date.month, date.year)
    name = WEEKDAYS[date.weekday()]
    if weekday == "long":
        return f"{name}, {text}"
    if weekday == "short":
        return f"{name[:3]} {text}"
    if weekday is not None:
        raise ValueError(f"weekday must be None, 'long' or 'short', got {weekday!r}")
    return text


def _split_days(split: str) -> np.ndarray:
    if split not in ("train", "test", "all"):
        raise ValueError(f"split must be 'train', 'test' or 'all', got {split!r}")
    days = np.arange(_N_DAYS)
    if split == "all":
        return days
    order = np.random.default_rng(20260101).permutation(_N_DAYS)   # the same split every time
    cut = int(0.8 * _N_DAYS)
    return np.sort(order[:cut] if split == "train" else order[cut:])


def date_pairs(n: int, seed: int = 0, split: str = "train", filler=(0, 0),
               weekday_prob: float = 0.3, formats=None) -> list[tuple[str, str]]:
    """``n`` pairs ``(human, iso)``: a date in a random human format and its ISO form.

    ``split``: ``"train"`` or ``"test"`` (disjoint calendar dates, see the module docstring) or
    ``"all"``. ``filler``: ``(lo, hi)`` filler words around the date (an int ``k`` means exactly
    ``k``). ``weekday_prob``: the chance of a weekday name in front (long or short, equally
    often). ``formats``: the keys of :data:`FORMATS` to draw from (all of them by default).
    """
    n = positive_int(n, "n")
    if isinstance(filler, (int, np.integer)) and not isinstance(filler, bool):
        filler = (filler, filler)
    if not isinstance(filler, (tuple, list)) or len(filler) != 2:
        raise ValueError(f"filler must be a number of words or a pair (lo, hi), got {filler!r}")
    lo, hi = nonnegative_int(filler[0], "filler[0]"), nonnegative_int(filler[1], "filler[1]")
    if hi < lo:
        raise ValueError(f"filler = (lo, hi) needs lo <= hi, got {filler!r}")
    probability(weekday_prob, "weekday_prob")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise ValueError(f"seed must be an int, got {seed!r}")
    if isinstance(formats, str):
        raise ValueError(f"formats must be a list of keys of FORMATS, got the string {formats!r}; "
                         f"write formats=[{formats!r}]")
    names = list(FORMATS) if formats is None else list(formats)
    for f in names:
        if f not in FORMATS:
            raise ValueError(f"unknown date format {f!r}: expected keys of FORMATS {sorted(FORMATS)}")
    if not names:
        raise ValueError("formats is empty: give at least one key of FORMATS")
    rng = np.random.default_rng(seed)
    days = _split_days(split)
    pairs = []
    for _ in range(n):
        date = _dt.date.fromordinal(_DAY0 + int(rng.choice(days)))
        wd = None
        if rng.random() < weekday_prob:
            wd = "long" if rng.random() < 0.5 else "short"
        text = write_date(date, names[rng.integers(len(names))], wd)
        k = int(rng.integers(lo, hi + 1))
        if k:
            words = [FILLER_WORDS[i] for i in rng.integers(len(FILLER_WORDS), size=k)]
            before = int(rng.integers(k + 1))
            text = " ".join(words[:before] + [text] + words[before:])
        pairs.append((text, date.isoformat()))
    return pairs


def encode_inputs(texts, length: int | None = None) -> torch.Tensor:
    """Human date strings as ``(n, length)`` int64 tokens, padded on the right with :data:`PAD`."""
    if isinstance(texts, str):
        raise TypeError(f"encode_inputs expects a list of strings, got one string {texts!r}; "
                        f"write [{texts!r}]")
    texts = list(texts)
    if not texts:
        raise ValueError("encode_inputs got no strings")
    for t in texts:
        if not isinstance(t, str):
            raise TypeError(f"encode_inputs expects strings, got {type(t).__name__} {t!r}")
    longest = max(len(t) for t in texts)
    T = longest if length is None else positive_int(length, "length")
    if longest > T:
        raise ValueError(f"an input has {longest} characters, more than length={T}")
    x = torch.full((len(texts), T), PAD, dtype=torch.long)
    for i, t in enumerate(texts):
        try:
            ids = [_IN[c] for c in t]
        except KeyError as e:
            raise ValueError(f"unknown character {e.args[0]!r} in {t!r}: expected lowercase "
                             "letters, digits, space and , . / -") from None
        if ids:
            x[i, :len(ids)] = torch.tensor(ids)
    return x


def encode_pairs(pairs, length: int | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """``(x, y)``: inputs ``(n, T)`` right-padded with :data:`PAD`, targets ``(n, 11)``: the ten
    ISO characters and :data:`END` (output vocabulary :data:`OUTPUT_CHARS`)."""
    pairs = list(pairs)
    if not pairs:
        raise ValueError("encode_pairs got no pairs")
    for p in pairs:
        if not isinstance(p, (tuple, list)) or len(p) != 2 or not all(isinstance(s, str) for s in p):
            raise ValueError(f"encode_pairs expects (human, iso) pairs of strings, got {p!r}")
        iso = p[1]
        if len(iso) != 10 or any(c not in _OUT or c in OUTPUT_CHARS[:2] for c in iso):
            raise ValueError(f"the target {iso!r} is not an ISO date: expected ten characters "
                             "yyyy-mm-dd of digits and '-'")
    x = encode_inputs([p[0] for p in pairs], length)
    y = torch.tensor([[_OUT[c] for c in iso] + [END] for _, iso in pairs], dtype=torch.long)
    return x, y


def input_lengths(x: torch.Tensor) -> torch.Tensor:
    """The number of real (non-pad) characters of every row of encoded inputs ``(n, T)``."""
    int_tensor(x, "x", 2, "input_lengths", "(n, T), from encode_inputs")
    return (x != PAD).sum(dim=1)


def decode_outputs(tokens) -> list[str]:
    """Output tokens ``(n, L)`` as strings, each cut at its first :data:`END`."""
    if isinstance(tokens, (torch.Tensor, np.ndarray)):
        if tokens.ndim != 2:
            raise ValueError(f"decode_outputs expects tokens of shape (n, L), got {tuple(tokens.shape)}")
        tokens = tokens.tolist()
    out = []
    for row in tokens:
        if not isinstance(row, (list, tuple)):
            raise ValueError(f"decode_outputs expects rows of tokens (n, L), got a row {row!r}")
        chars = []
        for t in row:
            token_id(t, len(OUTPUT_CHARS), "every output token")
            if t == END:
                break
            chars.append(OUTPUT_CHARS[t] if t != START else "")
        out.append("".join(chars))
    return out
