"""Echo state networks: a fixed random reservoir with a trained linear readout (chapter 5).

Jaeger's answer to vanishing and exploding gradients is not to backpropagate through time at
all. A large random recurrent layer, the *reservoir*, is created once and never trained:

.. math::
    x_t = (1 - a)\\, x_{t-1} + a \\tanh(W_{in} [1; u_t] + W x_{t-1})

(``a`` is the leak rate, 1 by default). ``W`` is scaled to a spectral radius just below 1, so
the reservoir forgets its start (the *echo state property*) but slowly, and its state is a rich
non-linear echo of the recent inputs. Only the readout ``y_t = W_out [1; u_t; x_t]`` is fitted,
by ridge regression: one linear solve, no gradient at all.

Shapes follow the course: inputs ``u`` and targets ``y`` are ``(batch, time, features)``
(a single ``(time, features)`` series is accepted too). Computation is in float64.
"""

from __future__ import annotations

import math

import torch

from .gradients import scale_to_spectral_radius

__all__ = ["EchoStateNetwork", "ridge_regression"]


def ridge_regression(X: torch.Tensor, Y: torch.Tensor, ridge: float) -> torch.Tensor:
    """``W`` minimising ``||X W^T - Y||^2 + ridge ||W||^2``: ``W = Y^T X (X^T X + ridge I)^{-1}``.

    ``X`` is ``(samples, features)``, ``Y`` is ``(samples, outputs)``; returns ``(outputs, features)``.
    """
    if X.dim() != 2 or Y.dim() != 2 or X.shape[0] != Y.shape[0]:
        raise ValueError(f"ridge_regression expects X (samples, features) and Y (samples, outputs) "
                         f"with the same number of samples, got {tuple(X.shape)} and {tuple(Y.shape)}")
    if X.shape[0] == 0:
        raise ValueError("ridge_regression got no samples")
    if not ridge >= 0:
        raise ValueError(f"ridge must be >= 0, got {ridge}")
    A = X.T @ X + ridge * torch.eye(X.shape[1], dtype=X.dtype, device=X.device)  # (F, F)
    B = X.T @ Y                                                                   # (F, out)
    return torch.linalg.solve(A, B).T                                             # (out, F)


def _as_batch(a, name: str, features: int | None = None) -> torch.Tensor:
    if not isinstance(a, torch.Tensor):
        raise TypeError(f"{name} must be a torch.Tensor, got {type(a).__name__}")
    if a.dim() == 2:
        a = a.unsqueeze(0)
    if a.dim() != 3:
        raise ValueError(f"{name} must have shape (batch, time, features) or (time, features), "
                         f"got {tuple(a.shape)}")
    if a.shape[1] == 0:
        raise ValueError(f"{name} is empty (time dimension 0)")
    if features is not None and a.shape[2] != features:
        raise ValueError(f"{name} must have {features} features, got shape {tuple(a.shape)}")
    return a.to(torch.float64)


class EchoStateNetwork:
    """An echo state network (Jaeger 2001; Jaeger and Haas 2004).

    ``reservoir_size`` units; reservoir matrix ``W`` with a share ``density`` of non-zero
    weights, scaled to ``spectral_radius``; input weights uniform in
    ``[-input_scaling, input_scaling]`` (the bias column in ``[-bias_scaling, bias_scaling]``);
    ``leak_rate`` ``a`` in ``(0, 1]``; readout fitted by ridge regression with penalty
    ``ridge``. Everything random is drawn from ``seed``.

    Use: ``esn.fit(u, y, washout)`` then ``esn.predict(u)``; for a series that predicts its own
    next value, ``esn.generate(n_steps, state, last_output)`` runs freely, feeding each
    prediction back as the next input.
    """

    def __init__(self, input_size: int, reservoir_size: int = 300, output_size: int = 1,
                 spectral_radius: float = 0.95, input_scaling: float = 1.0,
                 bias_scaling: float = 0.2, leak_rate: float = 1.0, density: float = 0.1,
                 ridge: float = 1e-8, seed: int = 0):
        for name, v in (("input_size", input_size), ("reservoir_size", reservoir_size),
                        ("output_size", output_size)):
            if isinstance(v, bool) or not isinstance(v, int) or v < 1:
                raise ValueError(f"{name} must be a positive int, got {v!r}")
        if not 0 < leak_rate <= 1:
            raise ValueError(f"leak_rate must be in (0, 1], got {leak_rate}")
        if not 0 < density <= 1:
            raise ValueError(f"density must be in (0, 1], got {density}")
        if not (math.isfinite(spectral_radius) and spectral_radius > 0):
            raise ValueError(f"spectral_radius must be positive, got {spectral_radius}")
        if not ridge >= 0:
            raise ValueError(f"ridge must be >= 0, got {ridge}")
        self.input_size, self.reservoir_size, self.output_size = input_size, reservoir_size, output_size
        self.spectral_radius, self.leak_rate, self.ridge = spectral_radius, leak_rate, ridge
        g = torch.Generator().manual_seed(seed)
        N = reservoir_size
        W = torch.rand(N, N, generator=g, dtype=torch.float64) * 2 - 1              # (N, N)
        mask = torch.rand(N, N, generator=g, dtype=torch.float64) < density
        W = W * mask
        if not mask.any():
            raise ValueError("the reservoir has no connections; raise density")
        self.W = scale_to_spectral_radius(W, spectral_radius)                        # (N, N)
        W_in = torch.rand(N, input_size + 1, generator=g, dtype=torch.float64) * 2 - 1
        W_in[:, 0] *= bias_scaling
        W_in[:, 1:] *= input_scaling
        self.W_in = W_in                                                              # (N, 1 + I)
        self.W_out: torch.Tensor | None = None                                        # (O, 1 + I + N)

    @property
    def n_trained(self) -> int:
        """How many numbers training fits: the readout only, ``O (1 + I + N)``."""
        return self.output_size * (1 + self.input_size + self.reservoir_size)

    def init_state(self, batch: int = 1) -> torch.Tensor:
        return torch.zeros(batch, self.reservoir_size, dtype=torch.float64)  # (batch, N)

    def step(self, u_t: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        """One reservoir update: ``u_t`` (batch, I), ``x`` (batch, N) -> next state (batch, N)."""
        ones = torch.ones(u_t.shape[0], 1, dtype=torch.float64)
        pre = torch.cat([ones, u_t], dim=1) @ self.W_in.T + x @ self.W.T  # (batch, N)
        return (1 - self.leak_rate) * x + self.leak_rate * torch.tanh(pre)

    @torch.no_grad()
    def run(self, u: torch.Tensor, state: torch.Tensor | None = None):
        """Drive the reservoir with ``u``: returns all states ``(batch, time, N)`` and the last one."""
        u = _as_batch(u, "u", self.input_size)
        x = self.init_state(u.shape[0]) if state is None else state.to(torch.float64)
        if x.shape != (u.shape[0], self.reservoir_size):
            raise ValueError(f"state must have shape ({u.shape[0]}, {self.reservoir_size}), "
                             f"got {tuple(x.shape)}")
        states = []
        for t in range(u.shape[1]):
            x = self.step(u[:, t], x)
            states.append(x)
        return torch.stack(states, dim=1), x  # (batch, time, N), (batch, N)

    @staticmethod
    def _features(u: torch.Tensor, states: torch.Tensor) -> torch.Tensor:
        ones = torch.ones(*u.shape[:2], 1, dtype=torch.float64)
        return torch.cat([ones, u, states], dim=2)  # (batch, time, 1 + I + N)

    @torch.no_grad()
    def fit(self, u: torch.Tensor, y: torch.Tensor, washout: int = 100) -> "EchoStateNetwork":
        """Fit the readout so that ``W_out [1; u_t; x_t] ~ y_t``, ignoring the first ``washout`` steps."""
        u = _as_batch(u, "u", self.input_size)
        y = _as_batch(y, "y", self.output_size)
        if y.shape[:2] != u.shape[:2]:
            raise ValueError(f"u and y must have the same batch and time sizes, got "
                             f"{tuple(u.shape)} and {tuple(y.shape)}")
        if not 0 <= washout < u.shape[1]:
            raise ValueError(f"washout must be in [0, {u.shape[1]}), got {washout}")
        states, _ = self.run(u)
        X = self._features(u, states)[:, washout:].reshape(-1, 1 + self.input_size + self.reservoir_size)
        Y = y[:, washout:].reshape(-1, self.output_size)
        self.W_out = ridge_regression(X, Y, self.ridge)  # (O, 1 + I + N)
        return self

    def _readout(self, u: torch.Tensor, states: torch.Tensor) -> torch.Tensor:
        if self.W_out is None:
            raise RuntimeError("the readout is not trained yet: call fit(u, y) first")
        return self._features(u, states) @ self.W_out.T  # (batch, time, O)

    @torch.no_grad()
    def predict(self, u: torch.Tensor, state: torch.Tensor | None = None):
        """Outputs ``(batch, time, O)`` for inputs ``u``, and the final reservoir state."""
        u = _as_batch(u, "u", self.input_size)
        states, last = self.run(u, state)
        return self._readout(u, states), last

    @torch.no_grad()
    def generate(self, n_steps: int, state: torch.Tensor, last_output: torch.Tensor) -> torch.Tensor:
        """Run freely for ``n_steps``: each output becomes the next input (needs ``O == I``).

        ``state`` (batch, N) and ``last_output`` (batch, I) are where teacher forcing ended,
        e.g. from :meth:`predict`. Returns ``(batch, n_steps, O)``.
        """
        if self.output_size != self.input_size:
            raise ValueError("generate feeds outputs back as inputs: output_size must equal input_size")
        if isinstance(n_steps, bool) or not isinstance(n_steps, int) or n_steps < 1:
            raise ValueError(f"n_steps must be a positive int, got {n_steps!r}")
        x, u_t = state.to(torch.float64), last_output.to(torch.float64).reshape(state.shape[0], -1)
        outs = []
        for _ in range(n_steps):
            x = self.step(u_t, x)                                          # (batch, N)
            u_t = self._readout(u_t[:, None], x[:, None])[:, 0]            # (batch, O)
            outs.append(u_t)
        return torch.stack(outs, dim=1)  # (batch, n_steps, O)
