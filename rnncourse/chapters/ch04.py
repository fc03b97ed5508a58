"""Chapter 4 (backpropagation through time): the echo task on which truncation visibly matters.

Truncated BPTT itself is :func:`rnncourse.train.fit` with ``chunk_length``; the NumPy BPTT,
RTRL and gradient checks are :mod:`rnncourse.numpy_rnn`.
"""

from __future__ import annotations

import torch

from .._validate import positive_int

__all__ = ["echo_task"]


def echo_task(n: int, length: int, delay: int, *, seed: int = 0,
              dtype: torch.dtype = torch.float32) -> tuple[torch.Tensor, torch.Tensor]:
    """``n`` sequences of uniform noise in [-1, 1] and their echo ``delay`` steps later.

    Returns ``(x, y)``, both (n, length, 1), with ``y[:, t] = x[:, t - delay]`` (0 for
    ``t < delay``). Predicting 0 everywhere gives an MSE of about 1/3 (the variance of x).
    """
    n, length = positive_int(n, "n"), positive_int(length, "length")
    if isinstance(delay, bool) or not isinstance(delay, int) or not 0 <= delay < length:
        raise ValueError(f"delay must be an int in [0, length) = [0, {length}), got {delay!r}")
    gen = torch.Generator().manual_seed(int(seed))
    x = torch.rand(n, length, 1, generator=gen, dtype=dtype) * 2 - 1  # (n, length, 1)
    y = torch.zeros_like(x)                                             # (n, length, 1)
    y[:, delay:] = x[:, :length - delay]
    return x, y
