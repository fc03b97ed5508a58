"""The pulse-converter experiment of chapters 6 and 7.

``run(kind, hidden_sizes, seeds=...)`` trains one architecture on ``rc.data.pulses`` (500
training and 500 test sequences of 100 steps by default) once per seed and reports the test
error: test MSE divided by the variance of the test targets, the measure of the lecture table.
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

__all__ = ["PulseResult", "run"]


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

    @property
    def mean(self) -> float:
        return float(np.mean(self.errors))

    @property
    def std(self) -> float:
        return float(np.std(self.errors))

    @property
    def label(self) -> str:
        name = {"rnn": "simple RNN", "lstm": "LSTM", "gru": "GRU"}[self.kind]
        return f"{name} {' then '.join(map(str, self.hidden_sizes))}" + (" (inverse)" if self.inverse else "")


def run(kind: str, hidden_sizes: Sequence[int] | int, *, seeds: Sequence[int] = (0, 1, 2),
        inverse: bool = False, n_train: int = 500, n_test: int = 500, length: int = 100,
        epochs: int = 300, lr: float = 1e-2, batch_size: int | None = 50, fast: bool = True,
        clip_norm: float | None = 1.0, data_seed: int = 0,
        device: torch.device | None = None) -> PulseResult:
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
        fit(model, pulses_pair, epochs=epochs, lr=lr, batch_size=batch_size, clip_norm=clip_norm,
            seed=seed, device=device)
        result.seconds.append(time.perf_counter() - start)
        with torch.no_grad():
            model.eval()
            pred = model(x_test.to(device)).cpu()  # (n_test, length, 1)
        result.errors.append(normalised_error(y_test, pred))
        result.models.append(model.cpu())
    return result


def _pulses(n, length, inverse, seed):
    from .data import pulses

    return pulses(n, length=length, inverse=inverse, seed=seed)
