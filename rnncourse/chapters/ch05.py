"""Chapter 5 (vanishing and exploding gradients): measuring them, and the remedies.

Backpropagation through time multiplies one Jacobian per step,

.. math::
    \\frac{\\partial h_T}{\\partial h_t} = \\prod_{k=t+1}^{T} \\operatorname{diag}(g'(a_k)) W_{hh},

so the size of ``dL_T/dh_t`` changes roughly geometrically with the lag ``T - t``. This module
holds the chapter's experiments:

- :func:`spectral_radius`, :func:`scale_to_spectral_radius`, :func:`set_spectral_radius_`,
  :func:`random_recurrent_matrix`
- :func:`irnn` (ReLU with identity initialisation, Le et al. 2015)
- :func:`clipping_comparison` (what norm and value clipping do to one gradient)
- :class:`LeakyRNNCell` and :class:`SkipRNNCell`, the remedies' cells (cells of the core's kind:
  :class:`rnncourse.layers.Recurrent` runs them)
- :class:`EchoStateNetwork` and :func:`ridge_regression` (Jaeger 2001), and their benchmark
  series :func:`mackey_glass`

Gradient norms by lag are measured with :func:`rnncourse.gradients.gradient_norms_by_lag`; the
recall task is :func:`rnncourse.data.first_input_recall`.
"""

from __future__ import annotations

import math

import numpy as np
import torch
from torch import nn

from .._validate import available_device, positive_int
from ..cells import ACTIVATIONS, _Cell
from ..fast import FastRecurrent
from ..layers import Recurrent
from ..train import clip_gradients

__all__ = [
    "spectral_radius",
    "scale_to_spectral_radius",
    "set_spectral_radius_",
    "random_recurrent_matrix",
    "tanh_edge",
    "irnn",
    "LeakyRNNCell",
    "SkipRNNCell",
    "clipping_comparison",
    "EchoStateNetwork",
    "ridge_regression",
    "mackey_glass",
    "RECALL_MODELS",
    "recall_core",
    "recall_run",
    "exploding_model",
    "exploding_run",
    "esn_scores",
    "linear_one_step",
]


# --------------------------------------------------------------------------- spectral radius

def _square(W, who: str) -> torch.Tensor:
    if isinstance(W, np.ndarray):
        W = torch.from_numpy(W)
    if not isinstance(W, torch.Tensor):
        raise TypeError(f"{who} expects a square matrix (torch.Tensor or numpy array), "
                        f"got {type(W).__name__}")
    if W.dim() != 2 or W.shape[0] != W.shape[1] or W.shape[0] == 0:
        raise ValueError(f"{who} expects a non-empty square matrix, got shape {tuple(W.shape)}")
    if not torch.isfinite(W).all():
        raise ValueError(f"{who}: the matrix contains NaN or infinite values")
    return W


def spectral_radius(W) -> float:
    """The largest absolute value of the eigenvalues of the square matrix ``W``.

    Not the largest singular value (the spectral *norm*): for a non-normal matrix the two
    differ, and it is the spectral radius that decides how ``W^k`` behaves for large ``k``.
    """
    W = _square(W, "spectral_radius")
    eig = torch.linalg.eigvals(W.detach().to(torch.float64).cpu())  # complex, (n,)
    return float(eig.abs().max())


def scale_to_spectral_radius(W, rho: float):
    """``W`` multiplied by a scalar so that its spectral radius becomes ``rho``.

    Eigenvalues scale with the matrix, so ``W * rho / spectral_radius(W)`` has spectral radius
    ``rho`` and the same eigenvectors. Returns the same type as ``W`` (tensor or array).
    """
    was_numpy = isinstance(W, np.ndarray)
    Wt = _square(W, "scale_to_spectral_radius")
    if isinstance(rho, bool) or not isinstance(rho, (int, float)) or not math.isfinite(rho) or rho < 0:
        raise ValueError(f"rho must be a non-negative finite number, got {rho!r}")
    r = spectral_radius(Wt)
    if r < 1e-12:
        raise ValueError("the matrix has spectral radius 0 (it is nilpotent or zero); "
                         "it cannot be scaled to another spectral radius")
    out = Wt * (rho / r)
    return out.numpy() if was_numpy else out


@torch.no_grad()
def set_spectral_radius_(weight: torch.Tensor, rho: float) -> torch.Tensor:
    """Rescale a recurrent weight (e.g. ``cell.weight_h``) in place to spectral radius ``rho``."""
    weight.copy_(scale_to_spectral_radius(weight.detach(), rho))
    return weight


def random_recurrent_matrix(n: int, rho: float, kind: str = "gaussian", seed: int = 0,
                            dtype=torch.float32) -> torch.Tensor:
    """A random ``(n, n)`` matrix with spectral radius ``rho``.

    ``kind="gaussian"``: i.i.d. normal entries (a non-normal matrix, the typical case);
    ``kind="orthogonal"``: ``rho`` times a random orthogonal matrix, whose singular values all
    equal ``rho``, so that ``||W^k v|| = rho^k ||v||`` exactly.
    """
    positive_int(n, "n")
    g = torch.Generator().manual_seed(seed)
    A = torch.randn(n, n, generator=g, dtype=torch.float64)
    if kind == "gaussian":
        W = scale_to_spectral_radius(A, rho)
    elif kind == "orthogonal":
        Q, R = torch.linalg.qr(A)
        W = rho * Q * torch.sign(torch.diagonal(R))  # (n, n), Haar-distributed
    else:
        raise ValueError(f"kind must be 'gaussian' or 'orthogonal', got {kind!r}")
    return W.to(dtype)


EDGE_GRID = tuple(float(r) for r in np.round(np.arange(1.0, 2.01, 0.05), 2))


def tanh_edge(x: torch.Tensor, w_seed: int = 0, hidden: int = 64, grid=EDGE_GRID,
              start: int = 10, stop: int = 46) -> tuple[float, np.ndarray]:
    """Where a tanh RNN's gradient stops vanishing, for the inputs ``x`` ``(batch, time, 4)``.

    For every spectral radius ``rho`` on ``grid`` a ``rc.cells.RNNCell(4, hidden)`` (other
    weights from seed 0) gets the Gaussian ``W_hh`` of :func:`random_recurrent_matrix` with
    ``seed=w_seed``, and the slope of ``log10 ||dL_T/dh_t||`` against the lag is fitted on lags
    ``start`` to ``stop - 1`` (:func:`rnncourse.gradients.log_slope`). Returns ``(edge, slopes)``:
    ``edge`` is the *first* crossing of zero (interpolated linearly between the last negative
    and the first positive slope on the grid; NaN if the slope never turns positive, or is
    already positive at the first point), ``slopes`` the slope at every grid point.
    """
    from ..cells import RNNCell
    from ..gradients import gradient_norms_by_lag, log_slope
    from ..utils import set_seed

    grid = np.asarray(grid, dtype=np.float64)
    slopes = []
    for rho in grid:
        set_seed(0)
        cell = RNNCell(x.shape[-1], positive_int(hidden, "hidden"))
        with torch.no_grad():
            cell.weight_h.copy_(random_recurrent_matrix(hidden, float(rho), seed=w_seed))
        slopes.append(log_slope(gradient_norms_by_lag(cell, x), start=start, stop=stop))
    slopes = np.array(slopes)
    j = int(np.argmax(slopes > 0))
    if j == 0:
        return float("nan"), slopes
    return float(np.interp(0.0, slopes[j - 1:j + 1], grid[j - 1:j + 1])), slopes


# --------------------------------------------------------------------------- models

class LeakyRNNCell(_Cell):
    """Leaky units: ``h_t = (1 - 1/tau) h_{t-1} + (1/tau) g(W_xh x_t + W_hh h_{t-1} + b_h)`` (chapter 5).

    ``tau >= 1`` is the time constant (a float, or one per unit as ``hidden_size`` floats);
    ``tau = 1`` is the simple RNN. With ``nonlinearity="linear"`` and ``tau = 1`` it is the
    *linear* RNN that chapter 5 uses to see the spectral radius act alone. The time constants
    are fixed, not trained. Parameters as the simple RNN: ``H*I + H*H + H``.
    """

    def __init__(self, input_size: int, hidden_size: int, tau=1.0, nonlinearity: str = "tanh"):
        if nonlinearity not in ("tanh", "relu", "linear"):
            raise ValueError(f"nonlinearity must be 'tanh', 'relu' or 'linear', got {nonlinearity!r}")
        self.nonlinearity = nonlinearity
        super().__init__(input_size, hidden_size)
        tau_t = torch.as_tensor(tau, dtype=torch.float32).flatten()
        if tau_t.numel() not in (1, hidden_size):
            raise ValueError(f"tau must be one number or {hidden_size} numbers, got {tau_t.numel()}")
        if not torch.isfinite(tau_t).all() or (tau_t < 1).any():
            raise ValueError(f"every time constant tau must be a finite number >= 1, got {tau}")
        self.register_buffer("alpha", (1.0 / tau_t).expand(hidden_size).clone())  # (H,) = 1/tau

    def step(self, ax, h, record=None):
        new = ACTIVATIONS[self.nonlinearity](torch.addmm(ax, h, self.weight_h.T))  # (batch, H)
        a = self.alpha.to(dtype=h.dtype)                                              # (H,)
        if record is not None:
            record["candidate"] = new
        return (1 - a) * h + a * new                                                  # (batch, H)

    def extra_repr(self) -> str:
        taus = (1 / self.alpha).tolist()
        tau = taus[0] if len(set(taus)) == 1 else f"[{min(taus):.3g} .. {max(taus):.3g}]"
        return f"{self.input_size}, {self.hidden_size}, tau={tau}, nonlinearity={self.nonlinearity!r}"


class SkipRNNCell(_Cell):
    """A simple RNN with a long-delay connection from ``h_{t-d}`` (Lin et al. 1996; chapter 5):

    ``h_t = g(W_xh x_t + W_hh h_{t-1} + W_skip h_{t-d} + b_h)``, ``d = delay >= 2``.

    The gradient from ``h_T`` back to ``h_t`` can go through about ``(T - t) / d`` Jacobians
    instead of ``T - t``. The state is the tuple ``(h_{t-1}, h_{t-2}, ..., h_{t-d})``; a step
    returns the next one, whose first entry is ``h_t``. Parameters: ``H*I + 2*H*H + H``.
    """

    def __init__(self, input_size: int, hidden_size: int, delay: int, nonlinearity: str = "tanh"):
        if isinstance(delay, bool) or not isinstance(delay, int) or delay < 2:
            raise ValueError(f"delay must be an int >= 2 (delay 1 is the ordinary recurrence), got {delay!r}")
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"nonlinearity must be 'tanh' or 'relu', got {nonlinearity!r}")
        self.delay, self.nonlinearity = delay, nonlinearity
        self.state_names = tuple(f"h_(t-{k})" for k in range(1, delay + 1))
        super().__init__(input_size, hidden_size)
        self.weight_skip = nn.Parameter(torch.empty(hidden_size, hidden_size))  # (H, H)
        bound = 1.0 / math.sqrt(hidden_size)
        nn.init.uniform_(self.weight_skip, -bound, bound)

    def init_state(self, batch: int, device=None, dtype=None):
        return tuple(torch.zeros(batch, self.hidden_size, device=device, dtype=dtype)
                     for _ in range(self.delay))

    def step(self, ax, state, record=None):
        a = torch.addmm(ax, state[0], self.weight_h.T) + state[-1] @ self.weight_skip.T  # (batch, H)
        h = ACTIVATIONS[self.nonlinearity](a)                                          # (batch, H)
        return (h,) + tuple(state[:-1])

    def extra_repr(self) -> str:
        return f"{self.input_size}, {self.hidden_size}, delay={self.delay}, nonlinearity={self.nonlinearity!r}"


def irnn(input_size: int, hidden_size: int, input_std: float = 0.001, seed: int | None = None) -> FastRecurrent:
    """A ReLU RNN with identity initialisation (Le et al. 2015), on the fast path.

    ``W_hh = I``, bias 0, ``W_xh ~ N(0, input_std^2)``: at the start every unit copies its own
    value forward, so the Jacobian of one step is the identity wherever a unit is active and
    the gradient neither shrinks nor grows with the lag.
    """
    rnn = FastRecurrent("rnn", input_size, hidden_size, nonlinearity="relu")
    layer = rnn.layers[0]                                   # torch.nn.RNN, bias_hh frozen at 0
    g = None if seed is None else torch.Generator().manual_seed(seed)
    with torch.no_grad():
        layer.weight_hh_l0.copy_(torch.eye(hidden_size))
        layer.bias_ih_l0.zero_()
        layer.weight_ih_l0.copy_(torch.randn(hidden_size, input_size, generator=g) * input_std)
    return rnn


# --------------------------------------------------------------------------- clipping

def _flat_grad(params) -> torch.Tensor:
    return torch.cat([p.grad.detach().flatten() for p in params])


def clipping_comparison(parameters, max_norm: float, max_value: float) -> dict:
    """What clipping by norm and clipping by value do to the gradient held in ``.grad``.

    Both are applied with :func:`rnncourse.train.clip_gradients` to copies; the ``.grad``
    tensors are left as they were. Returns a dict of flat gradient vectors ``"raw"``,
    ``"norm"``, ``"value"`` and the numbers: ``norm_raw``, ``norm_after_norm_clip``,
    ``norm_after_value_clip``, ``cos_norm`` and ``cos_value`` (cosine with the raw gradient:
    1 means the direction is kept), and ``frac_clamped`` (share of components value clipping
    changed).
    """
    params = [p for p in parameters if p.grad is not None]
    if not params:
        raise ValueError("no parameter has a gradient: call loss.backward() first")
    saved = [p.grad.detach().clone() for p in params]
    raw = _flat_grad(params).clone()
    out = {"raw": raw}
    for mode, kwargs in (("norm", dict(max_norm=max_norm)), ("value", dict(max_value=max_value))):
        clip_gradients(params, **kwargs)
        out[mode] = _flat_grad(params).clone()
        for p, s in zip(params, saved):
            p.grad.copy_(s)

    def cos(a, b):
        return float(a @ b / (a.norm() * b.norm() + 1e-300))

    out.update(
        norm_raw=float(raw.norm()),
        norm_after_norm_clip=float(out["norm"].norm()),
        norm_after_value_clip=float(out["value"].norm()),
        cos_norm=cos(out["norm"], raw),
        cos_value=cos(out["value"], raw),
        frac_clamped=float((raw.abs() > max_value).double().mean()),
    )
    return out


# --------------------------------------------------------------------------- echo state networks
#
# Jaeger's answer to vanishing and exploding gradients is not to backpropagate through time at
# all. A large random recurrent layer, the *reservoir*, is created once and never trained:
#
#     x_t = (1 - a) x_{t-1} + a tanh(W_in [1; u_t] + W x_{t-1})
#
# (``a`` is the leak rate, 1 by default). ``W`` is scaled to a spectral radius just below 1, so
# the reservoir forgets its start (the *echo state property*) but slowly. Only the readout
# ``y_t = W_out [1; u_t; x_t]`` is fitted, by ridge regression: one linear solve, no gradient.
# Inputs ``u`` and targets ``y`` are ``(batch, time, features)`` (a single ``(time, features)``
# series is accepted too). Computation is in float64.

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
            positive_int(v, name)
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
        # The reservoir update is a leaky tanh cell with tau = 1 / a, run by the one layer.
        self.cell = LeakyRNNCell(input_size, N, tau=1.0 / leak_rate).double().requires_grad_(False)
        self.cell.weight_x.copy_(W_in[:, 1:])
        self.cell.bias.copy_(W_in[:, 0])
        self.cell.weight_h.copy_(self.W)
        self.cell.alpha.fill_(leak_rate)                                              # exactly a

    @property
    def n_trained(self) -> int:
        """How many numbers training fits: the readout only, ``O (1 + I + N)``."""
        return self.output_size * (1 + self.input_size + self.reservoir_size)

    def init_state(self, batch: int = 1) -> torch.Tensor:
        return torch.zeros(batch, self.reservoir_size, dtype=torch.float64)  # (batch, N)

    def step(self, u_t: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        """One reservoir update: ``u_t`` (batch, I), ``x`` (batch, N) -> next state (batch, N).

        ``x_t = (1 - a) x_{t-1} + a tanh(W_in [1; u_t] + W x_{t-1})``: the step of
        :class:`LeakyRNNCell` with ``tau = 1 / a``.
        """
        return self.cell(u_t.to(torch.float64), x)

    @torch.no_grad()
    def run(self, u: torch.Tensor, state: torch.Tensor | None = None):
        """Drive the reservoir with ``u``: returns all states ``(batch, time, N)`` and the last one."""
        u = _as_batch(u, "u", self.input_size)
        x = self.init_state(u.shape[0]) if state is None else state.to(torch.float64)
        if x.shape != (u.shape[0], self.reservoir_size):
            raise ValueError(f"state must have shape ({u.shape[0]}, {self.reservoir_size}), "
                             f"got {tuple(x.shape)}")
        states, (last,) = Recurrent(self.cell)(u, [x])        # (batch, time, N), (batch, N)
        return states, last

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
        positive_int(n_steps, "n_steps")
        x, u_t = state.to(torch.float64), last_output.to(torch.float64).reshape(state.shape[0], -1)
        outs = []
        for _ in range(n_steps):
            x = self.step(u_t, x)                                          # (batch, N)
            u_t = self._readout(u_t[:, None], x[:, None])[:, 0]            # (batch, O)
            outs.append(u_t)
        return torch.stack(outs, dim=1)  # (batch, n_steps, O)


# --------------------------------------------------------------------------- the recall task

RECALL_MODELS = ("plain tanh RNN", "IRNN (ReLU, W_hh = I)", "leaky, τ from 1 to 30",
                 "skip connection, d = 10")


def recall_core(name: str, hidden: int = 32, seed: int = 0) -> Recurrent | FastRecurrent:
    """The recurrent layer of one of the chapter's four recall models (:data:`RECALL_MODELS`).

    The plain RNN is the fused ``nn.RNN`` (tanh); the IRNN is :func:`irnn`; the leaky cell has
    one time constant per unit, spread geometrically from 1 to 30; the skip cell adds
    ``W_skip h_{t-10}``.
    """

    hidden = positive_int(hidden, "hidden")
    if name == RECALL_MODELS[0]:
        return FastRecurrent("rnn", 4, hidden)
    if name == RECALL_MODELS[1]:
        return irnn(4, hidden, seed=seed)
    if name == RECALL_MODELS[2]:
        return Recurrent(LeakyRNNCell(4, hidden, tau=np.geomspace(1, 30, hidden).tolist()))
    if name == RECALL_MODELS[3]:
        return Recurrent(SkipRNNCell(4, hidden, delay=10))
    raise ValueError(f"expected one of {RECALL_MODELS}, got {name!r}")


def recall_run(name: str, delay: int, seed: int = 0, *, epochs: int = 100, hidden: int = 32,
               n_train: int = 1000, n_test: int = 1000, lr: float = 1e-2, noise: float = 1.0,
               device=None) -> tuple[float, float]:
    """Train one recall model (:func:`recall_core`) on the first-input recall task.

    The budget every model gets: ``n_train`` sequences (data seed 1, standard deviation
    ``noise`` of the noise between the cue and the question, 1.0 in the chapter), full-batch
    Adam for ``epochs`` steps at ``lr``, gradient norm clipped at 1; ``seed`` sets the initial
    weights. Returns ``(test accuracy on n_test new sequences (data seed 2), final training
    loss)``.
    """
    import torch.nn.functional as F

    from ..data import first_input_recall
    from ..metrics import accuracy
    from ..models import LastStepClassifier
    from ..train import fit
    from ..utils import set_seed

    delay = positive_int(delay, "delay")
    x_tr, y_tr = first_input_recall(positive_int(n_train, "n_train"), delay, noise=noise, seed=1)
    x_te, y_te = first_input_recall(positive_int(n_test, "n_test"), delay, noise=noise, seed=2)
    set_seed(seed)
    model = LastStepClassifier(recall_core(name, hidden, seed), n_classes=4)
    if device is not None:
        model = model.to(device)
    history = fit(model, (x_tr, y_tr), loss_fn=F.cross_entropy, epochs=positive_int(epochs, "epochs"),
                  lr=lr, clip_norm=1.0, seed=seed)
    return accuracy(model, x_te, y_te), float(history.loss[-1])


# --------------------------------------------------------------------------- exploding, clipped

def exploding_model(hidden: int = 32, seed: int = 0, rho: float = 1.2):
    """A linear RNN (``hidden`` units) with spectral radius ``rho`` and a readout of its last
    state: the network whose gradient explodes in the clipping experiment."""
    from ..models import LastStepClassifier
    from ..utils import set_seed

    set_seed(seed)
    cell = LeakyRNNCell(4, positive_int(hidden, "hidden"), nonlinearity="linear")
    set_spectral_radius_(cell.weight_h, rho)
    return LastStepClassifier(Recurrent(cell), 4)


def exploding_run(seed: int = 0, *, epochs: int = 60, lr: float = 0.1, clip_norm: float | None = None,
                  clip_value: float | None = None, delay: int = 20, n_train: int = 500,
                  hidden: int = 32, device=None):
    """Train :func:`exploding_model` on the recall task (``delay``) with plain SGD at ``lr``.

    Returns ``(training losses per epoch, test accuracy)``; the accuracy is ``None`` when the
    loss stopped being finite (the losses are then the epochs completed before). ``device``:
    where to train (default: the CPU, where the model is built), e.g. ``rc.device()``.
    """
    import torch.nn.functional as F

    from ..data import first_input_recall
    from ..metrics import accuracy
    from ..train import TrainingDiverged, fit

    x, y = first_input_recall(positive_int(n_train, "n_train"), delay, noise=1.0, seed=1)
    x_te, y_te = first_input_recall(1000, delay, noise=1.0, seed=2)
    model = exploding_model(hidden, seed)
    if device is not None:
        device = available_device(device)
        model = model.to(device)        # before the optimiser is built: it holds the parameters
    sgd = torch.optim.SGD(model.parameters(), lr=lr)
    try:
        h = fit(model, (x, y), loss_fn=F.cross_entropy, epochs=positive_int(epochs, "epochs"),
                optimizer=sgd, clip_norm=clip_norm, clip_value=clip_value, device=device)
    except TrainingDiverged as err:      # fit stops when the loss is no longer finite
        return err.history.loss, None
    return h.loss, accuracy(model, x_te, y_te)


# --------------------------------------------------------------------------- ESN on Mackey-Glass

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


def esn_scores(rho: float, seed: int = 0, *, n_fit: int = 2000, washout: int = 200,
               n_free: int = 300, reservoir: int = 300) -> tuple["EchoStateNetwork", dict]:
    """Fit an ESN with spectral radius ``rho`` (reservoir ``seed``) to the Mackey-Glass series.

    The chapter's protocol: the series (3000 steps, centred by subtracting 1), one-step targets,
    a ridge readout fitted on the first ``n_fit`` steps after a ``washout``; then the one-step
    NMSE on the rest (teacher forced), and a free run of ``n_free`` steps fed its own outputs.
    Returns the network and ``dict(one_step, free84, free300, valid, free)``: ``free84`` and
    ``free300`` are the free run's NRMSE over 84 and all steps, ``valid`` the number of free
    steps before the error first exceeds 10 % of the series' standard deviation.
    """
    from ..metrics import nmse

    series = mackey_glass(3000, seed=0) - 1.0             # (1, 3000, 1)
    u, y = series[:, :-1], series[:, 1:]                  # input x_t, target x_{t+1}
    esn = EchoStateNetwork(1, reservoir, spectral_radius=rho, seed=seed)
    esn.fit(u[:, :n_fit], y[:, :n_fit], washout=washout)
    fitted, state = esn.predict(u[:, :n_fit])
    test, _ = esn.predict(u[:, n_fit:], state)            # teacher forced: one step ahead
    free = esn.generate(n_free, state, fitted[:, -1])     # its own outputs as input
    truth = y[:, n_fit:n_fit + n_free]
    abs_err = (free - truth).abs()[0, :, 0] / float(series.std())   # (n_free,)
    return esn, dict(
        one_step=nmse(y[:, n_fit:], test),
        free84=nmse(truth[:, :84], free[:, :84], variance=float(series.var())) ** 0.5,
        free300=nmse(truth, free, variance=float(series.var())) ** 0.5,
        valid=int(np.argmax(abs_err.numpy() > 0.1)) if bool((abs_err > 0.1).any()) else n_free,
        free=free,
    )


def linear_one_step(n_fit: int = 2000, washout: int = 200) -> float:
    """The baseline: the ESN's ridge readout fed ``[1; x_t]`` alone, no reservoir (one-step NMSE)."""
    return ar_one_step(1, n_fit, washout)


def ar_one_step(order: int, n_fit: int = 2000, washout: int = 200) -> float:
    """A linear autoregressive baseline AR(``order``): the ESN's ridge readout fed
    ``[1; x_t; x_{t-1}; ...; x_{t-order+1}]``, the last ``order`` values and no reservoir.

    Same series, fit span (``washout`` to ``n_fit``), ridge and test span as
    :func:`esn_scores`; returns the one-step NMSE on the test span.
    """
    from ..metrics import nmse

    order = positive_int(order, "order")
    if order > washout:
        raise ValueError(f"expected order <= washout ({washout}), got {order}")
    series = mackey_glass(3000, seed=0) - 1.0
    u, y = series[:, :-1], series[:, 1:]
    x = u[0, :, 0].double()                                                  # (time,)
    lagged = [torch.cat([x.new_zeros(j), x[:len(x) - j]]) for j in range(order)]  # x_{t-j}
    feats = torch.stack([torch.ones_like(x), *lagged], dim=1)               # (time, 1 + order)
    W = ridge_regression(feats[washout:n_fit], y[0, washout:n_fit].double(), 1e-8)
    return nmse(y[:, n_fit:], (feats[n_fit:] @ W.T)[None])
