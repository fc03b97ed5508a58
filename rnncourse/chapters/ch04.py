"""Chapter 4 (backpropagation through time): the echo task on which truncation visibly matters.

Truncated BPTT itself is :func:`rnncourse.train.fit` with ``chunk_length``; the NumPy BPTT,
RTRL and gradient checks are :mod:`rnncourse.numpy_rnn`.
"""

from __future__ import annotations

import torch

from .._validate import positive_int

__all__ = ["echo_task", "echo_run"]


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


def echo_run(chunk_length: int | None, seed: int = 0, *, epochs: int = 15, delay: int = 5,
             length: int = 240, n_train: int = 32, n_val: int = 8, hidden: int = 16,
             lr: float = 1e-2, carry_state: bool = True, device=None):
    """Train an Elman network (``hidden`` tanh units) on the echo task; return its History.

    Chapter 4's experiment: ``n_train`` sequences of ``length`` steps with their echo ``delay``
    steps later (data seed ``seed``), trained for ``epochs`` passes with Adam at ``lr``,
    gradient norm clipped at 1, with truncated BPTT in chunks of ``chunk_length`` steps
    (``None``: full BPTT, one chunk per sequence). ``seed`` also sets the initial weights.
    The validation loss is measured after every epoch on ``n_val`` fresh sequences (data seed
    ``1000 + seed``), run from start to end without truncation.
    """
    from ..models import ElmanNetwork
    from ..train import fit
    from ..utils import set_seed

    if chunk_length is not None:
        chunk_length = positive_int(chunk_length, "chunk_length")
    x, y = echo_task(n_train, length, delay, seed=seed)           # (n_train, length, 1) each
    val = echo_task(n_val, length, delay, seed=1000 + seed)
    set_seed(seed)
    model = ElmanNetwork(1, positive_int(hidden, "hidden"), 1)
    if device is not None:
        model = model.to(device)
    return fit(model, (x, y), chunk_length=chunk_length or length, epochs=positive_int(epochs, "epochs"),
               lr=lr, clip_norm=1.0, carry_state=carry_state, val_data=val)
