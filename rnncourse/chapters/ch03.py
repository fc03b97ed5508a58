"""Chapter 3 (Elman networks): Elman's online loop, and the Elman network on the sunspots.

- :func:`train_online`: the six-step per-time-step loop, in NumPy;
- :func:`elman_sequences`, :func:`train_elman`: the sunspots as one sequence, and one seed of
  the network trained online, with the context detached, or by BPTT.
"""

from __future__ import annotations

import math
import time
from typing import Mapping

import numpy as np
import torch
from tqdm.auto import tqdm

from .. import data, metrics
from .._validate import positive_int, positive_number
from ..models import ElmanNetwork, TimeDelayMLP
from ..timeseries import PERIODS, Standardizer, check_periods, series_variance
from ..train import History, TrainingDiverged, fit, show_progress
from ..utils import to_numpy

__all__ = ["train_online", "elman_sequences", "train_elman", "train_elman_seeds", "sine_task",
           "sine_elman", "sine_window_mlp", "train_time_delay_budgets"]


def train_time_delay_budgets(split: Mapping, seed: int, *, budgets=(600, 1200), hidden: int = 4,
                             lr: float = 0.01, variance: float | None = None) -> dict:
    """Chapter 2's time-delay MLP scored after each of ``budgets`` Adam steps, in one run.

    The same network, scaling and optimiser as ``rc.timeseries.train_time_delay`` (Adam at
    ``lr``, full batch); training continues with one optimiser from one budget to the next, so
    the NMSE after ``n`` steps equals that of ``train_time_delay(..., epochs=n)``. Returns
    ``{n: {period: NMSE}}`` for every ``n`` in ``budgets`` (increasing).
    """
    budgets = [int(n) for n in budgets]
    for n in budgets:
        positive_int(n, "budgets")
    if budgets != sorted(set(budgets)):
        raise ValueError(f"budgets must be increasing and distinct, got {budgets}")
    variance = series_variance() if variance is None else float(variance)
    X, y, _ = split["train"]
    scale = Standardizer.fit(y)
    as_t = lambda a: torch.tensor(scale.transform(a), dtype=torch.float32)
    torch.manual_seed(seed)
    model = TimeDelayMLP(X.shape[1], hidden)
    opt = torch.optim.Adam([p for p in model.parameters() if p.requires_grad], lr=lr)
    out, done = {}, 0
    for n in budgets:
        fit(model, (as_t(X), as_t(y)), epochs=n - done, lr=lr, optimizer=opt, progress=False)
        done = n
        model.eval()
        with torch.no_grad():
            out[n] = {name: metrics.nmse(yp, scale.inverse(model(as_t(Xp)).numpy()), variance)
                      for name, (Xp, yp, _) in split.items()}
    return out


def train_online(model, x: torch.Tensor, y: torch.Tensor, *, epochs: int = 1, lr: float = 0.05,
                 progress: bool | None = None) -> History:
    """Elman's online loop (chapter 3): update the weights after every time step.

    ``model`` is an :class:`rnncourse.models.ElmanNetwork` with a tanh cell; ``x`` has shape
    ``(time, input_size)`` and ``y`` shape ``(time, output_size)``: one long sequence.
    For every step t:

    1. present x(t);
    2. compute h(t) = tanh(W_xh x(t) + W_hh c(t) + b_h) from x(t) and the context
       c(t) = h(t-1), a copy of the previous hidden state used as an extra, constant input;
    3. compute the output y_hat(t) = W_hy h(t) + b_y;
    4. backpropagate the squared error ``mean((y_hat(t) - y(t))**2)`` through this one step
       only: the context is a constant, so the gradient stops at c(t);
    5. take a plain gradient step of size ``lr`` on every weight;
    6. copy h(t) into the context and go on with t + 1.

    This is chapter 3's exhibit, not a second training loop: every other model of the course
    trains with :func:`rnncourse.train.fit`. Every epoch starts again from a zero context. Because the gradient never crosses a time
    step, step 4 is the backward pass of a one-hidden-layer MLP, written out below. The
    loop runs in NumPy (float64) on copies of the weights: a step touches a few dozen
    numbers, where tensor calls would mostly cost overhead. The weights are copied back
    into ``model`` at the end (and also if training diverges).

    Returns a :class:`History` whose ``loss`` is the mean squared error over each epoch's
    steps (the errors made *before* each update, as in online learning).
    """
    if not isinstance(model, ElmanNetwork):
        raise TypeError(f"train_online trains an rnncourse.models.ElmanNetwork, got {type(model).__name__}")
    if getattr(model.cell, "nonlinearity", "tanh") != "tanh":
        raise ValueError("train_online assumes a tanh cell, got nonlinearity="
                         f"{model.cell.nonlinearity!r}")
    if not isinstance(x, torch.Tensor) or not isinstance(y, torch.Tensor):
        raise TypeError("train_online expects x and y as torch tensors")
    if x.dim() != 2 or y.dim() != 2:
        raise ValueError(f"train_online expects x (time, input) and y (time, output), "
                         f"got {tuple(x.shape)} and {tuple(y.shape)}")
    if x.shape[0] == 0:
        raise ValueError("train_online got an empty sequence")
    if x.shape[0] != y.shape[0]:
        raise ValueError(f"x and y must have the same length, got {x.shape[0]} and {y.shape[0]}")
    if x.shape[1] != model.cell.input_size or y.shape[1] != model.readout.out_features:
        raise ValueError(f"the model maps {model.cell.input_size} inputs to "
                         f"{model.readout.out_features} outputs, but x has {x.shape[1]} "
                         f"features and y has {y.shape[1]}")
    positive_int(epochs, "epochs")
    positive_number(lr, "lr")

    params = (model.cell.weight_x, model.cell.weight_h, model.cell.bias,
              model.readout.weight, model.readout.bias)
    W_xh, W_hh, b_h, W_hy, b_y = (to_numpy(p).copy() for p in params)
    xs = to_numpy(x)                                                 # (time, input)
    ys = to_numpy(y)                                                 # (time, output)
    n_out = ys.shape[1]
    history = History()
    start = time.perf_counter()
    try:
        with np.errstate(over="ignore", invalid="ignore"):  # divergence is reported below
            for _ in tqdm(range(epochs), disable=not show_progress(progress), desc="online",
                          leave=False):
                context = np.zeros(W_hh.shape[0])                         # (hidden,)  c(1) = 0
                total = 0.0
                for t in range(xs.shape[0]):
                    x_t = xs[t]                                           # 1. present x(t)
                    h = np.tanh(W_xh @ x_t + W_hh @ context + b_h)        # 2. (hidden,)
                    y_hat = W_hy @ h + b_y                                # 3. (output,)
                    err = y_hat - ys[t]                                   # (output,)
                    total += float(err @ err) / n_out
                    if not math.isfinite(total):
                        history.seconds = time.perf_counter() - start
                        raise TrainingDiverged(
                            f"online training diverged in epoch {len(history.loss) + 1}, step {t}; "
                            "lower the learning rate", history)
                    d_y = 2.0 * err / n_out                               # 4. dL/dy_hat
                    d_a = (W_hy.T @ d_y) * (1.0 - h * h)                  #    dL/da, (hidden,)
                    W_hy -= lr * np.outer(d_y, h)                         # 5. gradient steps
                    b_y -= lr * d_y
                    W_xh -= lr * np.outer(d_a, x_t)
                    W_hh -= lr * np.outer(d_a, context)                   #    context: a constant
                    b_h -= lr * d_a
                    context = h                                           # 6. copy h(t) into c(t+1)
                history.loss.append(total / xs.shape[0])
    finally:
        with torch.no_grad():
            for p, value in zip(params, (W_xh, W_hh, b_h, W_hy, b_y)):
                p.copy_(torch.from_numpy(value))
    history.seconds = time.perf_counter() - start
    return history


def elman_sequences(first_input_year: int = 1711, last_target_year: int = 1979,
                    train_last_year: int = 1920):
    """The sunspots as one sequence for the Elman network (chapter 3).

    Input x(t-1), target x(t): inputs from ``first_input_year``, targets up to
    ``last_target_year``. With the defaults the targets are exactly chapter 2's years
    1712-1979. Returns a dict with ``x`` and ``y`` (float32 tensors ``(time, 1)``, in sunspot
    units), ``target_years`` and ``n_train`` (the number of targets up to ``train_last_year``).
    """
    years, values = data.sunspots()
    if not years[0] <= first_input_year < train_last_year < last_target_year <= years[-1]:
        raise ValueError(
            f"need {years[0]} <= first_input_year < train_last_year < last_target_year <= "
            f"{years[-1]}, got {first_input_year}, {train_last_year}, {last_target_year}"
        )
    i0, i1 = first_input_year - years[0], last_target_year - years[0]
    v = values[i0:i1 + 1]
    as_col = lambda a: torch.tensor(a, dtype=torch.float32).unsqueeze(-1)  # (time, 1)
    target_years = years[i0 + 1:i1 + 1]
    return dict(x=as_col(v[:-1]), y=as_col(v[1:]), target_years=target_years,
                n_train=int(np.sum(target_years <= train_last_year)))


class _TanhRecurrence(torch.autograd.Function):
    """``h_t = tanh(W_xh x_t + W_hh h_{t-1} + b_h)`` from ``h_0 = 0``, one network per row.

    ``x`` is ``(nets, time, input)`` and every weight has a leading ``nets`` axis, so several
    independently initialised networks (one per seed) run side by side in the same tensor
    operations. Autograd would record a few small operations per step and replay them one by
    one; here the backward pass is the loop of chapter 4, three tensor operations per step.
    ``tests/test_timeseries.py`` checks it against autograd through
    :class:`rnncourse.models.ElmanNetwork`.
    """

    @staticmethod
    def forward(ctx, x, W_xh, W_hh, b_h):     # (n, time, in), (n, hid, in), (n, hid, hid), (n, hid)
        ax = torch.einsum("nti,nhi->nth", x, W_xh) + b_h[:, None]   # (n, time, hidden)
        W_hh_T = W_hh.transpose(1, 2)
        h = ax.new_zeros(ax.shape[0], 1, ax.shape[2])               # (n, 1, hidden)
        hs = []
        for a_t in ax.unbind(1):
            h = torch.tanh(torch.baddbmm(a_t[:, None], h, W_hh_T))  # (n, 1, hidden)
            hs.append(h)
        hs = torch.cat(hs, 1)                                       # (n, time, hidden)
        ctx.save_for_backward(x, W_hh, hs)
        return hs

    @staticmethod
    def backward(ctx, g_hs):                                        # dL/dh_t via the readout
        x, W_hh, hs = ctx.saved_tensors
        slopes = 1 - hs * hs                                        # tanh' at every step
        d_next = torch.zeros_like(hs[:, :1])                        # dL/dh_t through h_{t+1}
        d_as = []
        for g_t, s_t in zip(reversed(g_hs.split(1, 1)), reversed(slopes.split(1, 1))):
            d_a = (g_t + d_next) * s_t                              # dL/da_t, (n, 1, hidden)
            d_next = torch.bmm(d_a, W_hh)
            d_as.append(d_a)
        d_a = torch.cat(d_as[::-1], 1)                              # (n, time, hidden)
        h_prev = torch.cat([torch.zeros_like(hs[:, :1]), hs[:, :-1]], 1)
        return (None,                                               # x is data
                torch.einsum("nth,nti->nhi", d_a, x),               # dL/dW_xh
                torch.einsum("nth,ntk->nhk", d_a, h_prev),          # dL/dW_hh
                d_a.sum(1))                                         # dL/db_h


class _SeedBatch(torch.nn.Module):
    """Elman networks of several seeds, stacked so that ``rc.train.fit`` trains them together.

    Their weights are the networks' own, stacked along a leading axis; the loss (see
    :func:`_per_net_mse`) is the *sum* of each network's mean squared error, so each network's
    gradient is its own and Adam, which works element by element, updates each exactly as if
    it trained alone. ``forward(x)`` maps ``(n, time, 1)`` to ``(n, time, 1)``; with
    ``detach_context`` the gradient stops at the context (Elman's training). That gradient
    needs no backward loop at all: the contexts ``c_t = h_{t-1}`` are constants, so they are
    computed first, without a graph, and then every step
    ``h_t = tanh(W_xh x_t + W_hh c_t + b_h)`` is one row of a single batched product.
    """

    def __init__(self, nets, detach_context: bool):
        super().__init__()
        self.detach_context = detach_context
        stack = lambda get: torch.nn.Parameter(torch.stack([get(m).detach() for m in nets]))
        self.W_xh = stack(lambda m: m.cell.weight_x)                 # (n, hidden, input)
        self.W_hh = stack(lambda m: m.cell.weight_h)                 # (n, hidden, hidden)
        self.b_h = stack(lambda m: m.cell.bias)                      # (n, hidden)
        self.W_hy = stack(lambda m: m.readout.weight)                # (n, out, hidden)
        self.b_y = stack(lambda m: m.readout.bias)                   # (n, out)

    def forward(self, x):                                            # (n, time, input)
        hs = _TanhRecurrence.apply(x, self.W_xh, self.W_hh, self.b_h)  # (n, time, hidden)
        if self.detach_context:
            context = torch.cat([torch.zeros_like(hs[:, :1]), hs[:, :-1]], 1).detach()
            hs = torch.tanh(torch.einsum("nti,nhi->nth", x, self.W_xh)
                            + torch.einsum("ntk,nhk->nth", context, self.W_hh) + self.b_h[:, None])
        return torch.einsum("nth,noh->nto", hs, self.W_hy) + self.b_y[:, None]  # (n, time, out)

    @torch.no_grad()
    def copy_to(self, nets) -> None:
        for k, m in enumerate(nets):
            m.cell.weight_x.copy_(self.W_xh[k])
            m.cell.weight_h.copy_(self.W_hh[k])
            m.cell.bias.copy_(self.b_h[k])
            m.readout.weight.copy_(self.W_hy[k])
            m.readout.bias.copy_(self.b_y[k])


def _per_net_mse(y_hat, y):
    """The sum over networks of each one's mean squared error: (n, time, out) -> scalar."""
    return ((y_hat - y) ** 2).mean(dim=(1, 2)).sum()


def train_elman(seed: int, *, mode: str = "online", hidden: int = 4, epochs: int = 40,
                lr: float = 0.02, periods: Mapping[str, tuple[int, int]] = PERIODS,
                variance: float | None = None, device=None):
    """Train one Elman network on the sunspots; return ``(model, nmse, predictions)``.

    - ``mode="online"``: Elman's loop, :func:`train_online` (plain gradient
      step after every year, context held constant).
    - ``mode="detached"``: ``rc.train.fit`` (Adam, full sequence as one batch), the context
      still treated as a constant input (``detach_context=True``): Elman's gradient, but the
      same optimiser as BPTT.
    - ``mode="bptt"``: ``rc.train.fit`` with full backpropagation through time.

    The network reads x(t-1) only (standardised with the training targets' mean and std)
    and must keep the rest of the past in its context. Testing runs the whole sequence from
    a zero context and scores the target years of each period. The fit modes run
    :func:`train_elman_seeds` with one seed, on ``device`` (default: the CPU, the fastest place
    for 4 units); Elman's online loop always runs in NumPy.
    """
    if mode not in ("online", "detached", "bptt"):
        raise ValueError(f"mode must be 'online', 'detached' or 'bptt', got {mode!r}")
    if mode != "online":
        out = train_elman_seeds([seed], mode=mode, hidden=hidden, epochs=epochs, lr=lr,
                                periods=periods, variance=variance, device=device)
        return out["runs"][0]
    seq, x, y, n, score = _sunspot_setup(periods, variance)
    torch.manual_seed(seed)
    model = ElmanNetwork(1, hidden)
    train_online(model, x[:n], y[:n], epochs=epochs, lr=lr, progress=False)
    return (model, *score(model))


def _sunspot_setup(periods, variance):
    """The sunspot sequence, scaled, and a function that scores a network on every period."""
    check_periods(periods)
    variance = series_variance() if variance is None else float(variance)
    if "train" not in periods:
        raise ValueError("periods must have a 'train' period")
    first, last = periods["train"]
    seq = elman_sequences(first_input_year=first - 1, train_last_year=last,
                          last_target_year=max(b for _, b in periods.values()))
    n = seq["n_train"]
    scale = Standardizer.fit(seq["y"][:n].numpy().ravel())
    x = torch.tensor(scale.transform(seq["x"].numpy()), dtype=torch.float32)  # (time, 1)
    y = torch.tensor(scale.transform(seq["y"].numpy()), dtype=torch.float32)  # (time, 1)
    truth = seq["y"][:, 0].numpy().astype(np.float64)
    keeps = {name: (seq["target_years"] >= a) & (seq["target_years"] <= b)
             for name, (a, b) in periods.items()}
    for name, keep in keeps.items():
        if not keep.any():
            raise ValueError(f"period {name!r} has no target in the sequence")

    def score_all(y_hat):                                        # (n_nets, time) scaled outputs
        pred = scale.inverse(to_numpy(y_hat))                    # (n_nets, time), sunspot units
        nmse = {name: np.array([metrics.nmse(truth[k], p[k], variance) for p in pred])
                for name, k in keeps.items()}
        return nmse, [{name: p[k] for name, k in keeps.items()} for p in pred]

    def score(model):
        with torch.no_grad():
            y_hat, _ = model(x[None].to(model.readout.weight.device))   # (1, time, 1)
        nmse, preds = score_all(y_hat[:, :, 0])
        return {k: float(v[0]) for k, v in nmse.items()}, preds[0]

    score.all = score_all
    return seq, x, y, n, score


def train_elman_seeds(seeds, *, mode: str = "bptt", hidden: int = 4, epochs: int = 150,
                      lr: float = 0.01, periods: Mapping[str, tuple[int, int]] = PERIODS,
                      variance: float | None = None, record_every: int | None = None,
                      device=None) -> dict:
    """Train one Elman network per seed with ``rc.train.fit`` (Adam, full batch), side by side.

    ``mode`` is ``"detached"`` (Elman's gradient) or ``"bptt"``. Each network is initialised
    from its own seed exactly as ``ElmanNetwork(1, hidden)`` after ``torch.manual_seed(seed)``
    and trained as if alone (see :class:`_SeedBatch`); stacking them only shares the Python
    loop over time steps, which is what costs on a CPU. Returns a dict with

    - ``runs``: one ``(model, nmse, predictions)`` per seed, as :func:`train_elman` returns;
    - ``curve`` (if ``record_every=k``): ``{"step": (points,), period: (seeds, points)}``, the
      NMSE of every period after 0, k, 2k, ... Adam steps (one optimiser throughout, so the
      run is the same as without recording): chapter 3's learning curves.
    """
    if mode not in ("detached", "bptt"):
        raise ValueError(f"mode must be 'detached' or 'bptt', got {mode!r}")
    seeds = [int(s) for s in seeds]
    if not seeds:
        raise ValueError("train_elman_seeds needs at least one seed")
    positive_int(epochs, "epochs")
    if record_every is not None:
        positive_int(record_every, "record_every")
    seq, x, y, n, score = _sunspot_setup(periods, variance)
    nets = []
    for seed in seeds:
        torch.manual_seed(seed)
        nets.append(ElmanNetwork(1, hidden).to(device or "cpu"))
    batch = _SeedBatch(nets, detach_context=(mode == "detached"))
    x, y = x.to(device or "cpu"), y.to(device or "cpu")
    xs = x[None].expand(len(seeds), -1, -1)                      # (seeds, time, 1)
    train = (xs[:, :n], y[None, :n].expand(len(seeds), -1, -1))

    def evaluate():
        with torch.no_grad():
            return score.all(_SeedBatch.forward(batch, xs)[:, :, 0])[0]   # full sequence

    opt = torch.optim.Adam(batch.parameters(), lr=lr)  # one optimiser: Adam's state carries on
    every = epochs if record_every is None else record_every
    curve = {"step": [0], **{k: [v] for k, v in evaluate().items()}} if record_every else None
    done = 0
    while done < epochs:
        k = min(every, epochs - done)
        fit(batch, train, loss_fn=_per_net_mse, epochs=k, lr=lr, optimizer=opt, progress=False)
        done += k
        if curve is not None:
            curve["step"].append(done)
            for name, v in evaluate().items():
                curve[name].append(v)
    batch.copy_to(nets)
    runs = [(m, *score(m)) for m in nets]
    out = {"runs": runs}
    if curve is not None:
        out["curve"] = {k: np.asarray(v).T if k != "step" else np.asarray(v)
                        for k, v in curve.items()}
    return out


def sine_task(period: int = 20, steps: int = 500, n_train: int = 400) -> dict:
    """Chapter 3's sine: inputs ``x_t = sin(2 pi t / period)``, targets the next value.

    Returns ``s`` (the ``steps + 1`` values), ``x`` and ``y`` (float32 tensors ``(steps, 1)``),
    ``n_train`` and ``bound``, the smallest MSE that any function of ``x_t`` alone can reach,
    ``sin^2(2 pi / period) / 2``.
    """
    positive_int(period, "period")
    positive_int(steps, "steps")
    if not 0 < n_train < steps:
        raise ValueError(f"expected 0 < n_train < steps, got n_train={n_train}, steps={steps}")
    s = np.sin(2 * np.pi * np.arange(steps + 1) / period)
    col = lambda a: torch.tensor(a[:, None], dtype=torch.float32)   # (time, 1)
    return dict(s=s, x=col(s[:-1]), y=col(s[1:]), n_train=n_train,
                bound=float(0.5 * np.sin(2 * np.pi / period) ** 2))


def sine_elman(seeds, task: dict, *, epochs: int = 300, lr: float = 0.02):
    """Elman networks (4 hidden units, one per seed) on the sine, trained with Elman's gradient.

    The context is detached (the gradient stops at the copy, as in Elman's training); the
    optimiser is the MLPs' (``rc.train.fit``, Adam, full batch, ``epochs`` steps on the first
    ``n_train`` steps), so the comparison with :func:`sine_window_mlp` differs only in the
    model. Returns ``(test MSE per seed, predictions (seeds, steps))``; predictions run the
    whole sequence from a zero context.
    """
    seeds = [int(s) for s in seeds]
    if not seeds:
        raise ValueError("sine_elman needs at least one seed")
    n = task["n_train"]
    nets = []
    for seed in seeds:
        torch.manual_seed(seed)
        nets.append(ElmanNetwork(1, 4))
    batch = _SeedBatch(nets, detach_context=True)
    xs = task["x"][None].expand(len(seeds), -1, -1)                   # (seeds, steps, 1)
    ys = task["y"][None].expand(len(seeds), -1, -1)
    fit(batch, (xs[:, :n], ys[:, :n]), loss_fn=_per_net_mse, epochs=epochs, lr=lr, progress=False)
    with torch.no_grad():
        pred = batch(xs)[:, :, 0].numpy()                              # (seeds, steps)
    mse = np.mean((pred[:, n:] - task["s"][1:][n:]) ** 2, axis=1)
    return mse, pred


def sine_window_mlp(seed: int, task: dict, lags, *, epochs: int = 300, lr: float = 0.02):
    """A time-delay MLP (4 hidden units) on the sine, reading the lags ``lags`` of the input.

    Trained with ``rc.train.fit`` on the rows whose target is a training step; returns
    ``(test MSE, predictions of every row)``.
    """
    X, Y = data.lagged(task["s"], lags)
    X, Y = torch.tensor(X, dtype=torch.float32), torch.tensor(Y, dtype=torch.float32)
    n = task["n_train"] - max(lags) + 1                  # rows whose target is a training step
    torch.manual_seed(seed)
    mlp = TimeDelayMLP(len(lags), 4)
    fit(mlp, (X[:n], Y[:n]), epochs=epochs, lr=lr, progress=False)
    with torch.no_grad():
        return float(((mlp(X[n:]) - Y[n:]) ** 2).mean()), mlp(X).numpy()
