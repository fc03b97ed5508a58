"""The chapter 3 checks pass on the solutions and name the typical mistakes."""

import pytest
import torch

from rnncourse.checks import ch03


def stub(*args):
    raise NotImplementedError()


def step_ok(x_t, context, W_xh, W_hh, b_h, W_hy, b_y):
    h = torch.tanh(x_t @ W_xh.T + context @ W_hh.T + b_h)
    return h @ W_hy.T + b_y, h


def test_elman_step_passes():
    r = ch03.elman_step(step_ok)
    assert r, r.message


def _variant(kind):
    def f(x, c, W_xh, W_hh, b_h, W_hy, b_y):
        if kind == "Wxh_T":
            h = torch.tanh(x @ W_xh + c @ W_hh.T + b_h)
        elif kind == "Whh_T":
            h = torch.tanh(x @ W_xh.T + c @ W_hh + b_h)
        elif kind == "no_bh":
            h = torch.tanh(x @ W_xh.T + c @ W_hh.T)
        elif kind == "no_context":
            h = torch.tanh(x @ W_xh.T + b_h)
        elif kind == "sigmoid":
            h = torch.sigmoid(x @ W_xh.T + c @ W_hh.T + b_h)
        elif kind == "relu":
            h = torch.relu(x @ W_xh.T + c @ W_hh.T + b_h)
        elif kind == "bias_outside":
            h = torch.tanh(x @ W_xh.T + c @ W_hh.T) + b_h
        else:
            h = torch.tanh(x @ W_xh.T + c @ W_hh.T + b_h)
        if kind == "no_by":
            y = h @ W_hy.T
        elif kind == "tanh_out":
            y = torch.tanh(h @ W_hy.T + b_y)
        elif kind == "y_from_context":
            y = c @ W_hy.T + b_y
        else:
            y = h @ W_hy.T + b_y
        return (h, y) if kind == "swapped" else (y, h)
    return f


@pytest.mark.parametrize("kind, words", [
    ("Wxh_T", "W_xh is used transposed"),
    ("Whh_T", "W_hh is used transposed"),
    ("no_bh", "hidden bias"),
    ("no_context", "context is missing"),
    ("no_by", "output bias"),
    ("tanh_out", "output is linear"),
    ("y_from_context", "not from the context h(t-1)"),
    ("sigmoid", "sigmoid"),
    ("swapped", "wrong order"),
    ("bias_outside", "b_h after the tanh"),
    ("relu", "ReLU"),
])
def test_elman_step_names_mistakes(kind, words):
    r = ch03.elman_step(_variant(kind))
    assert not r and words in r.message, r.message


def test_elman_step_stub_and_bad_return():
    r = ch03.elman_step(stub)
    assert not r and "not implemented" in r.message
    r = ch03.elman_step(lambda *a: a[0])
    assert not r and "pair" in r.message


def test_elman_step_in_place_context():
    def f(x, c, W_xh, W_hh, b_h, W_hy, b_y):
        y, h = step_ok(x, c, W_xh, W_hh, b_h, W_hy, b_y)
        c.mul_(0)
        return y, h
    r = ch03.elman_step(f)
    assert not r and "in place" in r.message


NAMES = ("W_xh", "W_hh", "b_h", "W_hy", "b_y")


def online_ok(params, context, x_t, y_t, lr, *, sign=-1.0, lr_used=None, keep=None,
              ctx="new", loss_when="before", half=False, in_place=False):
    p = {k: v.clone().requires_grad_(True) for k, v in params.items()}
    y_hat, h = step_ok(x_t, context, *(p[k] for k in NAMES))
    loss = ((y_hat - y_t) ** 2).mean()
    if half:                                  # the gradient of (1/2) err^2
        loss = 0.5 * loss
    grads = torch.autograd.grad(loss, [p[k] for k in NAMES])
    if half:
        loss = 2 * loss
    step = lr if lr_used is None else lr_used
    new = {k: (params[k] + sign * step * g) if k != keep else params[k].clone()
           for k, g in zip(NAMES, grads)}
    if in_place:                              # the right values, written into the caller's dict
        for k in NAMES:
            params[k].copy_(new[k])
        new = params
    if ctx == "old":
        new_ctx = context
    elif ctx == "recomputed":
        new_ctx = step_ok(x_t, context, *(new[k] for k in NAMES))[1]
    elif ctx == "attached":
        new_ctx = h
    else:
        new_ctx = h.detach()
    value = float(loss.detach())
    if loss_when == "after":
        value = float(((step_ok(x_t, context, *(new[k] for k in NAMES))[0] - y_t) ** 2).mean())
    return new, new_ctx, value


def online_by_hand(params, context, x_t, y_t, lr, *, tanh_prime=True, stale_W_hy=False,
                   W_hh_transposed=False):
    """Steps 1-6 with the backward pass written out (no autograd)."""
    W_xh, W_hh, b_h, W_hy, b_y = (params[k] for k in NAMES)
    h = torch.tanh(x_t @ W_xh.T + context @ W_hh.T + b_h)   # (1, hidden)
    y_hat = h @ W_hy.T + b_y                                 # (1, output)
    err = y_hat - y_t
    d_y = 2 * err / err.numel()                              # dL/dy_hat
    if stale_W_hy:                                           # the slip: W_hy updated first
        W_hy = W_hy - lr * d_y.T @ h
    d_h = d_y @ W_hy                                         # dL/dh
    d_a = d_h * (1 - h ** 2) if tanh_prime else d_h          # dL/da
    grads = {"W_xh": d_a.T @ x_t, "W_hh": d_a.T @ context, "b_h": d_a.sum(0),
             "W_hy": d_y.T @ h, "b_y": d_y.sum(0)}
    if W_hh_transposed:
        grads["W_hh"] = context.T @ d_a
    new = {k: params[k] - lr * grads[k] for k in NAMES}
    return new, h, float((err ** 2).mean())


def test_online_step_passes():
    assert ch03.online_step(online_by_hand)
    r = ch03.online_step(online_ok)
    assert r, r.message


@pytest.mark.parametrize("kwargs, words", [
    (dict(sign=+1.0), "uphill"),
    (dict(lr_used=1.0), "learning rate"),
    (dict(keep="W_hh"), "W_hh was not updated"),
    (dict(ctx="old"), "old context"),
    (dict(ctx="recomputed"), "updated weights"),
    (dict(ctx="attached"), "detach"),
    (dict(loss_when="after"), "after the update"),
    (dict(half=True), "half the true one"),
    (dict(in_place=True), "in place"),
])
def test_online_step_names_mistakes(kwargs, words):
    r = ch03.online_step(lambda *a: online_ok(*a, **kwargs))
    assert not r and words in r.message, r.message


def test_online_step_names_a_gradient_without_tanh_prime():
    r = ch03.online_step(lambda *a: online_by_hand(*a, tanh_prime=False))
    assert not r and "skips tanh'" in r.message, r.message
    assert "new_params['W_xh']" in r.message, r.message


@pytest.mark.parametrize("kwargs, words", [
    (dict(stale_W_hy=True), "already updated W_hy"),
    (dict(W_hh_transposed=True), "W_hh gradient is transposed"),
])
def test_online_step_names_hand_written_slips(kwargs, words):
    r = ch03.online_step(lambda *a: online_by_hand(*a, **kwargs))
    assert not r and words in r.message, r.message


def test_online_step_stub_and_bad_return():
    r = ch03.online_step(stub)
    assert not r and "not implemented" in r.message
    r = ch03.online_step(lambda *a: (1, 2))
    assert not r and "new_params" in r.message


# the reference answers, by check, that tests/test_checks_garbage.py spoils and replaces
SOLUTIONS = {"elman_step": (step_ok,), "online_step": (online_ok,)}
