"""Text as numbers (chapter 9 onwards), re-exported as ``rc.data.CharVocab`` etc.

- :class:`CharVocab`: the characters of a text, each with an integer id; ``encode`` refuses a
  character it has never seen (with a message that names it), ``decode`` turns ids back;
- :func:`split_text`: a fixed split into a leading training part and a trailing validation
  part (no shuffling: neighbouring characters are not independent examples);
- :func:`streams`: a long sequence of ids cut into ``n`` parallel streams of inputs and
  next-character targets, the layout of stateful truncated BPTT (chapter 4 at scale).
"""

from __future__ import annotations

from typing import Iterable, Sequence

import numpy as np
import torch

from .._validate import positive_int

__all__ = ["CharVocab", "split_text", "streams"]


class CharVocab:
    """The characters of a text, sorted, each with an id ``0 .. len(vocab) - 1``.

    ``CharVocab("hello")`` has the 4 characters ``e h l o``. ``encode("hole")`` returns an
    int64 tensor of ids; ``decode(ids)`` returns the string. A character outside the
    vocabulary is an error, never silently dropped or replaced: a model has no input unit
    for it, and at generation time a prompt with such a character cannot be fed in.
    """

    def __init__(self, text: str | Iterable[str]):
        if isinstance(text, str):
            chars = sorted(set(text))
        else:
            chars = sorted(set(text))
            if not all(isinstance(c, str) and len(c) == 1 for c in chars):
                raise TypeError("CharVocab expects a string, or an iterable of single characters")
        if not chars:
            raise ValueError("CharVocab needs at least one character; the text is empty")
        self.chars: tuple[str, ...] = tuple(chars)
        self.index: dict[str, int] = {c: i for i, c in enumerate(self.chars)}

    def __len__(self) -> int:
        return len(self.chars)

    def __repr__(self) -> str:
        return f"CharVocab({len(self)} characters: {''.join(self.chars)!r})"

    def __contains__(self, char) -> bool:
        return char in self.index

    def encode(self, text: str) -> torch.Tensor:
        """The ids of the characters of ``text``: an int64 tensor of shape ``(len(text),)``."""
        if not isinstance(text, str):
            raise TypeError(f"encode expects a str, got {type(text).__name__}")
        unknown = sorted(set(text) - set(self.index))
        if unknown:
            first = min(text.index(c) for c in unknown)
            raise ValueError(
                f"character {text[first]!r} at position {first} is not in the vocabulary "
                f"(unknown: {''.join(unknown)!r}); expected only the {len(self)} characters "
                f"{''.join(self.chars)!r}")
        return torch.tensor([self.index[c] for c in text], dtype=torch.long)  # (len(text),)

    def decode(self, ids: Sequence[int] | torch.Tensor) -> str:
        """The string of the ids ``ids`` (a 1-D tensor or a list of ints)."""
        if isinstance(ids, str):
            raise TypeError("decode expects token ids (a 1-D tensor or a list of ints), got a str; "
                            "encode turns text into ids")
        if isinstance(ids, (torch.Tensor, np.ndarray)):
            if ids.ndim != 1:
                raise ValueError(f"decode expects a 1-D tensor of ids, got shape {tuple(ids.shape)}")
            ids = ids.tolist()
        out = []
        for i in ids:
            if isinstance(i, bool) or not isinstance(i, (int, np.integer)):
                raise ValueError(f"decode expects int ids in 0..{len(self) - 1}, got {i!r} "
                                 f"({type(i).__name__})")
            if not 0 <= i < len(self):
                raise ValueError(f"decode expects ids in 0..{len(self) - 1} (this vocabulary has "
                                 f"{len(self)} characters), got {i!r}; were the ids made with "
                                 "another vocabulary, or by a model with more outputs?")
            out.append(self.chars[int(i)])
        return "".join(out)


def split_text(text: str, train_fraction: float = 0.9) -> tuple[str, str]:
    """``(train, validation)``: the first ``train_fraction`` of ``text`` and the rest."""
    if not isinstance(text, str):
        raise TypeError(f"split_text expects a str, got {type(text).__name__}")
    if not 0 < train_fraction < 1:
        raise ValueError(f"train_fraction must lie strictly between 0 and 1, got {train_fraction!r}")
    cut = int(len(text) * train_fraction)
    if cut < 2 or len(text) - cut < 2:
        raise ValueError(f"the text ({len(text)} characters) is too short to split")
    return text[:cut], text[cut:]


def streams(ids: torch.Tensor, n_streams: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Cut a 1-D sequence of ids into ``n_streams`` consecutive streams of equal length.

    Returns ``(x, y)``, both ``(n_streams, L)`` with ``L = (len(ids) - 1) // n_streams``:
    stream ``b`` holds ``ids[b L : (b + 1) L]`` as inputs and the same positions shifted by
    one as targets, so ``y[b, t]`` is the character after ``x[b, t]``. Walking the streams in
    chunks with the state carried (``rc.train.fit(..., chunk_length=k)``) reads each stream
    from start to end; the last ``len(ids) - 1 - n_streams L`` characters are dropped.
    """
    if not isinstance(ids, torch.Tensor) or ids.dim() != 1:
        raise ValueError("streams expects a 1-D tensor of ids")
    n = positive_int(n_streams, "n_streams")
    L = (ids.shape[0] - 1) // n
    if L < 1:
        raise ValueError(f"{ids.shape[0]} ids are too few for {n} streams of at least 1 step")
    x = ids[: n * L].reshape(n, L)            # (n_streams, L)
    y = ids[1: n * L + 1].reshape(n, L)       # (n_streams, L), the next character
    return x, y
