"""Synthetic long-lag tasks (chapter 5 onwards), re-exported as ``rc.data.first_input_recall`` etc.

Every generator takes a ``seed`` and returns tensors shaped ``(n, time, features)`` (targets of
a classification task as ``(n,)`` class indices):

- :func:`first_input_recall`: classify a sequence by its *first* input after a delay of noise;
  the lag between cause and effect is the ``delay``, and nothing else helps.
- :func:`mackey_glass`: the chaotic Mackey-Glass series (delay differential equation),
  the classic benchmark of echo state networks.
"""

from __future__ import annotations

import math

import numpy as np
import torch

from .._validate import positive_int

__all__ = ["first_input_recall", "mackey_glass"]


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


def mackey_glass(n_steps: int, tau: float = 17.0, beta: float = 0.2, gamma: float = 0.1,
                 power: float = 10.0, dt: float = 0.1, sample_every: float = 1.0,
                 washout: int = 1000, seed: int = 0, dtype=torch.float64) -> torch.Tensor:
    """The Mackey-Glass series ``dx/dt = beta x(t - tau) / (1 + x(t - tau)^power) - gamma x(t)``.

    Integrated with fourth-order Runge-Kutta at step ``dt`` (the delayed value held over
    each step), from a constant history near 1.2 with a small seeded perturbation, then
    sampled every ``sample_every`` time units after ``washout`` samples. ``tau = 17`` gives
    the mildly chaotic series used by Jaeger and Haas (2004). Returns shape ``(1, n_steps, 1)``.
    """
    n_steps = positive_int(n_steps, "n_steps")
    washout = positive_int(washout, "washout", 0)
    for name, v in (("tau", tau), ("dt", dt), ("sample_every", sample_every)):
        if not isinstance(v, (int, float)) or isinstance(v, bool) or not v > 0:
            raise ValueError(f"{name} must be a positive number, got {v!r}")
    per_sample = round(sample_every / dt)
    if per_sample < 1 or abs(per_sample * dt - sample_every) > 1e-9:
        raise ValueError(f"sample_every ({sample_every}) must be a multiple of dt ({dt})")
    lag = round(tau / dt)
    rng = np.random.default_rng(seed)
    total = (n_steps + washout) * per_sample
    x = np.empty(lag + total + 1)
    x[: lag + 1] = 1.2 + 0.01 * rng.standard_normal(lag + 1)  # the history on [-tau, 0]

    def f(v, v_tau):
        return beta * v_tau / (1.0 + v_tau ** power) - gamma * v

    for i in range(lag, lag + total):
        v, d = x[i], x[i - lag]
        d_next = x[i - lag + 1]
        d_mid = 0.5 * (d + d_next)
        k1 = f(v, d)
        k2 = f(v + 0.5 * dt * k1, d_mid)
        k3 = f(v + 0.5 * dt * k2, d_mid)
        k4 = f(v + dt * k3, d_next)
        x[i + 1] = v + dt / 6.0 * (k1 + 2 * k2 + 2 * k3 + k4)
    samples = x[lag + (washout + 1) * per_sample::per_sample][:n_steps]  # every sample_every
    if len(samples) != n_steps:  # pragma: no cover - guarded by the arithmetic above
        raise RuntimeError("mackey_glass produced the wrong number of samples")
    return torch.as_tensor(samples, dtype=dtype).reshape(1, n_steps, 1)  # (1, time, 1)
