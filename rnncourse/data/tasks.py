"""The long-lag task of chapters 5 and 6, re-exported as ``rc.data.first_input_recall``.

:func:`first_input_recall` takes a ``seed`` and returns tensors shaped ``(n, time, features)``
and ``(n,)`` class indices: classify a sequence by its *first* input after a delay of noise;
the lag between cause and effect is the ``delay``, and nothing else helps. (Chapter 5's
Mackey-Glass series, which no other chapter uses, is in that chapter's module.)
"""

from __future__ import annotations

import math

import torch

from .._validate import positive_int

__all__ = ["first_input_recall"]


def first_input_recall(n: int, delay: int, n_classes: int = 4, noise: float = 0.5, seed: int = 0,
                       dtype=torch.float32):
    """Remember the first input over ``delay`` steps of noise.

    Step 0 carries a one-hot code of the class ``y`` (one of ``n_classes``); steps
    ``1 .. delay`` carry Gaussian noise of standard deviation ``noise`` on every channel.
    The label is asked for after the last step, so the model must carry it across ``delay``
    steps. Chance accuracy is ``1 / n_classes``.

    Returns ``x`` of shape ``(n, delay + 1, n_classes)`` and ``y`` of shape ``(n,)`` (int64).
    """
    n = positive_int(n, "n")
    delay = positive_int(delay, "delay", 0)
    n_classes = positive_int(n_classes, "n_classes", 2)
    if not isinstance(noise, (int, float)) or isinstance(noise, bool) or not math.isfinite(noise) or noise < 0:
        raise ValueError(f"noise must be a non-negative number, got {noise!r}")
    g = torch.Generator().manual_seed(int(seed))
    y = torch.randint(0, n_classes, (n,), generator=g)                       # (n,)
    x = noise * torch.randn(n, delay + 1, n_classes, generator=g, dtype=dtype)  # (n, time, classes)
    x[:, 0] = torch.nn.functional.one_hot(y, n_classes).to(dtype)           # the cue at t = 0
    return x, y
