"""Measuring how gradients vanish or explode through time, and the remedies (chapter 5).

Backpropagation through time multiplies one Jacobian per step,

.. math::
    \\frac{\\partial h_T}{\\partial h_t} = \\prod_{k=t+1}^{T} \\operatorname{diag}(g'(a_k)) W_{hh},

so the size of ``dL_T/dh_t`` changes roughly geometrically with the lag ``T - t``, at a rate set
by the spectral radius of ``W_hh`` (and the slopes ``g'``). This module has what chapter 5 needs
to measure that on real backward passes and to try the remedies:

- :func:`spectral_radius`, :func:`scale_to_spectral_radius`, :func:`set_spectral_radius_`
- :func:`unroll` (any cell over a sequence), :func:`gradient_norms_by_lag` and
  :func:`log_slope` (the measured decay or growth per step)
- :class:`LeakyRNNCell` (leaky units; also the linear RNN), :class:`SkipRNNCell`
  (a long-delay connection), :func:`irnn` (ReLU with identity initialisation)
- :class:`LastStepClassifier` (read out the last state of any recurrent core)
- :func:`clipping_comparison` (what norm and value clipping do to one gradient; the clipping
  itself is :func:`rnncourse.train.clip_gradients`)
"""

from __future__ import annotations

import math
from typing import Callable

import numpy as np
import torch
from torch import nn

from .cells import RNNCell, _check_input, _check_state
from .train import clip_gradients

__all__ = [
    "spectral_radius",
    "scale_to_spectral_radius",
    "set_spectral_radius_",
    "random_recurrent_matrix",
    "unroll",
    "gradient_norms_by_lag",
    "log_slope",
    "LeakyRNNCell",
    "SkipRNNCell",
    "Unrolled",
    "irnn",
    "LastStepClassifier",
    "accuracy",
    "clipping_comparison",
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
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValueError(f"n must be a positive int, got {n!r}")
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


# --------------------------------------------------------------------------- cells

_ACTIVATIONS: dict[str, Callable[[torch.Tensor], torch.Tensor]] = {
    "tanh": torch.tanh,
    "relu": torch.relu,
    "linear": lambda a: a,
}


class LeakyRNNCell(RNNCell):
    """Leaky units: ``h_t = (1 - 1/tau) h_{t-1} + (1/tau) g(W_xh x_t + W_hh h_{t-1} + b_h)``.

    ``tau >= 1`` is the time constant (a float, or one per unit as a sequence of ``hidden_size``
    floats). ``tau = 1`` is the simple RNN of :class:`rnncourse.cells.RNNCell`. With
    ``nonlinearity="linear"`` (``g(a) = a``) and ``tau = 1`` it is the *linear* RNN that
    chapter 5 uses to see the spectral radius act alone. The time constants are fixed, not
    trained. Parameters as the simple RNN: ``H*I + H*H + H``.
    """

    def __init__(self, input_size: int, hidden_size: int, tau=1.0, nonlinearity: str = "tanh"):
        if nonlinearity not in _ACTIVATIONS:
            raise ValueError(f"nonlinearity must be one of {sorted(_ACTIVATIONS)}, got {nonlinearity!r}")
        super().__init__(input_size, hidden_size, "tanh")
        self.nonlinearity = nonlinearity
        tau_t = torch.as_tensor(tau, dtype=torch.float32).flatten()
        if tau_t.numel() not in (1, hidden_size):
            raise ValueError(f"tau must be one number or {hidden_size} numbers, got {tau_t.numel()}")
        if not torch.isfinite(tau_t).all() or (tau_t < 1).any():
            raise ValueError(f"every time constant tau must be a finite number >= 1, got {tau}")
        self.register_buffer("alpha", (1.0 / tau_t).expand(hidden_size).clone())  # (H,) = 1/tau

    def forward(self, x: torch.Tensor, h: torch.Tensor | None = None) -> torch.Tensor:
        _check_input(x, self.input_size, "LeakyRNNCell")
        if h is None:
            h = self.init_state(x.shape[0], x.device, x.dtype)
        _check_state(h, x.shape[0], self.hidden_size, "LeakyRNNCell")
        new = _ACTIVATIONS[self.nonlinearity](self._preactivation(x, h))  # (batch, H)
        a = self.alpha.to(dtype=x.dtype)                                    # (H,)
        return (1 - a) * h + a * new                                        # (batch, H)

    def load_torch(self, cell):  # the leaky cell has no torch.nn counterpart
        raise NotImplementedError("LeakyRNNCell has no torch.nn counterpart to load")

    def extra_repr(self) -> str:
        taus = (1 / self.alpha).tolist()
        tau = taus[0] if len(set(taus)) == 1 else f"[{min(taus):.3g} .. {max(taus):.3g}]"
        return f"{self.input_size}, {self.hidden_size}, tau={tau}, nonlinearity={self.nonlinearity!r}"


class SkipRNNCell(RNNCell):
    """A simple RNN with a long-delay connection from ``h_{t-d}`` (Lin et al. 1996):

    ``h_t = g(W_xh x_t + W_hh h_{t-1} + W_skip h_{t-d} + b_h)``, ``d = delay >= 2``.

    The gradient from ``h_T`` back to ``h_t`` can now go through about ``(T - t) / d``
    Jacobians instead of ``T - t``, so it shrinks ``d`` times more slowly (per step of lag).
    The state is the tuple ``(h_{t-1}, h_{t-2}, ..., h_{t-d})``; ``forward`` returns the next
    one, whose first entry is ``h_t`` (so :func:`unroll` and :class:`rnncourse.cells.Recurrent`
    read the output as ``state[0]``). Parameters: ``H*I + 2*H*H + H``.
    """

    def __init__(self, input_size: int, hidden_size: int, delay: int, nonlinearity: str = "tanh"):
        if isinstance(delay, bool) or not isinstance(delay, int) or delay < 2:
            raise ValueError(f"delay must be an int >= 2 (delay 1 is the ordinary recurrence), got {delay!r}")
        super().__init__(input_size, hidden_size, nonlinearity)
        self.delay = delay
        self.weight_skip = nn.Parameter(torch.empty(hidden_size, hidden_size))  # (H, H)
        bound = 1.0 / math.sqrt(hidden_size)
        nn.init.uniform_(self.weight_skip, -bound, bound)

    def init_state(self, batch: int, device=None, dtype=None):
        return tuple(torch.zeros(batch, self.hidden_size, device=device, dtype=dtype)
                     for _ in range(self.delay))

    def forward(self, x: torch.Tensor, state=None):
        _check_input(x, self.input_size, "SkipRNNCell")
        if state is None:
            state = self.init_state(x.shape[0], x.device, x.dtype)
        if not isinstance(state, (tuple, list)) or len(state) != self.delay:
            raise ValueError(f"SkipRNNCell expects the state as a tuple of {self.delay} tensors "
                             "(h_{t-1}, ..., h_{t-d})")
        for h in state:
            _check_state(h, x.shape[0], self.hidden_size, "SkipRNNCell")
        a = self._preactivation(x, state[0]) + state[-1] @ self.weight_skip.T  # (batch, H)
        h = torch.tanh(a) if self.nonlinearity == "tanh" else torch.relu(a)  # (batch, H)
        return (h,) + tuple(state[:-1])

    def load_torch(self, cell):
        raise NotImplementedError("SkipRNNCell has no torch.nn counterpart to load")

    def extra_repr(self) -> str:
        return f"{self.input_size}, {self.hidden_size}, delay={self.delay}, nonlinearity={self.nonlinearity!r}"


def _output(state) -> torch.Tensor:
    return state[0] if isinstance(state, (tuple, list)) else state


def unroll(cell: nn.Module, x: torch.Tensor, state=None, keep_graph_per_step: bool = False):
    """Run ``cell`` over ``x`` of shape ``(batch, time, input)``.

    Returns ``(outputs, steps, state)``: the outputs ``h_t`` stacked to
    ``(batch, time, hidden)``, the list of the per-step output tensors themselves (the nodes
    of the autograd graph, so one can ask for their gradients), and the final state.
    With ``keep_graph_per_step=True`` every ``h_t`` keeps its ``.grad`` after ``backward``
    (``retain_grad``).
    """
    if not isinstance(x, torch.Tensor) or x.dim() != 3:
        shape = tuple(x.shape) if isinstance(x, torch.Tensor) else type(x).__name__
        raise ValueError(f"unroll expects x of shape (batch, time, input), got {shape}")
    if x.shape[1] == 0:
        raise ValueError("unroll got an empty sequence (time dimension 0)")
    if state is None:
        state = cell.init_state(x.shape[0], x.device, x.dtype)
    steps = []
    for t in range(x.shape[1]):
        state = cell(x[:, t], state)
        h = _output(state)  # (batch, hidden)
        if keep_graph_per_step and h.requires_grad:
            h.retain_grad()
        steps.append(h)
    return torch.stack(steps, dim=1), steps, state  # (batch, time, hidden)


class Unrolled(nn.Module):
    """A cell unrolled over a sequence: ``x (batch, time, input) -> (outputs, final state)``.

    The same interface as a ``torch.nn.RNN(batch_first=True)`` layer, so that
    :class:`LastStepClassifier` takes either.
    """

    def __init__(self, cell: nn.Module):
        super().__init__()
        self.cell = cell
        self.hidden_size = cell.hidden_size

    def forward(self, x: torch.Tensor):
        outputs, _, state = unroll(self.cell, x)
        return outputs, state  # (batch, time, hidden), final state


def gradient_norms_by_lag(cell: nn.Module, x: torch.Tensor, direction: torch.Tensor | None = None,
                          seed: int = 0) -> np.ndarray:
    """Measure ``||dL_T/dh_t||`` for every lag ``T - t`` on a real backward pass.

    The cell runs over ``x`` ``(batch, time, input)``; the loss is the projection of the last
    state on a fixed unit vector ``u``, ``L_T = sum_batch u . h_T``, so ``dL_T/dh_T = u`` has norm
    1 and ``||dL_T/dh_t|| = ||(dh_T/dh_t)^T u||`` is exactly the size of the Jacobian product.
    Returns the mean over the batch of those norms as an array of length ``time``: entry
    ``k`` is the lag ``k`` (entry 0 is 1). ``direction`` sets ``u`` (normalised); by default it
    is drawn with ``seed``.
    """
    H = cell.hidden_size
    if direction is None:
        direction = torch.randn(H, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)
    u = torch.as_tensor(direction).flatten()
    if u.numel() != H or not torch.isfinite(u).all() or float(u.norm()) == 0:
        raise ValueError(f"direction must be a non-zero vector of {H} numbers")
    u = (u / u.norm()).to(device=x.device, dtype=x.dtype)  # (H,)
    with torch.enable_grad():
        _, steps, _ = unroll(cell, x, keep_graph_per_step=True)
        if not steps[-1].requires_grad:
            raise ValueError("the cell's output does not depend on any parameter that requires a "
                             "gradient; gradient_norms_by_lag needs a trainable cell")
        loss = (steps[-1] @ u).sum()
        grads = torch.autograd.grad(loss, steps, allow_unused=True)
    T = len(steps)
    norms = np.zeros(T)
    for t, g in enumerate(grads):
        lag = T - 1 - t
        norms[lag] = 0.0 if g is None else float(g.norm(dim=-1).mean())  # mean over the batch
    return norms


def log_slope(norms, start: int = 0, stop: int | None = None, base: float = 10.0) -> float:
    """The least-squares slope of ``log_base(norms[k])`` against the lag ``k``, for ``start <= k < stop``.

    A slope ``s`` means the gradient norm is multiplied by about ``base**s`` per step of lag;
    for a linear RNN it tends to ``log_base(spectral radius)``.
    """
    n = np.asarray(norms, dtype=np.float64)
    if n.ndim != 1:
        raise ValueError(f"norms must be a 1-d array, got shape {n.shape}")
    stop = len(n) if stop is None else stop
    k = np.arange(len(n))[start:stop]
    v = n[start:stop]
    if len(v) < 2:
        raise ValueError(f"need at least two lags to fit a slope, got {len(v)}")
    if np.any(v <= 0) or not np.all(np.isfinite(v)):
        raise ValueError("norms must be positive and finite to take their logarithm")
    return float(np.polyfit(k, np.log(v) / np.log(base), 1)[0])


# --------------------------------------------------------------------------- models

def irnn(input_size: int, hidden_size: int, input_std: float = 0.001, seed: int | None = None) -> nn.RNN:
    """A fused ``torch.nn.RNN`` with ReLU units and identity initialisation (Le et al. 2015).

    ``W_hh = I``, biases 0, ``W_xh ~ N(0, input_std^2)``: at the start every unit copies its
    own value forward, so the Jacobian of one step is the identity wherever a unit is active
    and the gradient neither shrinks nor grows with the lag.
    """
    rnn = nn.RNN(input_size, hidden_size, nonlinearity="relu", batch_first=True)
    g = None if seed is None else torch.Generator().manual_seed(seed)
    with torch.no_grad():
        rnn.weight_hh_l0.copy_(torch.eye(hidden_size))
        rnn.bias_hh_l0.zero_()
        rnn.bias_ih_l0.zero_()
        rnn.weight_ih_l0.copy_(torch.randn(hidden_size, input_size, generator=g) * input_std)
    return rnn


class LastStepClassifier(nn.Module):
    """A recurrent core plus a linear readout of its *last* state: ``(batch, time, in) -> (batch, classes)``.

    ``core`` is anything that maps ``x`` to ``(outputs, ...)`` with outputs of shape
    ``(batch, time, hidden)``: a ``torch.nn.RNN(batch_first=True)`` (fast, fused) or
    :class:`Unrolled` around one of the cells here. Returns the logits.
    """

    def __init__(self, core: nn.Module, n_classes: int):
        super().__init__()
        if isinstance(n_classes, bool) or not isinstance(n_classes, int) or n_classes < 2:
            raise ValueError(f"n_classes must be an int >= 2, got {n_classes!r}")
        self.core = core
        self.readout = nn.Linear(core.hidden_size, n_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.core(x)
        h = out[0] if isinstance(out, (tuple, list)) else out  # (batch, time, hidden)
        return self.readout(h[:, -1])                            # (batch, classes)


@torch.no_grad()
def accuracy(model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> float:
    """Fraction of sequences whose arg-max class is the label ``y`` (``(batch,)`` ints)."""
    if x.shape[0] != y.shape[0] or x.shape[0] == 0:
        raise ValueError(f"x and y must hold the same positive number of examples, got "
                         f"{x.shape[0]} and {y.shape[0]}")
    was = model.training
    model.eval()
    dev = next(model.parameters()).device
    pred = model(x.to(dev)).argmax(-1).cpu()  # (batch,)
    model.train(was)
    return float((pred == y.cpu()).float().mean())


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
