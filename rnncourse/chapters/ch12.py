"""Chapter 12 (RNNs today): attention, linear recurrences and the parallel scan, minGRU,
selective state spaces, and three pointers (PixelRNN, Hopfield networks, convolutions).

The chapter's one equation is the *linear recurrence*

    h_t = a_t * h_{t-1} + b_t        (element-wise; a_t, b_t do not depend on h)

Because the map ``h -> a h + b`` composes into another map of the same form,
``(a1, b1) then (a2, b2) = (a2 a1, a2 b1 + b2)``, and this composition is associative, all
``h_t`` can be computed by a parallel prefix scan in ``ceil(log2 T)`` sequential steps
(Blelloch 1990) instead of ``T``. Here:

- :func:`linear_recurrence_loop` (the reference, one step at a time over ``unbind``),
  :func:`combine` (the associative operator), :func:`scan` (a doubling scan, Hillis & Steele
  style: ``ceil(log2 T)`` steps, ``O(T log T)`` work), :func:`scan_steps`;
- :func:`log_space_scan` (Heinsen 2023: a cumulative sum of logs and a log-cum-sum-exp) and
  :func:`cumsum_form` (the same formula without logs, which over- and underflows);
- :class:`SelfAttention`, a minimal single-head (causal) self-attention layer;
- :class:`MinGRU` and :class:`MinLSTM` (Feng et al. 2024), whose gates see only the input;
- :class:`DiagonalSSM`: a diagonal state-space layer, time-invariant (S4D-like) or selective
  (Mamba-like: step size, B and C computed from the input), :class:`SSMBlock` and
  :class:`TokenModel` to train them, and :func:`selective_copying`, the task that separates them;
- :class:`Hopfield`, a tiny associative memory (Hopfield 1982);
- :func:`bar_images` and :class:`PixelRNN`, images as sequences (van den Oord et al. 2016), and
  :func:`pixelcnn_mask` / :class:`MaskedConv2d`, the same order kept by masked convolutions;
- :class:`TCN`, a stack of dilated :class:`CausalConv1d` layers (WaveNet, Bai et al. 2018), with
  :func:`tcn_dilations` and :func:`receptive_field`.

Every loop over a time axis iterates over ``unbind(1)``.
"""

from __future__ import annotations

import math

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from .._validate import positive_int, positive_number, sequence_tensor
from ..fast import FastRecurrent

__all__ = ["seconds", "linear_recurrence_loop", "combine", "scan", "scan_steps", "scan_work",
           "log_space_scan", "cumsum_form", "SelfAttention", "attention_macs", "recurrence_macs",
           "MinGRU", "MinLSTM", "DiagonalSSM", "SSMBlock", "TokenModel", "selective_copying",
           "train_copier", "copy_loss", "copy_accuracy", "tcn_dilations", "receptive_field",
           "CausalConv1d", "TCN", "TCN_WIDTH", "Hopfield", "bar_images", "PixelRNN",
           "pixelcnn_mask", "MaskedConv2d"]


# ----------------------------------------------------------------------------- timing

def _sync(tensors) -> None:
    for t in tensors:
        if isinstance(t, torch.Tensor) and t.device.type == "cuda":
            torch.cuda.synchronize(t.device)
            return


def seconds(fn, *tensors, backward: bool = True, repeats: int = 3, every: bool = False):
    """Median wall-clock seconds of ``fn(*tensors)`` (and, with ``backward``, of the backward
    pass of its sum with respect to every floating-point input), after one warm-up call;
    with ``every=True`` the sorted list of all ``repeats`` times instead, to show the spread.
    Waits for a GPU to finish before reading the clock. For printing, never for asserting:
    the figure depends on the machine and on what else runs on it."""
    import statistics
    import time

    positive_int(repeats, "repeats")

    def once():
        args = [t.detach().clone().requires_grad_(backward) if isinstance(t, torch.Tensor)
                and t.is_floating_point() else t for t in tensors]
        out = fn(*args)
        if backward:
            (out[0] if isinstance(out, tuple) else out).sum().backward()
        _sync(tensors)

    once()
    times = []
    for _ in range(repeats):
        _sync(tensors)
        start = time.perf_counter()
        once()
        times.append(time.perf_counter() - start)
    return sorted(times) if every else statistics.median(times)


# ----------------------------------------------------------------------------- linear recurrences

def _check_pair(a, b, h0, who: str):
    if not isinstance(a, torch.Tensor) or not isinstance(b, torch.Tensor):
        raise TypeError(f"{who} expects tensors a and b, got {type(a).__name__} and {type(b).__name__}")
    if a.shape != b.shape:
        raise ValueError(f"{who} expects a and b of the same shape (batch, time, ...), got "
                         f"{tuple(a.shape)} and {tuple(b.shape)}")
    if a.dim() < 2:
        raise ValueError(f"{who} expects a and b of shape (batch, time, ...), got {tuple(a.shape)}")
    if a.shape[1] == 0:
        raise ValueError(f"{who} got an empty sequence (time dimension 0)")
    if a.dtype != b.dtype:
        raise TypeError(f"{who} expects a and b of one dtype, got {a.dtype} and {b.dtype}")
    if a.device != b.device:
        raise ValueError(f"{who} expects a and b on one device, got {a.device} and {b.device}")
    want = (a.shape[0],) + tuple(a.shape[2:])
    if h0 is not None and (not isinstance(h0, torch.Tensor) or tuple(h0.shape) != want):
        got = tuple(h0.shape) if isinstance(h0, torch.Tensor) else type(h0).__name__
        raise ValueError(f"{who} expects h0 of shape (batch, ...) = {want}, got {got}")
    if h0 is not None and (h0.dtype != a.dtype or h0.device != a.device):
        raise TypeError(f"{who} expects h0 in the dtype and on the device of a and b ({a.dtype}, "
                        f"{a.device}), got {h0.dtype} on {h0.device}")


def linear_recurrence_loop(a: torch.Tensor, b: torch.Tensor, h0: torch.Tensor | None = None):
    """``h_t = a_t * h_{t-1} + b_t`` one step at a time: the reference for every scan.

    ``a``, ``b``: ``(batch, time, ...)``; ``h0``: ``(batch, ...)`` or None (zeros).
    Returns all states ``(batch, time, ...)``. ``T`` sequential steps.
    """
    _check_pair(a, b, h0, "linear_recurrence_loop")
    h = torch.zeros_like(b[:, 0]) if h0 is None else h0      # (batch, ...)
    out = []
    for a_t, b_t in zip(a.unbind(1), b.unbind(1)):             # each (batch, ...)
        h = a_t * h + b_t
        out.append(h)
    return torch.stack(out, dim=1)                             # (batch, time, ...)


def combine(first, second):
    """The associative operator of the linear recurrence.

    ``first = (a1, b1)`` stands for the map ``h -> a1 h + b1``, ``second = (a2, b2)`` for
    ``h -> a2 h + b2``. Applying ``first`` and then ``second`` gives
    ``h -> a2 (a1 h + b1) + b2 = (a2 a1) h + (a2 b1 + b2)``, so the result is the pair
    ``(a2 a1, a2 b1 + b2)``.
    """
    (a1, b1), (a2, b2) = first, second
    return a2 * a1, a2 * b1 + b2


def scan_steps(length: int) -> int:
    """Sequential steps of the doubling scan over ``length`` elements: ``ceil(log2 length)``."""
    length = positive_int(length, "length")
    return (length - 1).bit_length()


def scan_work(length: int) -> int:
    """Applications of :func:`combine` (per channel) made by the doubling scan: at the step with
    shift ``k`` every element from position ``k`` on is combined, ``sum_k (T - k)``."""
    length = positive_int(length, "length")
    work, k = 0, 1
    while k < length:
        work += length - k
        k *= 2
    return work


def scan(a: torch.Tensor, b: torch.Tensor, h0: torch.Tensor | None = None):
    """All states of ``h_t = a_t * h_{t-1} + b_t`` by a doubling (parallel prefix) scan.

    After the step with shift ``k`` (``k = 1, 2, 4, ...``) the pair at position ``t`` is the
    composition of the maps ``t-2k+1 .. t``; elements before position ``k`` have nothing to
    their left and are kept. ``ceil(log2 T)`` steps, each a few element-wise operations over
    the whole sequence, so the depth is logarithmic in ``T`` (the work is ``O(T log T)``;
    Blelloch's up-sweep / down-sweep scan brings it down to ``O(T)``).

    ``a``, ``b``: ``(batch, time, ...)``; ``h0``: ``(batch, ...)`` or None (zeros).
    Returns ``(batch, time, ...)``, equal to :func:`linear_recurrence_loop` up to rounding.
    Differentiable: autograd goes back through the same ``log2 T`` steps.
    """
    _check_pair(a, b, h0, "scan")
    if h0 is not None:                     # fold h0 into the first step: b_1 <- a_1 h0 + b_1
        b = torch.cat([(a[:, 0] * h0 + b[:, 0]).unsqueeze(1), b[:, 1:]], dim=1)
    T, k = a.shape[1], 1
    while k < T:
        # the pair k places to the left; identity (a=1, b=0) where there is none
        a_left = torch.cat([torch.ones_like(a[:, :k]), a[:, :-k]], dim=1)   # (batch, time, ...)
        b_left = torch.cat([torch.zeros_like(b[:, :k]), b[:, :-k]], dim=1)  # (batch, time, ...)
        a, b = combine((a_left, b_left), (a, b))
        k *= 2
    return b                               # h_t = A_t * 0 + B_t


def log_space_scan(log_a: torch.Tensor, log_b: torch.Tensor, log_h0: torch.Tensor | None = None):
    """Heinsen's (2023) form of the linear recurrence, for positive ``a`` and ``b``.

    With ``A_t = a_1 ... a_t`` the recurrence unrolls to ``h_t = A_t (h_0 + sum_{s<=t} b_s / A_s)``.
    In logs: ``log h_t = a*_t + logcumsumexp_s(log b_s - a*_s)`` with ``a*_t = cumsum(log a)``.
    Two library calls (``cumsum``, ``logcumsumexp``), each parallel over time. Takes and
    returns logarithms, ``(batch, time, ...)``; ``log_h0`` ``(batch, ...)`` or None (``h0 = 0``).
    Its limits: ``a`` and ``b`` must be positive (negative values need complex logarithms),
    and the error grows with the size of ``a*_t``, that is with the length.
    """
    _check_pair(log_a, log_b, log_h0, "log_space_scan")
    a_star = torch.cumsum(log_a, dim=1)                               # (batch, time, ...)
    if log_h0 is not None:                                            # h0 is the term s = 0
        log_b = torch.cat([log_h0.unsqueeze(1), log_b], dim=1)
        a_star0 = torch.cat([torch.zeros_like(a_star[:, :1]), a_star], dim=1)
        return (a_star0 + torch.logcumsumexp(log_b - a_star0, dim=1))[:, 1:]
    return a_star + torch.logcumsumexp(log_b - a_star, dim=1)         # (batch, time, ...)


def cumsum_form(a: torch.Tensor, b: torch.Tensor):
    """``h_t = A_t * cumsum(b / A)`` with ``A_t = cumprod(a)``, without logarithms (``h0 = 0``).

    Exact in real numbers, useless in floating point for long sequences: ``A_t`` underflows
    to 0 when the product of the ``a`` falls below the smallest float, and ``b / A`` then
    overflows (``inf``, and ``0 * inf = nan``).
    """
    _check_pair(a, b, None, "cumsum_form")
    A = torch.cumprod(a, dim=1)                    # (batch, time, ...)
    return A * torch.cumsum(b / A, dim=1)


# ----------------------------------------------------------------------------- attention

class SelfAttention(nn.Module):
    """A minimal single-head self-attention layer (Vaswani et al. 2017), causal by default.

    ``y_t = sum_s softmax_s(q_t . k_s / sqrt(d)) v_s`` over ``s <= t`` (causal) or all ``s``.
    Input and output ``(batch, time, d_model)``. Every position is computed at once: no loop
    over time, but a ``(time, time)`` matrix of scores.
    """

    def __init__(self, d_model: int, causal: bool = True):
        super().__init__()
        self.d_model = positive_int(d_model, "d_model")
        self.causal = bool(causal)
        self.qkv = nn.Linear(d_model, 3 * d_model)
        self.out = nn.Linear(d_model, d_model)

    def weights(self, x: torch.Tensor) -> torch.Tensor:
        """The attention weights ``(batch, time, time)``: row ``t`` says where position ``t`` looks."""
        sequence_tensor(x, self.d_model, "SelfAttention")
        q, k, _ = self.qkv(x).chunk(3, dim=-1)                          # each (batch, time, d)
        return self._weights(q, k)

    def _weights(self, q, k):
        scores = q @ k.transpose(1, 2) / math.sqrt(self.d_model)       # (batch, time, time)
        if self.causal:
            T = q.shape[1]
            future = torch.ones(T, T, dtype=torch.bool, device=q.device).triu(1)
            scores = scores.masked_fill(future, float("-inf"))
        return scores.softmax(dim=-1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        sequence_tensor(x, self.d_model, "SelfAttention")              # checks the shape
        q, k, v = self.qkv(x).chunk(3, dim=-1)                          # each (batch, time, d)
        return self.out(self._weights(q, k) @ v)                        # (batch, time, d)


def attention_macs(length: int, d: int) -> int:
    """Multiply-adds of one attention layer's mixing over time: scores ``Q K^T`` and
    ``weights @ V``, each ``T^2 d`` (the projections, ``4 T d^2``, are not counted)."""
    return 2 * positive_int(length, "length") ** 2 * positive_int(d, "d")


def recurrence_macs(length: int, d: int) -> int:
    """Multiply-adds of a tanh RNN's mixing over time, ``W_hh h_{t-1}`` at every step: ``T d^2``."""
    return positive_int(length, "length") * positive_int(d, "d") ** 2


# ----------------------------------------------------------------------------- minGRU, minLSTM

class MinGRU(nn.Module):
    """minGRU (Feng et al. 2024): a GRU whose gate and candidate see only the input.

    ``z_t = sigmoid(W_z x_t + b_z)``, ``h~_t = W_h x_t + b_h``,
    ``h_t = (1 - z_t) h_{t-1} + z_t h~_t``: a linear recurrence with ``a_t = 1 - z_t``,
    ``b_t = z_t h~_t``, computed by :func:`scan` (``mode="scan"``) or the loop
    (``mode="loop"``). No reset gate, no ``tanh``, no ``W_hh``: ``2 (I H + H)`` weights.
    (The paper also gives a log-space version with a positive activation ``g``; this one uses
    the plain scan.) Input ``(batch, time, input_size)``, output ``(batch, time, hidden)``.
    """

    def __init__(self, input_size: int, hidden_size: int, mode: str = "scan"):
        super().__init__()
        self.input_size = positive_int(input_size, "input_size")
        self.hidden_size = positive_int(hidden_size, "hidden_size")
        if mode not in ("scan", "loop"):
            raise ValueError(f"mode must be 'scan' or 'loop', got {mode!r}")
        self.mode = mode
        self.linear = nn.Linear(input_size, 2 * hidden_size)   # rows: z, then h~

    def coefficients(self, x):
        """``(a, b)`` of the linear recurrence, each ``(batch, time, hidden)``."""
        sequence_tensor(x, self.input_size, type(self).__name__)   # checks the shape
        k, h_tilde = self.linear(x).chunk(2, dim=-1)              # each (batch, time, H)
        z = torch.sigmoid(k)
        return 1 - z, z * h_tilde

    def forward(self, x: torch.Tensor, h0: torch.Tensor | None = None) -> torch.Tensor:
        a, b = self.coefficients(x)
        run = scan if self.mode == "scan" else linear_recurrence_loop
        return run(a, b, h0)                                        # (batch, time, H)


class MinLSTM(MinGRU):
    """minLSTM (Feng et al. 2024): forget and input gates from the input alone, normalised.

    ``f_t = sigmoid(W_f x_t)``, ``i_t = sigmoid(W_i x_t)``, ``h~_t = W_h x_t`` (with biases),
    ``f'_t = f_t / (f_t + i_t)``, ``i'_t = i_t / (f_t + i_t)``, ``h_t = f'_t h_{t-1} + i'_t h~_t``.
    ``3 (I H + H)`` weights.
    """

    def __init__(self, input_size: int, hidden_size: int, mode: str = "scan"):
        super().__init__(input_size, hidden_size, mode)
        self.linear = nn.Linear(input_size, 3 * hidden_size)   # rows: f, i, h~

    def coefficients(self, x):
        sequence_tensor(x, self.input_size, type(self).__name__)   # checks the shape
        kf, ki, h_tilde = self.linear(x).chunk(3, dim=-1)         # each (batch, time, H)
        f, i = torch.sigmoid(kf), torch.sigmoid(ki)
        return f / (f + i), i / (f + i) * h_tilde


# ----------------------------------------------------------------------------- state spaces

class DiagonalSSM(nn.Module):
    """A diagonal state-space layer, time-invariant or selective.

    Each of the ``d_model`` channels ``u`` has a state of ``state_size`` numbers ``h``:

        h_t = exp(delta_t A) * h_{t-1} + delta_t B_t u_t,     y_t = C_t . h_t + D u_t

    with ``A = -exp(A_log) < 0`` (one per channel and state, learned; S4D-real initialisation
    ``A = -1, -2, ..., -N``). The step size ``delta`` sets how much of a new input is written
    and how fast the state forgets.

    - ``selective=False``: ``delta``, ``B`` and ``C`` are parameters, the same at every step:
      a linear time-invariant (LTI) system, like S4 (Gu, Goel & Ré 2022). Its output is a
      convolution of the input with a fixed kernel (:meth:`kernel`).
    - ``selective=True``: ``delta_t = softplus(W_delta u_t + b)``, ``B_t = W_B u_t``,
      ``C_t = W_C u_t`` are computed from the input at each step, as in Mamba (Gu & Dao 2023):
      the layer can decide per token whether to write it (large ``delta``) or to ignore it
      and keep its state (``delta`` near 0).

    Both are linear recurrences in ``h``, run by :func:`scan` (``mode="scan"``) or the loop.
    Input and output ``(batch, time, d_model)``.
    """

    def __init__(self, d_model: int, state_size: int = 8, selective: bool = True,
                 mode: str = "scan", dt_min: float = 1e-3, dt_max: float = 1e-1):
        """``dt_min``, ``dt_max``: the range of the initial step sizes (Mamba's defaults)."""
        super().__init__()
        self.d_model = positive_int(d_model, "d_model")
        self.state_size = N = positive_int(state_size, "state_size")
        self.selective = bool(selective)
        if mode not in ("scan", "loop"):
            raise ValueError(f"mode must be 'scan' or 'loop', got {mode!r}")
        self.mode = mode
        dt_min, dt_max = positive_number(dt_min, "dt_min"), positive_number(dt_max, "dt_max")
        if dt_min > dt_max:
            raise ValueError(f"expected dt_min <= dt_max, got {dt_min} and {dt_max}")
        self.A_log = nn.Parameter(torch.log(torch.arange(1, N + 1, dtype=torch.float32)).repeat(d_model, 1))
        self.D = nn.Parameter(torch.ones(d_model))
        # step sizes drawn log-uniformly in [dt_min, dt_max], stored through softplus's inverse
        dt = torch.exp(torch.rand(d_model) * (math.log(dt_max) - math.log(dt_min)) + math.log(dt_min))
        dt_bias = dt + torch.log(-torch.expm1(-dt))
        if self.selective:
            self.delta = nn.Linear(d_model, d_model)
            with torch.no_grad():
                self.delta.bias.copy_(dt_bias)
            self.BC = nn.Linear(d_model, 2 * N, bias=False)        # B_t, C_t from u_t
        else:
            self.delta_bias = nn.Parameter(dt_bias)
            self.B = nn.Parameter(torch.randn(d_model, N) / math.sqrt(N))
            self.C = nn.Parameter(torch.randn(d_model, N) / math.sqrt(N))

    def coefficients(self, u: torch.Tensor):
        """``(a, b, C)``: ``a, b`` of shape ``(batch, time, d_model, N)`` and ``C`` broadcastable to it."""
        sequence_tensor(u, self.d_model, "DiagonalSSM")                  # checks the shape
        A = -torch.exp(self.A_log)                                       # (D, N)
        if self.selective:
            delta = F.softplus(self.delta(u))                            # (batch, time, D)
            B, C = self.BC(u).chunk(2, dim=-1)                           # each (batch, time, N)
            B, C = B.unsqueeze(2), C.unsqueeze(2)                        # (batch, time, 1, N)
        else:
            delta = F.softplus(self.delta_bias).expand_as(u)             # (batch, time, D)
            B, C = self.B, self.C                                        # (D, N)
        a = torch.exp(delta.unsqueeze(-1) * A)                           # (batch, time, D, N)
        b = delta.unsqueeze(-1) * B * u.unsqueeze(-1)                    # (batch, time, D, N)
        return a, b, C

    def forward(self, u: torch.Tensor) -> torch.Tensor:
        a, b, C = self.coefficients(u)
        run = scan if self.mode == "scan" else linear_recurrence_loop
        h = run(a, b)                                                    # (batch, time, D, N)
        return (h * C).sum(-1) + self.D * u                              # (batch, time, D)

    def kernel(self, length: int) -> torch.Tensor:
        """The LTI layer's convolution kernel ``K_k = sum_n C_n exp(delta A_n)^k delta B_n``,
        ``(d_model, length)``: then ``y_t = sum_k K_k u_{t-k} + D u_t`` (causal convolution)."""
        if self.selective:
            raise ValueError("a selective SSM has no fixed kernel: its coefficients change with the input")
        length = positive_int(length, "length")
        A = -torch.exp(self.A_log)                                       # (D, N)
        delta = F.softplus(self.delta_bias).unsqueeze(-1)                # (D, 1)
        k = torch.arange(length, device=A.device, dtype=A.dtype)         # (length,)
        powers = torch.exp(delta.unsqueeze(-1) * A.unsqueeze(-1) * k)    # (D, N, length)
        return ((self.C * delta * self.B).unsqueeze(-1) * powers).sum(1)  # (D, length)

    def extra_repr(self) -> str:
        return f"d_model={self.d_model}, state_size={self.state_size}, selective={self.selective}"


class SSMBlock(nn.Module):
    """A residual block around a sequence mixer, in the spirit of Mamba's block:
    ``x + W_out(mixer(silu(W_in norm(x))) * silu(W_gate norm(x)))``.

    ``kind``: ``"selective"`` or ``"lti"`` (:class:`DiagonalSSM`), ``"mingru"`` (:class:`MinGRU`).
    Input and output ``(batch, time, d_model)``.
    """

    def __init__(self, kind: str, d_model: int, state_size: int = 8, expand: int = 2,
                 dt_range: tuple[float, float] = (1e-3, 1e-1)):
        super().__init__()
        inner = positive_int(expand, "expand") * positive_int(d_model, "d_model")
        if kind in ("selective", "lti"):
            self.mixer = DiagonalSSM(inner, state_size, selective=kind == "selective",
                                     dt_min=dt_range[0], dt_max=dt_range[1])
        elif kind == "mingru":
            self.mixer = MinGRU(inner, inner)
        else:
            raise ValueError(f"unknown block kind {kind!r}: expected 'selective', 'lti' or 'mingru'")
        self.norm = nn.LayerNorm(d_model)
        self.inp = nn.Linear(d_model, 2 * inner)                         # the input and the gate
        self.out = nn.Linear(inner, d_model)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        u, gate = self.inp(self.norm(x)).chunk(2, dim=-1)                 # each (batch, time, inner)
        return x + self.out(self.mixer(F.silu(u)) * F.silu(gate))         # (batch, time, d_model)


class TokenModel(nn.Module):
    """One-hot tokens in, logits at every step out: ``(batch, time, vocab) -> (batch, time, vocab)``.

    ``kind`` ``"selective"``, ``"lti"`` or ``"mingru"``: a linear embedding, ``n_layers``
    :class:`SSMBlock` s, a norm and a linear readout; ``dt_range`` is the SSMs' range of initial
    step sizes (Mamba's default ``(1e-3, 1e-1)`` suits sequences of thousands of steps; for a
    few dozen steps, larger steps give kernels that reach across the sequence). ``kind`` ``"lstm"`` or ``"gru"``: the
    course's :class:`rnncourse.fast.FastRecurrent` (torch.nn) of width ``d_model``
    per layer, and a linear readout.
    """

    def __init__(self, kind: str, vocab: int, d_model: int = 32, n_layers: int = 2,
                 state_size: int = 8, expand: int = 2,
                 dt_range: tuple[float, float] = (1e-3, 1e-1)):
        super().__init__()
        self.kind, self.vocab = kind, positive_int(vocab, "vocab", minimum=2)
        positive_int(n_layers, "n_layers")
        if kind in ("lstm", "gru"):
            self.rnn = FastRecurrent(kind, vocab, [d_model] * n_layers)
            self.readout = nn.Linear(d_model, vocab)
        elif kind in ("selective", "lti", "mingru"):
            self.embed = nn.Linear(vocab, d_model)
            self.blocks = nn.Sequential(*[SSMBlock(kind, d_model, state_size, expand, dt_range)
                                          for _ in range(n_layers)])
            self.norm = nn.LayerNorm(d_model)
            self.readout = nn.Linear(d_model, vocab)
        else:
            raise ValueError(f"unknown kind {kind!r}: expected 'selective', 'lti', 'mingru', "
                             "'lstm' or 'gru'")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        sequence_tensor(x, self.vocab, "TokenModel")
        if self.kind in ("lstm", "gru"):
            return self.readout(self.rnn(x)[0])                          # (batch, time, vocab)
        return self.readout(self.norm(self.blocks(self.embed(x))))       # (batch, time, vocab)


def selective_copying(n: int, length: int = 32, n_tokens: int = 4, n_symbols: int = 6,
                      fixed_positions: bool = False, seed: int = 0):
    """The selective-copying task (Gu & Dao 2023, after the copying task of Arjovsky et al.).

    Each sequence has ``length`` steps: ``n_tokens`` data symbols (``1 .. n_symbols``) scattered
    among blanks (``0``) in the first ``length - n_tokens`` steps, then ``n_tokens`` numbered
    markers (``n_symbols + 1 .. n_symbols + n_tokens``): the ``k``-th marker asks for the
    ``k``-th data symbol. With ``fixed_positions=True`` the data fill the ``n_tokens`` steps just
    before the markers, so every symbol is exactly ``n_tokens`` steps before its marker (plain
    copying with a fixed delay, which a fixed convolution can do).

    Returns ``x`` (one-hot floats, ``(n, length, n_symbols + 1 + n_tokens)``) and ``y``
    (``(n, n_tokens)`` longs, the data symbols in order). Seeded: the same arguments give the
    same data.
    """
    n = positive_int(n, "n")
    length = positive_int(length, "length")
    n_tokens = positive_int(n_tokens, "n_tokens")
    n_symbols = positive_int(n_symbols, "n_symbols")
    room = length - n_tokens
    if room < n_tokens:
        raise ValueError(f"length {length} leaves {room} steps before the markers for {n_tokens} "
                         f"tokens; expected length >= 2 * n_tokens")
    rng = np.random.default_rng(seed)
    tokens = np.zeros((n, length), dtype=np.int64)
    y = rng.integers(1, n_symbols + 1, size=(n, n_tokens))
    if fixed_positions:
        pos = np.tile(np.arange(room - n_tokens, room), (n, 1))
    else:
        pos = np.sort(np.argsort(rng.random((n, room)), axis=1)[:, :n_tokens], axis=1)
    np.put_along_axis(tokens, pos, y, axis=1)
    tokens[:, room:] = n_symbols + 1 + np.arange(n_tokens)            # the numbered markers
    x = F.one_hot(torch.from_numpy(tokens), n_symbols + 1 + n_tokens).float()  # (n, length, vocab)
    return x, torch.from_numpy(y)                                    # (n, n_tokens)


def copy_loss(logits: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Cross-entropy at the last ``y.shape[1]`` steps (the markers): ``logits`` ``(batch, time,
    vocab)``, ``y`` ``(batch, n_tokens)``."""
    if not isinstance(logits, torch.Tensor) or not isinstance(y, torch.Tensor) or logits.dim() != 3 \
            or y.dim() != 2 or y.shape[0] != logits.shape[0] or y.shape[1] > logits.shape[1]:
        raise ValueError(f"copy_loss expects logits (batch, time, vocab) and y (batch, n_tokens) with "
                         f"n_tokens <= time, got {getattr(logits, 'shape', type(logits).__name__)} "
                         f"and {getattr(y, 'shape', type(y).__name__)}")
    K = y.shape[1]
    return F.cross_entropy(logits[:, -K:].reshape(-1, logits.shape[-1]), y.reshape(-1))


#: the width of the copying task's :class:`TCN`, which gives it about as many weights as the
#: chapter's other copiers (width 16, one block)
TCN_WIDTH = 12


def train_copier(kind: str, seed: int, data, test, *, epochs: int = 6, lr: float = 1e-2,
                 dt_range: tuple[float, float] = (0.1, 1.0), device=None):
    """Chapter 12's selective-copying recipe: a :class:`TokenModel` of ``kind`` (width 16, one
    layer, 4 states per channel, no expansion, SSM step sizes from ``dt_range``) trained with
    ``rc.train.fit`` on ``data = (x, y)`` for ``epochs`` epochs (Adam at ``lr``, batches of 32,
    :func:`copy_loss`). ``kind="tcn"``: a :class:`TCN` of width ``TCN_WIDTH`` whose receptive
    field covers the sequence, the same recipe (``dt_range`` unused). Returns ``(model, history,
    accuracy on test)``."""
    from ..train import fit
    from ..utils import set_seed

    set_seed(seed)
    if kind == "tcn":
        model = TCN(data[0].shape[-1], width=TCN_WIDTH, length=data[0].shape[1])
    else:
        model = TokenModel(kind, data[0].shape[-1], d_model=16, n_layers=1, state_size=4,
                           expand=1, dt_range=dt_range)
    history = fit(model, data, loss_fn=copy_loss, epochs=epochs, lr=lr, batch_size=32, seed=seed,
                  device=device)
    dev = next(model.parameters()).device
    return model, history, copy_accuracy(model, test[0].to(dev), test[1])


@torch.no_grad()
def copy_accuracy(model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> float:
    """Fraction of data symbols reproduced at the markers (per token)."""
    was = model.training
    model.eval()
    pred = model(x)[:, -y.shape[1]:].argmax(-1)                      # (batch, n_tokens)
    model.train(was)
    return float((pred == y.to(pred.device)).float().mean())


# ----------------------------------------------------------------------------- dilated causal convolutions

def tcn_dilations(length: int, kernel_size: int = 2) -> tuple[int, ...]:
    """The dilations ``1, 2, 4, ...`` of a stack of causal convolutions with ``kernel_size`` taps,
    as few layers as make its :func:`receptive_field` cover ``length`` steps."""
    length = positive_int(length, "length")
    kernel_size = positive_int(kernel_size, "kernel_size", minimum=2)
    dilations = [1]
    while receptive_field(kernel_size, dilations) < length:
        dilations.append(dilations[-1] * 2)
    return tuple(dilations)


def receptive_field(kernel_size: int, dilations) -> int:
    """How many steps, the current one included, the output at ``t`` of a stack of causal
    convolutions sees: ``1 + (kernel_size - 1) * sum(dilations)`` (each layer reaches
    ``(kernel_size - 1) * dilation`` steps further back)."""
    kernel_size = positive_int(kernel_size, "kernel_size", minimum=1)
    dilations = tuple(dilations)
    if not dilations:
        raise ValueError("expected at least one dilation, got none")
    return 1 + (kernel_size - 1) * sum(positive_int(d, "dilation") for d in dilations)


class CausalConv1d(nn.Module):
    """A 1-D convolution over time that sees only the present and the past: ``nn.Conv1d`` with
    dilation ``dilation``, the sequence padded with ``(kernel_size - 1) * dilation`` zeros on the
    left only, so the output at ``t`` is ``b + sum_k W_k x_{t - k * dilation}`` (``k = 0 ..
    kernel_size - 1``). Input and output ``(batch, time, channels)``, as the course's layers."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int = 2, dilation: int = 1):
        super().__init__()
        self.in_channels = positive_int(in_channels, "in_channels")
        self.pad = (positive_int(kernel_size, "kernel_size") - 1) * positive_int(dilation, "dilation")
        self.conv = nn.Conv1d(in_channels, positive_int(out_channels, "out_channels"), kernel_size,
                              dilation=dilation)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        sequence_tensor(x, self.in_channels, "CausalConv1d")
        x = F.pad(x.transpose(1, 2), (self.pad, 0))                   # (batch, channels, pad + time)
        return self.conv(x).transpose(1, 2)                           # (batch, time, out_channels)


class TCN(nn.Module):
    """A small temporal convolutional network (after WaveNet, van den Oord et al. 2016, and the
    TCN of Bai et al. 2018): one-hot tokens in, logits at every step out, ``(batch, time, vocab)
    -> (batch, time, vocab)``.

    A linear embedding of width ``width``, then one residual block per dilation,
    ``h + relu(CausalConv1d(LayerNorm(h)))`` with dilations ``1, 2, 4, ...``
    (:func:`tcn_dilations`: enough layers for the receptive field to cover ``length`` steps),
    a norm and a linear readout. Every part is causal: the output at ``t`` depends on the inputs
    at ``t - receptive_field + 1 .. t`` only. The weights are the same at every step (no
    dependence on the position), so it is time-invariant like the LTI SSM, but nonlinear.
    """

    def __init__(self, vocab: int, width: int = 12, length: int = 32, kernel_size: int = 2):
        super().__init__()
        self.vocab = positive_int(vocab, "vocab", minimum=2)
        width = positive_int(width, "width")
        self.kernel_size = positive_int(kernel_size, "kernel_size", minimum=2)
        self.dilations = tcn_dilations(length, kernel_size)
        self.receptive_field = receptive_field(kernel_size, self.dilations)
        self.embed = nn.Linear(vocab, width)
        self.norms = nn.ModuleList(nn.LayerNorm(width) for _ in self.dilations)
        self.convs = nn.ModuleList(CausalConv1d(width, width, kernel_size, d) for d in self.dilations)
        self.norm = nn.LayerNorm(width)
        self.readout = nn.Linear(width, vocab)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        sequence_tensor(x, self.vocab, "TCN")
        h = self.embed(x)                                             # (batch, time, width)
        for norm, conv in zip(self.norms, self.convs):
            h = h + F.relu(conv(norm(h)))                             # (batch, time, width)
        return self.readout(self.norm(h))                             # (batch, time, vocab)

    def extra_repr(self) -> str:
        return f"dilations={self.dilations}, receptive_field={self.receptive_field}"


# ----------------------------------------------------------------------------- Hopfield network

class Hopfield:
    """A Hopfield network (Hopfield 1982): ``n`` binary units (+1 / -1), symmetric weights.

    :meth:`store` sets the weights by Hebb's rule, ``W = (1/n) sum_p x_p x_p^T`` with a zero
    diagonal. :meth:`recall` updates one unit at a time, ``s_i <- sign(sum_j W_ij s_j)``; every
    update keeps or lowers the energy ``E(s) = -1/2 s^T W s``, so the state settles in a local
    minimum, ideally the stored pattern nearest to the start. The network is recurrent: its
    state is fed back into itself until nothing changes.
    """

    def __init__(self, n: int):
        self.n = positive_int(n, "n")
        self.W = np.zeros((n, n))

    def _state(self, s, who):
        s = np.asarray(s, dtype=np.float64)
        if s.shape[-1] != self.n or not np.all(np.isin(s, (-1.0, 1.0))):
            raise ValueError(f"{who} expects states of {self.n} values, each +1 or -1, got "
                             f"shape {s.shape}")
        return s

    def store(self, patterns) -> "Hopfield":
        p = self._state(patterns, "store")                            # (patterns, n)
        if p.ndim != 2:
            raise ValueError(f"store expects a 2-D array (patterns, {self.n}), got shape {p.shape}")
        self.W = p.T @ p / self.n
        np.fill_diagonal(self.W, 0.0)
        return self

    def energy(self, s) -> float:
        s = self._state(s, "energy")
        return float(-0.5 * s @ self.W @ s)

    def recall(self, s, sweeps: int = 5, seed: int = 0):
        """Asynchronous updates in a random order for ``sweeps`` sweeps (or until a sweep
        changes nothing). Returns ``(state, energies)``: the final state and the energy after
        every sweep (the first entry is the start)."""
        s = self._state(s, "recall").copy()
        if s.ndim != 1:
            raise ValueError(f"recall expects one state of {self.n} values, got shape {s.shape}")
        rng = np.random.default_rng(seed)
        energies = [self.energy(s)]
        for _ in range(positive_int(sweeps, "sweeps")):
            changed = False
            for i in rng.permutation(self.n):                          # units, not time steps
                new = 1.0 if self.W[i] @ s >= 0 else -1.0
                changed |= new != s[i]
                s[i] = new
            energies.append(self.energy(s))
            if not changed:
                break
        return s, energies


# ----------------------------------------------------------------------------- PixelRNN

def bar_images(n: int, size: int = 8, seed: int = 0) -> torch.Tensor:
    """Binary ``size x size`` images (0 / 1 floats) of one to three vertical or horizontal bars
    (all of one orientation per image), ``(n, size, size)``. Seeded."""
    n, size = positive_int(n, "n"), positive_int(size, "size", minimum=3)
    rng = np.random.default_rng(seed)
    img = np.zeros((n, size, size), dtype=np.float32)
    for i in range(n):
        lines = rng.choice(size, size=rng.integers(1, 4), replace=False)
        if rng.random() < 0.5:
            img[i, lines, :] = 1.0        # horizontal bars: whole rows
        else:
            img[i, :, lines] = 1.0        # vertical bars: whole columns
    return torch.from_numpy(img)


class PixelRNN(nn.Module):
    """A tiny PixelRNN for binary images (after van den Oord et al. 2016): the image read in
    raster order as a sequence of pixels, an LSTM predicting each pixel from all before it.

    ``p(x) = prod_i p(x_i | x_1 .. x_{i-1})``. The input at step ``i`` is pixel ``i - 1``
    (a start value 0.5 at step 1) and the position in the row (one-hot), so the model knows
    where a row begins; the output is the logit of ``p(x_i = 1)``. The LSTM is
    ``rc.fast.FastRecurrent("lstm", ...)``.
    """

    def __init__(self, size: int = 8, hidden: int = 48):
        super().__init__()
        self.size = positive_int(size, "size", minimum=2)
        self.rnn = FastRecurrent("lstm", 1 + size, [positive_int(hidden, "hidden")])
        self.readout = nn.Linear(hidden, 1)

    def inputs(self, images: torch.Tensor) -> torch.Tensor:
        """``(n, size, size)`` images -> ``(n, size*size, 1 + size)`` shifted pixels and columns."""
        if not isinstance(images, torch.Tensor) or images.dim() != 3 or images.shape[1:] != (self.size, self.size):
            got = tuple(images.shape) if isinstance(images, torch.Tensor) else type(images).__name__
            raise ValueError(f"PixelRNN expects images of shape (n, {self.size}, {self.size}), got {got}")
        n, L = images.shape[0], self.size * self.size
        flat = images.reshape(n, L)                                              # raster order
        prev = torch.cat([torch.full_like(flat[:, :1], 0.5), flat[:, :-1]], 1)  # (n, L)
        col = torch.eye(self.size, device=images.device, dtype=images.dtype).repeat(self.size, 1)
        return torch.cat([prev.unsqueeze(-1), col.expand(n, L, self.size)], -1)  # (n, L, 1 + size)

    def forward(self, x: torch.Tensor, states=None):
        """``x`` from :meth:`inputs` -> ``(logits (n, L), states)``."""
        h, states = self.rnn(x, states)                                          # (n, L, hidden)
        return self.readout(h).squeeze(-1), states

    def nll(self, images: torch.Tensor) -> torch.Tensor:
        """Mean negative log-likelihood per pixel, in nats."""
        logits, _ = self(self.inputs(images))
        return F.binary_cross_entropy_with_logits(logits, images.reshape(images.shape[0], -1))

    @torch.no_grad()
    def complete(self, images: torch.Tensor, known_rows: int, greedy: bool = True, seed: int = 0):
        """Keep the first ``known_rows`` rows of each image and generate the rest pixel by pixel
        (most likely pixel if ``greedy``, else sampled). Returns ``(n, size, size)``."""
        known = positive_int(known_rows, "known_rows")
        L = self.size * self.size
        if known >= self.size:
            raise ValueError(f"known_rows must be below the image size {self.size}, got {known}")
        gen = torch.Generator(device=images.device).manual_seed(seed)
        x = self.inputs(images)                                                  # (n, L, 1 + size)
        k = known * self.size
        logits, states = self(x[:, :k + 1])          # the prompt; the last output predicts pixel k
        flat = images.reshape(images.shape[0], -1).clone()                       # (n, L)
        later = x[:, k + 1:].unbind(1)               # the inputs of steps k+1 .. L-1, each (n, 1 + size)
        for i in range(k, L):                                                    # one pixel per step
            p = torch.sigmoid(logits[:, -1])                                     # (n,)
            pixel = (p > 0.5).to(flat.dtype) if greedy else torch.bernoulli(p, generator=gen)
            flat[:, i] = pixel
            if i + 1 < L:
                nxt = later[i - k].clone().unsqueeze(1)                          # (n, 1, 1 + size)
                nxt[:, 0, 0] = pixel                                             # feed it back
                logits, states = self(nxt, states)
        return flat.reshape(images.shape)


def pixelcnn_mask(kernel_size: int = 3, kind: str = "A", colours: int = 1,
                  in_channels: int | None = None, out_channels: int | None = None) -> torch.Tensor:
    """The mask of a PixelCNN convolution (van den Oord et al. 2016), ``(out_channels,
    in_channels, kernel_size, kernel_size)`` of 0 / 1 floats (``(kernel_size, kernel_size)``
    when ``colours == 1`` and no channel counts are given).

    In raster order (row by row, left to right) the pixels a filter centred on pixel ``i`` may
    see are those above it and those left of it in its row: 1 there, 0 to the right of the
    centre and below it. At the centre, the channels are split into ``colours`` equal groups
    (R, G, B for ``colours=3``), and output group ``c`` sees input group ``c'`` of the same pixel
    only if ``c' < c`` (``kind="A"``, the first layer: a pixel's value is not its own input) or
    ``c' <= c`` (``kind="B"``, later layers, whose inputs at the pixel already hide it).
    """
    k = positive_int(kernel_size, "kernel_size")
    if k % 2 == 0:
        raise ValueError(f"expected an odd kernel_size (a centre pixel), got {k}")
    if kind not in ("A", "B"):
        raise ValueError(f"unknown mask kind {kind!r}: expected 'A' or 'B'")
    colours = positive_int(colours, "colours")
    flat = in_channels is None and out_channels is None and colours == 1
    c_in = positive_int(colours if in_channels is None else in_channels, "in_channels")
    c_out = positive_int(colours if out_channels is None else out_channels, "out_channels")
    if c_in % colours or c_out % colours:
        raise ValueError(f"expected channel counts divisible by colours={colours}, got "
                         f"in_channels={c_in}, out_channels={c_out}")
    mask = torch.zeros(c_out, c_in, k, k)
    centre = k // 2
    mask[:, :, :centre, :] = 1.0                                     # the rows above
    mask[:, :, centre, :centre] = 1.0                                # left of the centre
    group_in = torch.arange(c_in) // (c_in // colours)               # colour of each channel
    group_out = torch.arange(c_out) // (c_out // colours)
    if kind == "A":
        seen = group_out[:, None] > group_in[None, :]                # (out, in): earlier colours
    else:
        seen = group_out[:, None] >= group_in[None, :]               # and the same colour

    mask[:, :, centre, centre] = seen.float()
    return mask[0, 0] if flat else mask


class MaskedConv2d(nn.Conv2d):
    """A PixelCNN convolution: ``nn.Conv2d`` (odd ``kernel_size``, padded to keep the image size)
    whose weights are multiplied by :func:`pixelcnn_mask` (kept as a buffer) at every call, so the
    output at a pixel depends only on the pixels before it in raster order (and, at the pixel
    itself, on the earlier colours; also on its own colour for ``mask="B"``). Input and output
    ``(batch, channels, height, width)``."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int = 3,
                 mask: str = "A", colours: int = 1):
        super().__init__(positive_int(in_channels, "in_channels"),
                         positive_int(out_channels, "out_channels"),
                         positive_int(kernel_size, "kernel_size"), padding=kernel_size // 2)
        self.register_buffer("mask", pixelcnn_mask(kernel_size, mask, colours, in_channels,
                                                   out_channels))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not isinstance(x, torch.Tensor) or x.dim() != 4 or x.shape[1] != self.in_channels:
            got = tuple(x.shape) if isinstance(x, torch.Tensor) else type(x).__name__
            raise ValueError(f"MaskedConv2d expects x of shape (batch, {self.in_channels}, "
                             f"height, width), got {got}")
        return self._conv_forward(x, self.weight * self.mask, self.bias)


# ----------------------------------------------------------------------------- a minGRU language model

#: The language-model comparison (chapter 9's corpus): both models read characters through an
#: embedding of 32 and end in a linear readout; the LSTM is ``rc.charlm.CharLM(V, 32, LM_LSTM_HIDDEN)``,
#: the minGRU model :class:`MinGRULM` of width ``LM_MINGRU_HIDDEN`` (two residual blocks), the
#: widths chosen so that the two have the same number of weights within 5 %. The recipe is chapter
#: 9's ``rc.charlm.train``: ``LM_RECIPE["n_streams"]`` streams walked in chunks of
#: ``LM_RECIPE["chunk_length"]`` characters with the state carried, Adam with a cosine decay to a
#: tenth over ``LM_RECIPE["updates"]`` updates, gradient norm clipped at 1; the learning rate of
#: each kind chosen on the validation text at seed 0 among ``LM_LR_GRID``
#: (``scripts/train_ch12_lm.py``), ``LM_LR`` holds the choice.
LM_EMBED = 32
LM_LSTM_HIDDEN = 80
LM_MINGRU_HIDDEN = 74
LM_MINGRU_LAYERS = 2
LM_RECIPE = dict(n_streams=16, chunk_length=64, updates=400, clip_norm=1.0)
LM_LR_GRID = (0.004, 0.008, 0.016, 0.032)
LM_LR = {"mingru": 0.008, "lstm": 0.032}
LM_KINDS = ("mingru", "lstm")
LM_SEEDS = (0, 1, 2)
#: the fixed validation slice the chapter evaluates on: the first ``LM_VAL_CHARS`` characters of
#: chapter 9's validation text, 16 streams, the state carried through chunks of 64
LM_VAL_CHARS = 32_768


class MinGRUBlock(nn.Module):
    """A residual block around :class:`MinGRU`: ``h + W_o gelu(minGRU(LayerNorm(h)))``.

    The minGRU recurrence is linear in its state; the GELU and the projection ``W_o`` after it
    put back a nonlinearity between layers (the ``nonlinearity comes back with depth`` of the
    chapter). ``forward(h, h0) -> (out, last state)``, ``h`` ``(batch, time, width)``, ``h0`` and
    the last state ``(batch, width)``.
    """

    def __init__(self, width: int):
        super().__init__()
        self.norm = nn.LayerNorm(positive_int(width, "width"))
        self.cell = MinGRU(width, width)
        self.proj = nn.Linear(width, width)

    def forward(self, h: torch.Tensor, h0: torch.Tensor | None = None):
        s = self.cell(self.norm(h), h0)                     # (batch, time, width), by the scan
        return h + self.proj(F.gelu(s)), s[:, -1]


class MinGRULM(nn.Module):
    """A character language model built of minGRU layers, called like ``rc.charlm.CharLM``.

    Embedding (``embed_size``), a linear map to ``hidden_size``, ``n_layers``
    :class:`MinGRUBlock` s, a LayerNorm and a linear readout to one logit per character.
    ``forward(x, state=None) -> (logits, state)``: ``x`` int64 ids ``(batch, time)``, logits
    ``(batch, time, vocab_size)``, ``state`` the list of every layer's last minGRU state
    ``(batch, hidden_size)``, to pass back in for the next chunk of text (stateful truncated
    BPTT as ``rc.train.fit(chunk_length=...)`` does, and ``rc.charlm.generate``). Within a chunk
    every layer runs :func:`scan` over all steps at once.
    """

    def __init__(self, vocab_size: int, embed_size: int = LM_EMBED,
                 hidden_size: int = LM_MINGRU_HIDDEN, n_layers: int = LM_MINGRU_LAYERS):
        super().__init__()
        self.vocab_size = positive_int(vocab_size, "vocab_size", minimum=2)
        self.embed = nn.Embedding(vocab_size, positive_int(embed_size, "embed_size"))
        self.hidden_size = positive_int(hidden_size, "hidden_size")
        self.inp = nn.Linear(embed_size, hidden_size)
        self.blocks = nn.ModuleList(MinGRUBlock(hidden_size)
                                    for _ in range(positive_int(n_layers, "n_layers")))
        self.norm = nn.LayerNorm(hidden_size)
        self.readout = nn.Linear(hidden_size, vocab_size)

    def forward(self, x: torch.Tensor, state=None):
        if not isinstance(x, torch.Tensor) or x.dim() != 2 or x.is_floating_point():
            got = f"{tuple(x.shape)} {x.dtype}" if isinstance(x, torch.Tensor) else type(x).__name__
            raise ValueError(f"MinGRULM expects int64 character ids of shape (batch, time), got {got}")
        if state is not None and (not isinstance(state, (list, tuple))
                                  or len(state) != len(self.blocks)):
            raise ValueError(f"MinGRULM expects a state of {len(self.blocks)} tensors (one per "
                             f"layer) or None, got {type(state).__name__}")
        h = self.inp(self.embed(x))                          # (batch, time, hidden)
        last = []
        for i, block in enumerate(self.blocks):
            h, s = block(h, None if state is None else state[i])
            last.append(s)                                   # (batch, hidden)
        return self.readout(self.norm(h)), last              # (batch, time, vocab)


def lm_model(kind: str, vocab_size: int, hidden_size: int | None = None):
    """A fresh model of the comparison: ``"mingru"`` (:class:`MinGRULM`) or ``"lstm"``
    (``rc.charlm.CharLM``, embedding :data:`LM_EMBED`), at the chapter's widths unless
    ``hidden_size`` is given."""
    from ..charlm import CharLM

    if kind == "mingru":
        return MinGRULM(vocab_size, LM_EMBED, hidden_size or LM_MINGRU_HIDDEN, LM_MINGRU_LAYERS)
    if kind == "lstm":
        return CharLM(vocab_size, LM_EMBED, hidden_size or LM_LSTM_HIDDEN, kind="lstm")
    raise ValueError(f"kind must be 'mingru' or 'lstm', got {kind!r}")


def train_lm(kind: str, corpus, *, seed: int, lr: float | None = None,
             updates: int | None = None, device=None, n_streams: int | None = None,
             chunk_length: int | None = None, hidden_size: int | None = None):
    """Train one model of the comparison with chapter 9's recipe (``rc.charlm.train``) and
    :data:`LM_RECIPE`; return ``(model, record)``.

    ``record`` holds ``train_loss`` (the training loss of every update, nats per character, on
    each chunk's first ``chunk_length - 1`` positions, whose targets lie inside the chunk),
    ``update_seconds`` (the wall-clock time of every update), ``val_loss`` (``rc.charlm.train``'s:
    the whole validation text), ``seconds`` (training wall-clock time, without validation),
    ``cpu_seconds`` (the process's CPU time for all of it, validation included) and the
    arguments. ``lr``
    defaults to :data:`LM_LR` of ``kind``.
    """
    import time

    from .. import charlm
    from ..utils import set_seed

    if kind not in LM_KINDS:
        raise ValueError(f"kind must be 'mingru' or 'lstm', got {kind!r}")
    if not isinstance(corpus, charlm.Corpus):
        raise TypeError(f"train_lm expects an rc.charlm.Corpus (rc.charlm.load_corpus()), got "
                        f"{type(corpus).__name__}")
    lr = LM_LR[kind] if lr is None else positive_number(lr, "lr")
    updates = positive_int(LM_RECIPE["updates"] if updates is None else updates, "updates")
    n_streams = n_streams or LM_RECIPE["n_streams"]
    chunk_length = chunk_length or LM_RECIPE["chunk_length"]
    set_seed(seed)
    model = lm_model(kind, len(corpus.vocab), hidden_size)
    losses, stamps = [], []
    cosine = charlm.cosine_schedule(updates)

    def schedule(u):                                   # called before every update
        stamps.append(time.perf_counter())
        return cosine(u)

    def record(module, args, out):                     # the loss of the chunk being trained on
        if module.training:
            with torch.no_grad():
                x, logits = args[0], out[0]
                losses.append(float(F.cross_entropy(logits[:, :-1].reshape(-1, logits.shape[-1]),
                                                    x[:, 1:].reshape(-1))))

    hook = model.register_forward_hook(record)
    cpu = time.process_time()
    try:
        history = charlm.train(model, corpus, updates=updates, n_streams=n_streams,
                             chunk_length=chunk_length, lr=lr, clip_norm=LM_RECIPE["clip_norm"],
                             lr_schedule=schedule, seed=seed, device=device)
    finally:
        hook.remove()
    cpu = time.process_time() - cpu                    # this process's CPU time, validation included
    stamps.append(stamps[-1] + history.seconds / max(1, history.updates))   # the last update
    per_update = [b - a for a, b in zip(stamps, stamps[1:])]
    model.eval()
    return model, dict(kind=kind, seed=int(seed), lr=float(lr), updates=history.updates,
                       n_streams=n_streams, chunk_length=chunk_length,
                       train_loss=losses[:history.updates], update_seconds=per_update,
                       val_loss=float(history.val_loss[-1]), seconds=float(history.seconds),
                       cpu_seconds=float(cpu))


def lm_validation(corpus, chars: int = LM_VAL_CHARS):
    """The fixed validation slice of the comparison: the first ``chars`` characters of the
    validation text as 16 streams (``rc.data.streams``), ``(x, y)``."""
    from .. import data

    return data.streams(corpus.val_ids[:positive_int(chars, "chars", minimum=32) + 1], 16)


def lm_loss(model: nn.Module, val, chunk_length: int = 64) -> float:
    """Mean cross-entropy (nats per character) of a language model on ``val = (x, y)`` (from
    :func:`lm_validation`), the state carried through chunks of ``chunk_length``."""
    from ..metrics import sequence_cross_entropy
    from ..train import evaluate

    return evaluate(model, val, sequence_cross_entropy, chunk_length=chunk_length)


def interleaved_update_seconds(models: dict, corpus, *, rounds: int = 20, lr: float = 1e-3,
                               n_streams: int | None = None, chunk_length: int | None = None):
    """Seconds per training update (forward, loss, backward, clipping, Adam step) of each model
    in ``models`` (``{name: model}``), measured in one process with the models taking turns:
    round ``r`` makes one update of every model on the same chunk of the training text, the
    order alternating between rounds, so that a load on the machine hits all of them alike.
    Trains copies (the models are not changed). Returns ``{name: median seconds}``."""
    import copy
    import statistics
    import time

    from .. import data
    from ..metrics import sequence_cross_entropy
    from ..train import clip_gradients, detach_state

    rounds = positive_int(rounds, "rounds")
    n_streams = n_streams or LM_RECIPE["n_streams"]
    chunk_length = chunk_length or LM_RECIPE["chunk_length"]
    x, y = data.streams(corpus.train_ids, n_streams)
    runs = {}
    for name, model in models.items():
        m = copy.deepcopy(model).train()
        runs[name] = [m, torch.optim.Adam(m.parameters(), lr=lr), None, []]
    names = list(runs)
    for r in range(rounds + 1):                             # round 0 warms up
        xs = x[:, r * chunk_length:(r + 1) * chunk_length]
        ys = y[:, r * chunk_length:(r + 1) * chunk_length]
        for name in (names if r % 2 == 0 else names[::-1]):
            m, opt, state, times = runs[name]
            dev = next(m.parameters()).device
            _sync([next(m.parameters())])
            start = time.perf_counter()
            opt.zero_grad(set_to_none=True)
            logits, state = m(xs.to(dev), state)
            sequence_cross_entropy(logits, ys.to(dev)).backward()
            clip_gradients(m.parameters(), LM_RECIPE["clip_norm"], None)
            opt.step()
            runs[name][2] = detach_state(state)
            _sync([next(m.parameters())])
            if r:
                times.append(time.perf_counter() - start)
    return {name: statistics.median(runs[name][3]) for name in names}


def lm_file(kind: str, seed: int) -> str:
    """The shipped file of a language model of the comparison."""
    return f"ch12_lm_{kind}_seed{seed}.pt"


def load_lm(kind: str, seed: int, device=None):
    """One of the language models ``scripts/train_ch12_lm.py`` trained and that ship in
    ``rnncourse/data`` (``ch12_lm_<kind>_seed<seed>.pt``, see its SOURCES.md): chapter 12 loads
    them at SCALE = 1, where training six would take longer than the chapter's budget.

    ``kind`` ``"mingru"`` or ``"lstm"``, ``seed`` one of :data:`LM_SEEDS`. The file's SHA-256
    is checked first (``rc.data.read_shipped``: a ``ValueError`` for a changed or damaged
    file); the float16 weights are loaded as float32. Returns ``(model, info)``: the model in
    eval mode, and the training record (:func:`train_lm`'s, with ``update_ratio``, the
    LSTM's time per update over the minGRU model's measured interleaved in the process that
    trained them, and ``machine``, ``torch``, ``command``, ``file``).
    """
    import io

    from .. import data
    from .._validate import _is_int

    if kind not in LM_KINDS:
        raise ValueError(f"kind must be 'mingru' or 'lstm', got {kind!r}")
    if not _is_int(seed) or int(seed) not in LM_SEEDS:
        raise ValueError(f"no shipped language model for seed {seed!r}: expected one of "
                         f"{LM_SEEDS} (train others with ch12.train_lm)")
    name = lm_file(kind, int(seed))
    blob = data.read_shipped(name)                           # raises on a wrong SHA-256
    saved = torch.load(io.BytesIO(blob), map_location="cpu", weights_only=True)
    with torch.random.fork_rng(devices=[]):                 # leave the global seed alone
        model = lm_model(kind, saved["config"]["vocab_size"], saved["config"]["hidden_size"])
    model.load_state_dict({k: v.float() for k, v in saved["state_dict"].items()})
    model.eval()
    info = dict(saved["info"], file=name)
    return (model.to(device) if device is not None else model), info


__all__ += ["LM_EMBED", "LM_LSTM_HIDDEN", "LM_MINGRU_HIDDEN", "LM_MINGRU_LAYERS", "LM_RECIPE",
            "LM_LR_GRID", "LM_LR", "LM_KINDS", "LM_SEEDS", "LM_VAL_CHARS", "MinGRUBlock",
            "MinGRULM", "lm_model", "train_lm", "lm_validation", "lm_loss",
            "interleaved_update_seconds", "lm_file", "load_lm"]
