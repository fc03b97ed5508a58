"""The pulse-converter experiment of chapters 6 and 7.

``run(kind, hidden_sizes, seeds=...)`` trains one architecture on ``rc.data.pulses`` (500
training and 500 test sequences of 100 steps by default) once per seed and reports the test
error: test MSE divided by the variance of the test targets, the measure of the lecture table.
:data:`LECTURE` holds that table; :func:`table` prints results beside it.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Sequence

import numpy as np
import torch

from .metrics import normalised_error
from .models import FastSequenceRegressor, SequenceRegressor
from .train import fit
from .utils import count_params, set_seed

__all__ = ["LECTURE", "PulseResult", "run", "table"]

# The lecture's table: (kind, hidden sizes, inverse) -> (trainable weights, test error).
LECTURE = {
    ("rnn", (5,), False): (41, 0.47),
    ("lstm", (5,), False): (146, 0.08),
    ("rnn", (10,), False): (131, 0.27),
    ("lstm", (5, 3), False): (252, 0.04),
    ("gru", (5, 3), False): (190, 0.03),
    ("lstm", (25,), True): (2726, 0.07),
}


@dataclass
class PulseResult:
    """Errors of one architecture over several seeds (one entry per seed)."""

    kind: str
    hidden_sizes: list[int]
    inverse: bool
    params: int
    errors: list[float] = field(default_factory=list)
    seconds: list[float] = field(default_factory=list)
    models: list[torch.nn.Module] = field(default_factory=list, repr=False)
    histories: list = field(default_factory=list, repr=False)

    @property
    def mean(self) -> float:
        return float(np.mean(self.errors))

    @property
    def std(self) -> float:
        return float(np.std(self.errors))

    @property
    def lecture(self) -> tuple[int, float] | None:
        """``(weights, error)`` of this model in the lecture's table, or None if it is not there."""
        return LECTURE.get((self.kind, tuple(self.hidden_sizes), self.inverse))

    @property
    def label(self) -> str:
        name = {"rnn": "simple RNN", "lstm": "LSTM", "gru": "GRU"}[self.kind]
        return f"{name} {' then '.join(map(str, self.hidden_sizes))}" + (" (inverse)" if self.inverse else "")


def run(kind: str, hidden_sizes: Sequence[int] | int, *, seeds: Sequence[int] = (0, 1, 2),
        inverse: bool = False, n_train: int = 500, n_test: int = 500, length: int = 100,
        epochs: int = 300, lr: float = 1e-2, batch_size: int | None = 50, fast: bool = True,
        clip_norm: float | None = 1.0, data_seed: int = 0,
        device: torch.device | None = None, progress: bool | None = None) -> PulseResult:
    """Train ``kind`` with ``hidden_sizes`` on the pulse converter once per seed.

    ``fast=True`` uses :class:`rnncourse.models.FastSequenceRegressor` (fused torch layers),
    ``False`` the from-scratch cells; both have the lecture's parameter counts. Training and
    test sets come from different seeds of ``rc.data.pulses`` (``data_seed`` and
    ``data_seed + 1``), the same for every model seed.
    """
    if not seeds:
        raise ValueError("run needs at least one seed")
    device = device or torch.device("cpu")
    pulses_pair = _pulses(n_train, length, inverse, data_seed)
    x_test, y_test = _pulses(n_test, length, inverse, data_seed + 1)
    hs = [hidden_sizes] if isinstance(hidden_sizes, int) else list(hidden_sizes)
    Model = FastSequenceRegressor if fast else SequenceRegressor
    result = None
    for seed in seeds:
        set_seed(seed)
        model = Model(kind, 1, hs, 1).to(device)
        if result is None:
            result = PulseResult(kind, hs, inverse, count_params(model))
        start = time.perf_counter()
        history = fit(model, pulses_pair, epochs=epochs, lr=lr, batch_size=batch_size,
                      clip_norm=clip_norm, seed=seed, device=device, progress=progress)
        result.histories.append(history)
        result.seconds.append(time.perf_counter() - start)
        with torch.no_grad():
            model.eval()
            pred = model(x_test.to(device)).cpu()  # (n_test, length, 1)
        result.errors.append(normalised_error(y_test, pred))
        result.models.append(model.cpu())
    return result


def table(results: Sequence[PulseResult]) -> str:
    """The results as a text table beside the lecture's figures (mean and spread over seeds)."""
    lines = [f"{'model':<28}{'weights':>8}{'lecture':>9}{'error (mean +- std, n seeds)':>32}"
             f"{'lecture':>9}"]
    for r in results:
        lec = r.lecture
        lines.append(
            f"{r.label:<28}{r.params:>8}{(str(lec[0]) if lec else '-'):>9}"
            f"{f'{r.mean:.3f} +- {r.std:.3f} (n={len(r.errors)})':>32}"
            f"{(f'{lec[1]:.2f}' if lec else '-'):>9}"
        )
    return "\n".join(lines)


def _pulses(n, length, inverse, seed):
    from .data import pulses

    return pulses(n, length=length, inverse=inverse, seed=seed)
