"""Exercise checks for chapter 3 (Elman networks).

- 3.1 ``elman_step(x_t, context, W_xh, W_hh, b_h, W_hy, b_y)``: one step, returns ``(y_t, h_t)``
- 3.2 ``online_step(params, context, x_t, y_t, lr)``: one step of Elman's online loop,
  returns ``(new_params, new_context, loss)``
"""

from __future__ import annotations

import numpy as np
import torch

from . import as_array, as_number, call, check, compare, describe, fail, reject, unpack

_NAMES = ("W_xh", "W_hh", "b_h", "W_hy", "b_y")


def _params(seed: int, n_in: int = 3, n_hidden: int = 3, n_out: int = 2) -> dict:
    """Random float64 weights; input and hidden sizes are equal so that a transposed
    matrix still has the right shape and the check can name the mistake."""
    g = torch.Generator().manual_seed(seed)
    r = lambda *s: 0.6 * torch.randn(*s, generator=g, dtype=torch.float64)
    return dict(W_xh=r(n_hidden, n_in), W_hh=r(n_hidden, n_hidden), b_h=r(n_hidden),
                W_hy=r(n_out, n_hidden), b_y=r(n_out))


def _step(x, c, W_xh, W_hh, b_h, W_hy, b_y):
    h = torch.tanh(x @ W_xh.T + c @ W_hh.T + b_h)  # (batch, hidden)
    return h @ W_hy.T + b_y, h                      # (batch, out), (batch, hidden)


def _clone(p: dict) -> dict:
    return {k: v.clone() for k, v in p.items()}


@check("3.1", expects="elman_step(x_t, context, W_xh, W_hh, b_h, W_hy, b_y) returning the pair "
       "(y_t, h_t): tensors of shape (batch, outputs) and (batch, hidden)",
       accepts=("numbers", "tuple of 2", "batch", "tensor"))
def elman_step(student_fn):
    """Exercise 3.1: one Elman step with a copied context; batches are rows."""
    p = _params(31)
    g = torch.Generator().manual_seed(32)
    x = torch.randn(4, 3, generator=g, dtype=torch.float64)   # (batch, input)
    c = torch.randn(4, 3, generator=g, dtype=torch.float64)   # (batch, hidden): h(t-1)
    args = (x.clone(), c.clone()) + tuple(_clone(p)[k] for k in _NAMES)
    got = call(student_fn, *args)
    y_got, h_got = unpack(got, 2, "elman_step", ("y_t", "h_t"))
    W_xh, W_hh, b_h, W_hy, b_y = (p[k] for k in _NAMES)
    y_ref, h_ref = _step(x, c, W_xh, W_hh, b_h, W_hy, b_y)
    if _close(y_got, h_ref) and _close(h_got, y_ref):
        fail("You returned (h_t, y_t), the pair in the wrong order; return (y_t, h_t): the "
             "output first, then the new state.")
    as_array(h_got, "h_t", tensor=True, finite=False)
    as_array(y_got, "y_t", tensor=True, finite=False)
    h_mistakes = {
        "W_xh is used transposed: with batches as rows the input term is x_t @ W_xh.T.":
            _step(x, c, W_xh.T, W_hh, b_h, W_hy, b_y)[1],
        "W_hh is used transposed: with batches as rows the context term is c_t @ W_hh.T.":
            _step(x, c, W_xh, W_hh.T, b_h, W_hy, b_y)[1],
        "Both W_xh and W_hh are used transposed: write x_t @ W_xh.T and c_t @ W_hh.T.":
            _step(x, c, W_xh.T, W_hh.T, b_h, W_hy, b_y)[1],
        "You forgot the hidden bias b_h.": _step(x, c, W_xh, W_hh, 0 * b_h, W_hy, b_y)[1],
        "The context is missing: h(t) must depend on the copied h(t-1) through W_hh.":
            _step(x, 0 * c, W_xh, W_hh, b_h, W_hy, b_y)[1],
        "You applied no tanh to the hidden pre-activation.":
            x @ W_xh.T + c @ W_hh.T + b_h,
        "You added b_h after the tanh; the bias belongs inside it: "
        "h_t = tanh(W_xh x_t + W_hh c_t + b_h).":
            torch.tanh(x @ W_xh.T + c @ W_hh.T) + b_h,
        "You used the sigmoid for the hidden layer; Elman's hidden units here are tanh, which "
        "is signed (between -1 and 1).": torch.sigmoid(x @ W_xh.T + c @ W_hh.T + b_h),
        "You used ReLU for the hidden layer; Elman's hidden units here are tanh, which is "
        "signed and bounded (between -1 and 1).": torch.relu(x @ W_xh.T + c @ W_hh.T + b_h),
    }
    compare(h_got, h_ref, "h_t", mistakes=h_mistakes)
    y_mistakes = {
        "You forgot the output bias b_y.": h_ref @ W_hy.T,
        "The output is linear: do not put a tanh on W_hy h_t + b_y.": torch.tanh(y_ref),
        "The output must be computed from the new state h(t), not from the context h(t-1).":
            c @ W_hy.T + b_y,
    }
    compare(y_got, y_ref, "y_t", mistakes=y_mistakes)
    if not torch.equal(args[1], c):
        fail("your function changed the context tensor in place; compute h_t in a new tensor")
    return "your step matches h_t = tanh(W_xh x_t + W_hh c_t + b_h), y_t = W_hy h_t + b_y"


def _close(got, ref) -> bool:
    """Whether ``got`` is a tensor or array of ``ref``'s shape and values (for swapped returns)."""
    try:
        if got.is_complex() if isinstance(got, torch.Tensor) else np.iscomplexobj(got):
            return False  # refused later, with a message (and no ComplexWarning here)
        a = np.asarray(got.detach() if isinstance(got, torch.Tensor) else got, dtype=np.float64)
    except (TypeError, ValueError, RuntimeError):
        return False
    return a.shape == tuple(ref.shape) and bool(np.allclose(a, ref.detach().numpy(), atol=1e-6))


def _online_ref(p: dict, c, x, y, lr):
    """Reference: forward, error, gradient with the context held constant, update."""
    q = {k: v.clone().requires_grad_(True) for k, v in p.items()}
    y_hat, h = _step(x, c, q["W_xh"], q["W_hh"], q["b_h"], q["W_hy"], q["b_y"])
    loss = ((y_hat - y) ** 2).mean()
    grads = torch.autograd.grad(loss, [q[k] for k in _NAMES])
    new = {k: (p[k] - lr * g_) for k, g_ in zip(_NAMES, grads)}
    return new, h.detach(), float(loss.detach()), dict(zip(_NAMES, grads))


def _grads_without_tanh_prime(p: dict, c, x, y):
    """The gradients of a hand-written backward pass that forgets tanh' = 1 - h**2: the
    forward values are tanh's, the backward pass treats the hidden layer as linear."""
    q = {k: v.clone().requires_grad_(True) for k, v in p.items()}
    a = x @ q["W_xh"].T + c @ q["W_hh"].T + q["b_h"]
    h = torch.tanh(a).detach() + (a - a.detach())       # tanh forward, identity backward
    loss = ((h @ q["W_hy"].T + q["b_y"] - y) ** 2).mean()
    return dict(zip(_NAMES, torch.autograd.grad(loss, [q[k] for k in _NAMES])))


@check("3.2", expects="online_step(params, context, x_t, y_t, lr) returning the triple "
       "(new_params, new_context, loss): a dict of tensors with the keys W_xh, W_hh, b_h, W_hy, "
       "b_y, a tensor of shape (1, hidden) and one number",
       accepts=("numbers", "tuple of 3", "batch", "tensor"))
def online_step(student_fn):
    """Exercise 3.2: one step of the online loop (forward, error, gradient, update, copy)."""
    p = _params(33, n_in=1, n_hidden=3, n_out=1)
    g = torch.Generator().manual_seed(34)
    c = torch.tanh(torch.randn(1, 3, generator=g, dtype=torch.float64))  # (1, hidden)
    x = torch.randn(1, 1, generator=g, dtype=torch.float64)              # (1, input)
    y = torch.randn(1, 1, generator=g, dtype=torch.float64)              # (1, output)
    lr = 0.1
    given = _clone(p)
    got = call(student_fn, given, c.clone(), x.clone(), y.clone(), lr)
    new_got, ctx_got, loss_got = unpack(got, 3, "online_step", ("new_params", "new_context", "loss"))
    if not isinstance(new_got, dict) or set(new_got) != set(_NAMES):
        reject(f"new_params should be a dict with the keys {list(_NAMES)}, got {describe(new_got)}")
    for k in _NAMES:
        as_array(new_got[k], f"new_params['{k}']", tensor=True, finite=False)
    as_array(ctx_got, "new_context", tensor=True, finite=False)
    new_ref, h_ref, loss_ref, grads = _online_ref(p, c, x, y, lr)
    as_number(loss_got, "loss", finite=False)  # one number (a tensor of one element is fine)
    no_tanh_prime = _grads_without_tanh_prime(p, c, x, y)
    # a hand-written step that updates W_hy first and then backpropagates through the new W_hy
    y_hat0, h0 = _step(x, c, *(p[k] for k in _NAMES))
    d_a = (2 * (y_hat0 - y) / y.numel()) @ new_ref["W_hy"] * (1 - h0 ** 2)   # (1, hidden)
    stale = {"W_xh": d_a.T @ x, "W_hh": d_a.T @ c, "b_h": d_a.sum(0)}
    after = _step(x, c, *(new_ref[k] for k in _NAMES))[0]
    compare(loss_got, loss_ref, "loss", mistakes={
        "You returned the loss after the update; return the error made before it (online "
        "learning scores each prediction before learning from it).":
            float(((after - y) ** 2).mean()),
        "You returned the summed squared error halved; use the mean squared error.":
            0.5 * loss_ref,
    })
    for k in _NAMES:
        hints = {
            "You stepped uphill: the update is w <- w - lr * dL/dw.": p[k] + lr * grads[k],
            f"{k} was not updated: every weight takes a gradient step.": p[k],
            "The step is missing the learning rate: w <- w - lr * dL/dw.": p[k] - grads[k],
            "Your gradient is half the true one (the derivative of (1/2) err^2): the loss is "
            "mean((y_hat - y_t)**2), whose derivative with respect to y_hat is 2 (y_hat - y_t) / n.":
                p[k] - 0.5 * lr * grads[k],
        }
        if k in ("W_xh", "W_hh", "b_h"):
            hints["Your gradient skips tanh': on the way back through h_t = tanh(a_t) the error "
                  "is multiplied by 1 - h_t**2, so dL/da_t = (dL/dh_t) * (1 - h_t**2)."] = \
                p[k] - lr * no_tanh_prime[k]
            hints["Your hidden-layer gradients use the already updated W_hy: compute every "
                  "gradient from the weights of this step's forward pass first (step 4), then "
                  "update them all (step 5)."] = p[k] - lr * stale[k]
        if k == "W_hh":
            hints["Your W_hh gradient is transposed: with batches as rows it is "
                  "delta.T @ context (dL/da_t as rows times the context), not context.T @ delta."] = \
                p[k] - lr * grads[k].T
        compare(new_got[k], new_ref[k], f"new_params['{k}']", mistakes=hints)
    recomputed = torch.tanh(x @ new_ref["W_xh"].T + c @ new_ref["W_hh"].T + new_ref["b_h"])
    compare(ctx_got, h_ref, "new_context", mistakes={
        "You returned the old context h(t-1); step 6 copies the new state h(t) into the context.":
            c,
        "You recomputed h(t) with the updated weights; copy the state of this step's forward "
        "pass, computed before the update.": recomputed,
    })
    if isinstance(ctx_got, torch.Tensor) and ctx_got.requires_grad:
        fail("new_context still carries gradient history; copy it as a constant with .detach()")
    changed = [k for k in _NAMES if isinstance(given.get(k), torch.Tensor)
               and not torch.equal(given[k].detach(), p[k])]
    if changed or new_got is given:
        fail("You updated the weights in place (" + ", ".join(changed or ["the dict itself"]) +
             " changed in the params you were given); return a new dict and leave the old "
             "weights as they were, e.g. new_params = {k: params[k] - lr * g for ...}.")
    return "your online step matches the reference: forward, error, gradient, update, copy"
