"""The chapter 4 exercise checks pass on the solutions and fail helpfully on typical mistakes."""

import numpy as np
import pytest
import torch

import rnncourse as rc
from rnncourse.checks import ch04


# ----------------------------------------------------------------- 4.1 one backward step

def solution_step(dh_out, dh_next, h, h_prev, x, W_hh):
    da = (dh_out + dh_next) * (1 - h ** 2)
    return da.T @ x, da.T @ h_prev, da.sum(axis=0), da @ W_hh


def stub_step(*args):
    raise NotImplementedError()


def no_tanh_derivative(dh_out, dh_next, h, h_prev, x, W_hh):
    da = dh_out + dh_next
    return da.T @ x, da.T @ h_prev, da.sum(axis=0), da @ W_hh


def transposed_W_hh(dh_out, dh_next, h, h_prev, x, W_hh):
    da = (dh_out + dh_next) * (1 - h ** 2)
    return da.T @ x, da.T @ h_prev, da.sum(axis=0), da @ W_hh.T


def forgot_future(dh_out, dh_next, h, h_prev, x, W_hh):
    da = dh_out * (1 - h ** 2)
    return da.T @ x, da.T @ h_prev, da.sum(axis=0), da @ W_hh


def transposed_dW_hh(dh_out, dh_next, h, h_prev, x, W_hh):
    da = (dh_out + dh_next) * (1 - h ** 2)
    return da.T @ x, h_prev.T @ da, da.sum(axis=0), da @ W_hh


def derivative_at_h_prev(dh_out, dh_next, h, h_prev, x, W_hh):
    da = (dh_out + dh_next) * (1 - h_prev ** 2)
    return da.T @ x, da.T @ h_prev, da.sum(axis=0), da @ W_hh


def in_place(dh_out, dh_next, h, h_prev, x, W_hh):
    dh_out += dh_next
    return solution_step(dh_out, np.zeros_like(dh_next), h, h_prev, x, W_hh)


def test_step_solution_passes():
    r = ch04.bptt_step(solution_step)
    assert r and "PASSED" in str(r)


def test_step_module_reference_passes():
    assert ch04.bptt_step(lambda *a, **k: rc.chapters.ch04.backward_step(*a, **k))
    r = ch04.bptt_step(rc.chapters.ch04.backward_step)
    assert not r and "package's own rc.chapters.ch04.backward_step" in r.message


def test_step_stub_is_not_yet():
    r = ch04.bptt_step(stub_step)
    assert not r and "not implemented" in str(r) and "NOT YET" in str(r)


@pytest.mark.parametrize("fn, words", [
    (no_tanh_derivative, "1 - h_t**2"),
    (transposed_W_hh, "da @ W_hh"),
    (forgot_future, "future"),
    (transposed_dW_hh, "transposed"),
    (derivative_at_h_prev, "this* step"),
    (in_place, "in place"),
    (lambda *a: solution_step(*a)[:3], "four arrays"),
])
def test_step_mistakes_are_named(fn, words):
    r = ch04.bptt_step(fn)
    assert not r
    assert words in r.message, r.message


# ----------------------------------------------------------------- 4.2 central differences

def solution_cd(f, theta, eps):
    grad = np.zeros_like(theta)
    for i in np.ndindex(theta.shape):
        old = theta[i]
        theta[i] = old + eps
        f_plus = f(theta)
        theta[i] = old - eps
        f_minus = f(theta)
        theta[i] = old
        grad[i] = (f_plus - f_minus) / (2 * eps)
    return grad


def forward_difference(f, theta, eps):
    grad = np.zeros_like(theta)
    f0 = f(theta)
    for i in np.ndindex(theta.shape):
        t = theta.copy()
        t[i] += eps
        grad[i] = (f(t) - f0) / eps
    return grad


def missing_two(f, theta, eps):
    return 2 * eps * solution_cd(f, theta, eps) / eps


def not_restored(f, theta, eps):
    grad = np.zeros_like(theta)
    for i in np.ndindex(theta.shape):
        theta[i] += eps
        f_plus = f(theta)
        theta[i] -= 2 * eps
        grad[i] = (f_plus - f(theta)) / (2 * eps)
    return grad


def test_cd_solution_passes():
    assert ch04.central_difference(solution_cd)


def test_cd_numpy_rnn_numerical_gradient_agrees():
    f, grad, theta = ch04._test_function()
    np.testing.assert_allclose(solution_cd(f, theta.copy(), 1e-4), grad(theta), rtol=1e-6, atol=1e-7)


def test_cd_stub_is_not_yet():
    r = ch04.central_difference(lambda f, t, e: (_ for _ in ()).throw(NotImplementedError()))
    assert not r and "not implemented" in r.message


@pytest.mark.parametrize("fn, words", [
    (forward_difference, "forward"),
    (missing_two, "factor 2"),
    (not_restored, "changed"),
    (lambda f, t, e: None, "None"),
    (lambda f, t, e: np.zeros(3), "shape"),
])
def test_cd_mistakes_are_named(fn, words):
    r = ch04.central_difference(fn)
    assert not r
    assert words in r.message, r.message


# ------------------------------------------- mistakes named since the third edition (issue 17)

def tanh_on_output_only(dh_out, dh_next, h, h_prev, x, W_hh):
    da = dh_out * (1 - h ** 2) + dh_next          # the lecture-notes slip
    return da.T @ x, da.T @ h_prev, da.sum(axis=0), da @ W_hh


def double_tanh(dh_out, dh_next, h, h_prev, x, W_hh):
    da = (dh_out + dh_next) * (1 - np.tanh(h) ** 2)
    return da.T @ x, da.T @ h_prev, da.sum(axis=0), da @ W_hh


def dh_prev_times_derivative(dh_out, dh_next, h, h_prev, x, W_hh):
    dW_xh, dW_hh, db_h, dh_prev = solution_step(dh_out, dh_next, h, h_prev, x, W_hh)
    return dW_xh, dW_hh, db_h, dh_prev * (1 - h_prev ** 2)


def float32_result(f, theta, eps):
    return solution_cd(f, theta, eps).astype(np.float32)


def four_eps(f, theta, eps):
    return solution_cd(f, theta, eps) / 2


def all_at_once(f, theta, eps):
    return np.full_like(theta, (f(theta + eps) - f(theta - eps)) / (2 * eps))


def restored_by_arithmetic(f, theta, eps):
    grad = np.zeros_like(theta)
    for i in np.ndindex(theta.shape):
        theta[i] += eps
        f_plus = f(theta)
        theta[i] -= 2 * eps
        f_minus = f(theta)
        theta[i] += eps                           # leaves round-off behind in some entries
        grad[i] = (f_plus - f_minus) / (2 * eps)
    return grad


@pytest.mark.parametrize("fn, words", [
    (tanh_on_output_only, "dh_out only"),
    (double_tanh, "1 - tanh(h)**2"),
    (dh_prev_times_derivative, "counts it twice"),
])
def test_step_conceptual_slips_are_named(fn, words):
    r = ch04.bptt_step(fn)
    assert not r
    assert words in r.message, r.message


@pytest.mark.parametrize("fn, words", [
    (float32_result, "float32"),
    (four_eps, "4 * eps"),
    (all_at_once, "all entries of theta at once"),
])
def test_cd_slips_are_named(fn, words):
    r = ch04.central_difference(fn)
    assert not r
    assert words in r.message, r.message


def test_cd_round_off_restore_is_named():
    f, grad, theta = ch04._test_function()
    t = theta.copy()
    restored_by_arithmetic(f, t, 1e-4)
    if np.array_equal(t, theta):
        pytest.skip("no round-off left with these numbers")
    r = ch04.central_difference(restored_by_arithmetic)
    assert not r and "rounding error" in r.message, r.message


# the reference answers, by check, that tests/test_checks_garbage.py spoils and replaces
def solution_bptt(params, cache, d_out):
    x, h = cache.x, cache.h
    grads = {k: np.zeros_like(v) for k, v in params.items()}
    grads["W_hy"] = np.einsum("bto,bth->oh", d_out, h[:, 1:])
    grads["b_y"] = d_out.sum(axis=(0, 1))
    dh_next = np.zeros_like(h[:, 0])
    for t in range(x.shape[1] - 1, -1, -1):
        dW_xh, dW_hh, db_h, dh_next = solution_step(d_out[:, t] @ params.W_hy, dh_next,
                                                    h[:, t + 1], h[:, t], x[:, t], params.W_hh)
        grads["W_xh"] = grads["W_xh"] + dW_xh
        grads["W_hh"] = grads["W_hh"] + dW_hh
        grads["b_h"] = grads["b_h"] + db_h
    return grads, dh_next


def test_bptt_solution_passes_and_so_does_a_params_answer():
    assert ch04.bptt(solution_bptt)
    assert ch04.bptt(lambda p, c, d: rc.chapters.ch04.backward(p, c, d))   # grads as Params
    r = ch04.bptt(rc.chapters.ch04.backward)
    assert not r and "package's own rc.chapters.ch04.backward" in r.message


def test_bptt_agrees_with_autograd_in_float64():
    """The check's reference is the package's BPTT; here it is held against torch's autograd."""
    params, cache, d_out = ch04._bptt_data()
    grads, dh0 = solution_bptt(params, cache, d_out)
    w = {k: torch.tensor(v, requires_grad=True) for k, v in params.items()}
    h = torch.tensor(cache.h[:, 0], requires_grad=True)
    x = torch.tensor(cache.x)
    outs = []
    h_t = h
    for t in range(x.shape[1]):
        h_t = torch.tanh(x[:, t] @ w["W_xh"].T + h_t @ w["W_hh"].T + w["b_h"])
        outs.append(h_t @ w["W_hy"].T + w["b_y"])
    (torch.stack(outs, 1) * torch.tensor(d_out)).sum().backward()   # dL/do = d_out
    for k in w:
        np.testing.assert_allclose(grads[k], w[k].grad.numpy(), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(dh0, h.grad.numpy(), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("slip, words", [
    (dict(order="forward"), "runs forward in time"),
    (dict(carry=False), "did not pass the gradient back"),
    (dict(accumulate=False), "add up"),
    (dict(shift=1), "off by one"),
    (dict(hy_states=slice(0, -1)), "cache.h[:, 1:]"),
])
def test_bptt_mistakes_are_named(slip, words):
    r = ch04.bptt(lambda p, c, d: ch04._walk(p, c, d, **slip))
    assert not r and words in r.message, r.message


def test_bptt_names_a_wrong_dh0_and_in_place_changes():
    r = ch04.bptt(lambda p, c, d: (solution_bptt(p, c, d)[0], np.zeros_like(c.h[:, 0])))
    assert not r and "dh_prev of step t = 0" in r.message, r.message

    def in_place(p, c, d):
        d *= 0.5
        return solution_bptt(p, c, d)
    r = ch04.bptt(in_place)
    assert not r and "in place" in r.message, r.message
    r = ch04.bptt(lambda p, c, d: ({**solution_bptt(p, c, d)[0], "W_hh": None}, c.h[:, 0]))
    assert not r and "W_hh" in r.message, r.message
    r = ch04.bptt(lambda p, c, d: ({"W": 0}, c.h[:, 0]))
    assert not r and "keys" in r.message, r.message


SOLUTIONS = {"bptt_step": (solution_step,), "central_difference": (solution_cd,),
             "bptt": (solution_bptt,)}


def test_bptt_calling_a_stubbed_step_names_the_stub_not_the_student():
    def bptt_step(*args):                       # exercise 4.1 not solved yet
        raise NotImplementedError()

    def bptt(params, cache, d_out):
        dh = np.zeros_like(cache.h[:, 0])
        for t in range(cache.x.shape[1] - 1, -1, -1):
            bptt_step(d_out[:, t] @ params.W_hy, dh, cache.h[:, t + 1], cache.h[:, t],
                      cache.x[:, t], params.W_hh)
        return {}, dh
    r = ch04.bptt(bptt)
    assert not r and "calls bptt_step(), which is still a stub" in r.message, r.message
    assert "replace `raise NotImplementedError()`" not in r.message
