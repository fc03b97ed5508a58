"""Chapter 4 (backpropagation through time): a simple RNN in NumPy and the echo task.

**The NumPy RNN**: forward pass, backpropagation through time, RTRL and gradient checks, written
out so that every equation of the chapter is a line of code (this chapter's own machinery: the
rest of the course uses autograd). The network (column vectors in the maths, batches as rows in
the code):

.. math::
    a_t = W_{xh} x_t + W_{hh} h_{t-1} + b_h, \\qquad h_t = \\tanh(a_t), \\qquad
    o_t = W_{hy} h_t + b_y, \\qquad \\hat y_t = g_o(o_t)

The output nonlinearity ``g_o`` belongs to the loss: ``"mse"`` uses the identity (regression),
``"cross_entropy"`` uses the softmax (classification). Both losses are averaged over the batch
and over the time steps, so ``L = (1/T) sum_t L_t``.

Shapes: inputs ``x`` ``(batch, time, input)``; regression targets ``(batch, time, output)``;
class targets ``(batch, time)`` of integers in ``[0, output)``.

Everything is float64 by default, so that gradient checks can reach relative errors near 1e-10.

- :func:`forward` runs the network and returns the outputs ``o`` and a :class:`Cache`.
- :func:`backward` is backpropagation through time (BPTT); :func:`backward_step` is one step of it.
- :func:`rtrl_gradients` computes the same gradient forward in time (real-time recurrent learning).
- :func:`numerical_gradient`, :func:`relative_error` and :func:`gradient_check` test them.
- :func:`autograd_gradients` computes the same gradient with PyTorch's autograd (a reference).

**The echo task** on which truncation visibly matters: :func:`echo_task`, :func:`echo_run`.
Truncated BPTT itself is :func:`rnncourse.train.fit` with ``chunk_length``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Iterator

import numpy as np
import torch

from .._validate import positive_int

__all__ = [
    # the NumPy RNN
    "Params", "Cache", "LOSSES", "mse", "cross_entropy", "compute_loss", "forward",
    "backward_step", "backward", "loss_and_gradients", "rtrl_gradients", "numerical_gradient",
    "relative_error", "gradient_check", "autograd_gradients", "contribution_norms",
    "operation_counts",
    # the echo task
    "echo_task", "echo_run",
]

PARAM_NAMES = ("W_xh", "W_hh", "b_h", "W_hy", "b_y")


@dataclass
class Params:
    """Weights of the simple RNN; also used to hold gradients of the same shapes.

    ``W_xh`` (hidden, input), ``W_hh`` (hidden, hidden), ``b_h`` (hidden,),
    ``W_hy`` (output, hidden), ``b_y`` (output,). Goodfellow et al. call them U, W, b, V, c.
    """

    W_xh: np.ndarray
    W_hh: np.ndarray
    b_h: np.ndarray
    W_hy: np.ndarray
    b_y: np.ndarray

    def __post_init__(self):
        for name in PARAM_NAMES:
            setattr(self, name, np.asarray(getattr(self, name), dtype=np.float64))
        if self.W_xh.ndim != 2:
            raise ValueError(f"W_xh must be a matrix (hidden, input), got shape {self.W_xh.shape}")
        H = self.W_xh.shape[0]
        if self.W_hy.ndim != 2 or self.W_hy.shape[1] != H:
            raise ValueError(f"W_hy must have shape (output, {H}), got {self.W_hy.shape}")
        expected = {"W_hh": (H, H), "b_h": (H,)}
        O = self.W_hy.shape[0]
        expected.update(W_hy=(O, H), b_y=(O,))
        for name, shape in expected.items():
            if getattr(self, name).shape != shape:
                raise ValueError(f"{name} must have shape {shape}, got {getattr(self, name).shape}")

    @classmethod
    def init(cls, input_size: int, hidden_size: int, output_size: int, *, seed: int = 0,
             scale: float | None = None) -> "Params":
        """Random weights, uniform in ``[-scale, scale]`` (default ``1/sqrt(hidden_size)``,
        PyTorch's rule); biases too, so that no gradient is trivially zero in a check."""
        for name, v in (("input_size", input_size), ("hidden_size", hidden_size),
                        ("output_size", output_size)):
            positive_int(v, name)
        rng = np.random.default_rng(seed)
        s = 1.0 / np.sqrt(hidden_size) if scale is None else float(scale)
        u = lambda *shape: rng.uniform(-s, s, size=shape)  # noqa: E731
        return cls(u(hidden_size, input_size), u(hidden_size, hidden_size), u(hidden_size),
                   u(output_size, hidden_size), u(output_size))

    @classmethod
    def zeros_like(cls, other: "Params") -> "Params":
        return cls(*(np.zeros_like(a) for _, a in other.items()))

    @property
    def sizes(self) -> tuple[int, int, int]:
        """``(input_size, hidden_size, output_size)``."""
        return self.W_xh.shape[1], self.W_xh.shape[0], self.W_hy.shape[0]

    def items(self) -> Iterator[tuple[str, np.ndarray]]:
        for name in PARAM_NAMES:
            yield name, getattr(self, name)

    def copy(self) -> "Params":
        return Params(*(a.copy() for _, a in self.items()))

    def vector(self) -> np.ndarray:
        """All entries in one vector, in the order W_xh, W_hh, b_h, W_hy, b_y."""
        return np.concatenate([a.ravel() for _, a in self.items()])

    def __len__(self) -> int:
        return sum(a.size for _, a in self.items())


@dataclass
class Cache:
    """What the forward pass keeps for the backward pass (BPTT's O(T) memory).

    ``x`` (batch, time, input); ``h`` (batch, time + 1, hidden) with ``h[:, 0]`` the initial
    state ``h_0`` and ``h[:, t]`` the state after step t; ``o`` (batch, time, output).
    """

    x: np.ndarray
    h: np.ndarray
    o: np.ndarray

    @property
    def nbytes(self) -> int:
        return self.x.nbytes + self.h.nbytes + self.o.nbytes


# ----------------------------------------------------------------------------- input checks

def _check_x(params: Params, x) -> np.ndarray:
    x = np.asarray(x, dtype=np.float64)
    I, H, _ = params.sizes
    if x.ndim != 3:
        raise ValueError(f"x must have shape (batch, time, {I}), got {x.shape}")
    if x.shape[0] == 0 or x.shape[1] == 0:
        raise ValueError(f"x is empty: shape {x.shape} has no batch entries or no time steps")
    if x.shape[2] != I:
        raise ValueError(f"x must have {I} input features (shape (batch, time, {I})), got {x.shape}")
    return x


def _check_h0(h0, batch: int, H: int) -> np.ndarray:
    if h0 is None:
        return np.zeros((batch, H))
    h0 = np.asarray(h0, dtype=np.float64)
    if h0.shape != (batch, H):
        raise ValueError(f"h0 must have shape ({batch}, {H}), got {h0.shape}")
    return h0


# ----------------------------------------------------------------------------- losses

def mse(o: np.ndarray, y) -> tuple[float, np.ndarray]:
    """Mean squared error with a linear output: ``L = mean((o - y)^2)`` over batch, time and
    output. Returns ``(L, dL/do)``."""
    y = np.asarray(y, dtype=np.float64)
    if y.shape != o.shape:
        raise ValueError(f"mse: targets must have the shape of the outputs {o.shape}, got {y.shape}")
    diff = o - y                                  # (batch, time, output)
    return float(np.mean(diff ** 2)), 2.0 * diff / diff.size


def cross_entropy(o: np.ndarray, y) -> tuple[float, np.ndarray]:
    """Softmax cross-entropy averaged over batch and time steps.

    ``o`` are the logits (batch, time, classes); ``y`` the class indices (batch, time).
    Returns ``(L, dL/do)`` with ``dL/do = (softmax(o) - onehot(y)) / (batch * time)``.
    """
    y = np.asarray(y)
    if y.shape != o.shape[:2]:
        raise ValueError(f"cross_entropy: targets must be class indices of shape {o.shape[:2]}, "
                         f"got {y.shape}")
    if not np.issubdtype(y.dtype, np.integer):
        if not np.all(np.mod(y, 1) == 0):
            raise ValueError("cross_entropy: targets must be integer class indices")
        y = y.astype(np.int64)
    C = o.shape[2]
    if y.size and (y.min() < 0 or y.max() >= C):
        raise ValueError(f"cross_entropy: class indices must lie in [0, {C}), got {y.min()}..{y.max()}")
    z = o - o.max(axis=2, keepdims=True)          # (batch, time, classes), stable softmax
    log_p = z - np.log(np.exp(z).sum(axis=2, keepdims=True))
    B, T = y.shape
    picked = np.take_along_axis(log_p, y[..., None], axis=2)[..., 0]  # (batch, time)
    d = np.exp(log_p)
    np.put_along_axis(d, y[..., None], np.take_along_axis(d, y[..., None], axis=2) - 1.0, axis=2)
    return float(-picked.mean()), d / (B * T)


LOSSES: dict[str, Callable] = {"mse": mse, "cross_entropy": cross_entropy}


def compute_loss(loss: str, o: np.ndarray, y) -> tuple[float, np.ndarray]:
    """``(L, dL/do)`` for the loss named ``loss`` (``"mse"`` or ``"cross_entropy"``)."""
    if loss not in LOSSES:
        raise ValueError(f"unknown loss {loss!r}: expected one of {sorted(LOSSES)}")
    return LOSSES[loss](o, y)


# ----------------------------------------------------------------------------- forward, BPTT

def forward(params: Params, x, h0=None) -> tuple[np.ndarray, Cache]:
    """Run the RNN over ``x`` (batch, time, input); return the outputs ``o`` (batch, time,
    output), before ``g_o``, and the :class:`Cache` that :func:`backward` needs."""
    x = _check_x(params, x)
    B, T, _ = x.shape
    _, H, O = params.sizes
    h = np.empty((B, T + 1, H))                   # (batch, time + 1, hidden)
    h[:, 0] = _check_h0(h0, B, H)
    for t in range(T):
        a = x[:, t] @ params.W_xh.T + h[:, t] @ params.W_hh.T + params.b_h  # (batch, hidden)
        h[:, t + 1] = np.tanh(a)
    o = h[:, 1:] @ params.W_hy.T + params.b_y     # (batch, time, output)
    return o, Cache(x, h, o)


def backward_step(dh_out, dh_next, h, h_prev, x, W_hh):
    """One step of BPTT, at time t, for the whole batch.

    ``dh_out`` (batch, hidden): dL/dh_t through the output o_t, i.e. ``dL/do_t @ W_hy``;
    ``dh_next`` (batch, hidden): dL/dh_t through h_{t+1}, the gradient arriving from the future;
    ``h`` = h_t, ``h_prev`` = h_{t-1} (batch, hidden); ``x`` = x_t (batch, input).

    Returns ``(dW_xh, dW_hh, db_h, dh_prev)``: this step's contribution to the three gradients
    and dL/dh_{t-1}, the gradient to pass on to step t - 1.
    """
    dh = dh_out + dh_next                         # (batch, hidden): both paths into h_t
    da = dh * (1.0 - h ** 2)                      # (batch, hidden): through tanh, g'(a) = 1 - h^2
    dW_xh = da.T @ x                              # (hidden, input)
    dW_hh = da.T @ h_prev                         # (hidden, hidden)
    db_h = da.sum(axis=0)                         # (hidden,)
    dh_prev = da @ W_hh                           # (batch, hidden) = (W_hh^T da) per example
    return dW_xh, dW_hh, db_h, dh_prev


def backward(params: Params, cache: Cache, d_out) -> tuple[Params, np.ndarray]:
    """Backpropagation through time.

    ``d_out`` is dL/do (batch, time, output). Returns the gradients as a :class:`Params` and
    dL/dh_0 (batch, hidden), walking from the last step back to the first.
    """
    d_out = np.asarray(d_out, dtype=np.float64)
    if d_out.shape != cache.o.shape:
        raise ValueError(f"d_out must have the shape of the outputs {cache.o.shape}, got {d_out.shape}")
    x, h = cache.x, cache.h
    T = x.shape[1]
    grads = Params.zeros_like(params)
    grads.W_hy = np.einsum("bto,bth->oh", d_out, h[:, 1:])   # (output, hidden) = sum_t d_o h_t^T
    grads.b_y = d_out.sum(axis=(0, 1))                        # (output,)
    dh_next = np.zeros_like(h[:, 0])                          # nothing arrives from after T
    for t in range(T - 1, -1, -1):
        dh_out = d_out[:, t] @ params.W_hy                    # (batch, hidden)
        dW_xh, dW_hh, db_h, dh_next = backward_step(
            dh_out, dh_next, h[:, t + 1], h[:, t], x[:, t], params.W_hh)
        grads.W_xh += dW_xh
        grads.W_hh += dW_hh
        grads.b_h += db_h
    return grads, dh_next


def loss_and_gradients(params: Params, x, y, loss: str = "mse", h0=None) -> tuple[float, Params]:
    """Forward pass, loss and BPTT in one call: returns ``(L, grads)``."""
    if loss not in LOSSES:
        raise ValueError(f"unknown loss {loss!r}: expected one of {sorted(LOSSES)}")
    o, cache = forward(params, x, h0)
    L, d_out = compute_loss(loss, o, y)
    grads, _ = backward(params, cache, d_out)
    return L, grads


# ----------------------------------------------------------------------------- RTRL

def rtrl_gradients(params: Params, x, y, loss: str = "mse", h0=None,
                   return_memory: bool = False):
    """Real-time recurrent learning (Williams and Zipser 1989): the same gradient as BPTT,
    computed forward in time.

    It carries the sensitivities ``S_t = dh_t / d theta`` of the state to every recurrent
    parameter ``theta = (W_xh, W_hh, b_h)``, an array (batch, hidden, P) with
    ``P = H*I + H*H + H``, and updates them at every step:

    ``S_t = diag(1 - h_t^2) (W_hh S_{t-1} + da_t/dtheta)``

    The product ``W_hh S_{t-1}`` costs O(H^2 P) = O(H^4) per step, but nothing is stored per time
    step: memory is O(H P) = O(H^3), whatever the length. The gradient of each step's loss is
    added as soon as it is known (``dL_t/dh_t S_t``), which is what lets RTRL learn online.

    Returns ``(L, grads)`` (and the bytes of state it kept, if ``return_memory``).
    """
    if loss not in LOSSES:
        raise ValueError(f"unknown loss {loss!r}: expected one of {sorted(LOSSES)}")
    x = _check_x(params, x)
    B, T, I = x.shape
    _, H, O = params.sizes
    y = np.asarray(y)
    if y.shape[:2] != (B, T):
        raise ValueError(f"targets must start with the shape (batch, time) = {(B, T)}, got {y.shape}")
    n_xh, n_hh = H * I, H * H
    P = n_xh + n_hh + H
    S = np.zeros((B, H, P))                       # (batch, hidden, P): dh_t / dtheta
    h = _check_h0(h0, B, H)                       # (batch, hidden)
    g_theta = np.zeros(P)
    grads = Params.zeros_like(params)
    L = 0.0
    idx = np.arange(H)
    for t in range(T):
        x_t = x[:, t]                             # (batch, input)
        h_new = np.tanh(x_t @ params.W_xh.T + h @ params.W_hh.T + params.b_h)  # (batch, hidden)
        S = np.matmul(params.W_hh, S)             # (batch, hidden, P): W_hh S_{t-1}, O(H^2 P)
        S[:, :, :n_xh].reshape(B, H, H, I)[:, idx, idx, :] += x_t[:, None, :]  # da_i/dW_xh[i, :]
        S[:, :, n_xh:n_xh + n_hh].reshape(B, H, H, H)[:, idx, idx, :] += h[:, None, :]
        S[:, idx, n_xh + n_hh + idx] += 1.0                                     # da_i/db_h[i]
        S *= (1.0 - h_new ** 2)[:, :, None]       # diag(1 - h_t^2)
        o_t = h_new @ params.W_hy.T + params.b_y  # (batch, output)
        L_t, d_o = compute_loss(loss, o_t[:, None], y[:, t:t + 1])
        L += L_t / T
        d_o = d_o[:, 0] / T                       # (batch, output): dL/do_t for L = mean_t L_t
        grads.W_hy += d_o.T @ h_new
        grads.b_y += d_o.sum(axis=0)
        dh = d_o @ params.W_hy                    # (batch, hidden): dL/dh_t, this step only
        g_theta += np.einsum("bh,bhp->p", dh, S)  # (P,)
        h = h_new
    grads.W_xh = g_theta[:n_xh].reshape(H, I)
    grads.W_hh = g_theta[n_xh:n_xh + n_hh].reshape(H, H)
    grads.b_h = g_theta[n_xh + n_hh:].copy()
    if return_memory:
        return L, grads, S.nbytes + h.nbytes
    return L, grads


def operation_counts(input_size: int, hidden_size: int, output_size: int) -> dict[str, int]:
    """Multiply-adds per time step and per sequence of the gradient computations above.

    BPTT: the forward step (``H I + H^2 + O H``) plus the backward step (``O H`` for dL/dh_t,
    ``H I + H^2`` for the weight gradients, ``H^2`` for dL/dh_{t-1}, ``O H`` for dW_hy).
    RTRL: the same forward step, ``H^2 P`` for ``W_hh S``, ``H P`` for the tanh factor and
    ``H P`` for the gradient, ``2 O H`` for the output; ``P = H I + H^2 + H``.
    """
    for name, v in (("input_size", input_size), ("hidden_size", hidden_size), ("output_size", output_size)):
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 1:
            raise ValueError(f"{name} must be a positive int, got {v!r}")
    I, H, O = input_size, hidden_size, output_size
    P = H * I + H * H + H
    forward_step = H * I + H * H + O * H
    return {"bptt": forward_step + (O * H + H * I + H * H + H * H + O * H),
            "rtrl": forward_step + H * H * P + 2 * H * P + 2 * O * H}


# ----------------------------------------------------------------------------- checks

def numerical_gradient(f: Callable[[Params], float], params: Params, eps: float = 1e-5) -> Params:
    """Central finite differences ``(f(theta + eps) - f(theta - eps)) / (2 eps)``, one parameter
    entry at a time (2 * len(params) evaluations of ``f``). ``params`` is left unchanged."""
    if not eps > 0:
        raise ValueError(f"eps must be positive, got {eps}")
    grads = Params.zeros_like(params)
    for name, a in params.items():
        g = getattr(grads, name)
        for i in np.ndindex(a.shape):
            old = a[i]
            a[i] = old + eps
            f_plus = f(params)
            a[i] = old - eps
            f_minus = f(params)
            a[i] = old                            # restore before moving on
            g[i] = (f_plus - f_minus) / (2.0 * eps)
    return grads


def relative_error(a, b) -> float:
    """``||a - b|| / (||a|| + ||b||)``: 0 for equal gradients, 1 for opposite ones.

    ``a`` and ``b`` are arrays of the same shape or :class:`Params`. Returns 0 if both are zero.
    """
    if isinstance(a, Params):
        a = a.vector()
    if isinstance(b, Params):
        b = b.vector()
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        raise ValueError(f"relative_error needs equal shapes, got {a.shape} and {b.shape}")
    denom = np.linalg.norm(a) + np.linalg.norm(b)
    return 0.0 if denom == 0 else float(np.linalg.norm(a - b) / denom)


def gradient_check(params: Params, x, y, loss: str = "mse", eps: float = 1e-5,
                   h0=None) -> dict[str, float]:
    """Relative error of BPTT against central finite differences, per parameter and overall
    (key ``"all"``)."""
    _, grads = loss_and_gradients(params, x, y, loss, h0)
    f = lambda p: compute_loss(loss, forward(p, x, h0)[0], y)[0]  # noqa: E731
    num = numerical_gradient(f, params.copy(), eps)
    errors = {name: relative_error(g, getattr(num, name)) for name, g in grads.items()}
    errors["all"] = relative_error(grads, num)
    return errors


def autograd_gradients(params: Params, x, y, loss: str = "mse", h0=None) -> tuple[float, Params]:
    """The same loss and gradients computed by PyTorch's autograd in float64, as a reference.

    The recurrence runs through :class:`rnncourse.cells.RNNCell` (tanh), unrolled by
    :class:`rnncourse.layers.Recurrent`, with the weights of
    ``params``; the readout and the losses are ``torch.nn.functional``'s.
    """
    import torch.nn.functional as F

    from ..cells import RNNCell
    from ..layers import Recurrent

    if loss not in LOSSES:
        raise ValueError(f"unknown loss {loss!r}: expected one of {sorted(LOSSES)}")
    x = _check_x(params, x)
    B, T, I = x.shape
    _, H, O = params.sizes
    cell = RNNCell(I, H).double()
    with torch.no_grad():
        cell.weight_x.copy_(torch.from_numpy(params.W_xh))
        cell.weight_h.copy_(torch.from_numpy(params.W_hh))
        cell.bias.copy_(torch.from_numpy(params.b_h))
    W_hy = torch.tensor(params.W_hy, requires_grad=True)
    b_y = torch.tensor(params.b_y, requires_grad=True)
    xt = torch.from_numpy(x)                      # (batch, time, input)
    h = torch.from_numpy(_check_h0(h0, B, H))     # (batch, hidden)
    hs, _ = Recurrent(cell)(xt, [h])              # (batch, time, hidden)
    o = hs @ W_hy.T + b_y                         # (batch, time, output)
    if loss == "mse":
        L = F.mse_loss(o, torch.as_tensor(np.asarray(y), dtype=torch.float64))
    else:
        L = F.cross_entropy(o.reshape(B * T, O), torch.as_tensor(np.asarray(y)).long().reshape(-1))
    L.backward()
    grads = Params(cell.weight_x.grad.numpy(), cell.weight_h.grad.numpy(), cell.bias.grad.numpy(),
                   W_hy.grad.numpy(), b_y.grad.numpy())
    return float(L.detach()), grads


def contribution_norms(params: Params, x, y, loss: str = "mse", h0=None) -> np.ndarray:
    """``C[t, k] = ||dL_t / da_k||`` for k <= t (0 above the diagonal): how much the loss at
    step t reaches back to the pre-activation at step k. BPTT's gradient for W_hh is
    ``sum_t sum_k dL_t/da_k h_{k-1}^T``, a sum over this lower triangle; truncated BPTT keeps
    only the pairs (t, k) in the same chunk. Norms are summed over the batch."""
    o, cache = forward(params, x, h0)
    _, d_out = compute_loss(loss, o, y)
    B, T, _ = d_out.shape
    C = np.zeros((T, T))
    h = cache.h
    for t in range(T):
        dh_next = np.zeros_like(h[:, 0])
        dh_out = d_out[:, t] @ params.W_hy        # only the loss at step t
        for k in range(t, -1, -1):
            da = (dh_out + dh_next) * (1.0 - h[:, k + 1] ** 2)  # (batch, hidden)
            C[t, k] = np.linalg.norm(da, axis=1).sum()
            dh_next, dh_out = da @ params.W_hh, 0.0
    return C


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
