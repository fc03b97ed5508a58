"""Chapter 5 checks pass on the solutions and fail, naming the mistake, on the stub and on
typical mistakes."""

import math

import pytest
import torch

import rnncourse as rc
import rnncourse.chapters.ch05  # noqa: E402,F401  (the reference the tests wrap)

ch05 = rc.checks.ch05


def stub(*args, **kwargs):
    raise NotImplementedError()


# ----------------------------------------------------------------- 5.1 scale_to_radius

def scale_ok(W, rho):
    return W * (rho / torch.linalg.eigvals(W).abs().max())


@pytest.mark.parametrize("wrong, words", [
    (lambda W, rho: W * rho / torch.linalg.matrix_norm(W, 2), "singular value"),
    (lambda W, rho: W * rho / torch.linalg.eigvals(W).real.max(), "real part"),
    (lambda W, rho: W * rho / W.abs().max(), "largest absolute entry"),
    (lambda W, rho: W * rho / torch.linalg.matrix_norm(W), "Frobenius"),
    (lambda W, rho: W * rho, "did not divide"),
    (lambda W, rho: W * rho / torch.linalg.eigvals(W)[0].abs(), "first eigenvalue"),
    (lambda W, rho: W * rho / torch.linalg.eigvalsh(W).abs().max(), "eigvalsh"),
    (lambda W, rho: W * torch.linalg.eigvals(W).abs().max() / rho, "upside down"),
    (lambda W, rho: (W * rho / torch.linalg.eigvals(W).abs().max()).numpy(), "torch.Tensor"),
    (lambda W, rho: None, "torch.Tensor"),
])
def test_scale_to_radius_mistakes(wrong, words):
    r = ch05.scale_to_radius(wrong)
    assert not r and words in r.message, r.message


def power_iteration_radius(W, steps=200, v=None):
    v = torch.ones(W.shape[0], dtype=W.dtype) if v is None else v
    for _ in range(steps):
        v = W @ v
        v = v / v.norm()
    return (W @ v).norm()


def scale_power_iteration(W, rho):
    return W * (rho / power_iteration_radius(W))


def scale_power_iteration_random_start(W, rho):
    g = torch.Generator().manual_seed(0)
    v = torch.randn(W.shape[0], generator=g, dtype=W.dtype)
    return W * (rho / power_iteration_radius(W, 500, v))


def scale_all_eigenvalues(W, rho):
    eig, V = torch.linalg.eig(W)
    return (V @ torch.diag(rho * eig / eig.abs()) @ torch.linalg.inv(V)).real


def scale_every_eigenvalue_to_rho(W, rho):
    eig, V = torch.linalg.eig(W)
    return (V @ torch.diag(torch.full_like(eig, rho)) @ torch.linalg.inv(V)).real


@pytest.mark.parametrize("wrong, words", [
    (lambda W, rho: W * rho / torch.linalg.eigvals(W).abs().sum(), "sum of the |eigenvalues|"),
    (scale_every_eigenvalue_to_rho, "set every eigenvalue to rho"),
    (lambda W, rho: rho * torch.eye(W.shape[0], dtype=W.dtype), "set every eigenvalue to rho"),
    (scale_all_eigenvalues, "set the absolute value of every eigenvalue to rho"),
    (scale_power_iteration, "power iteration cannot find"),
    (scale_power_iteration_random_start, "power iteration cannot find"),
    (lambda W, rho: W * (rho / power_iteration_radius(W, 20)), "has not converged"),
    (lambda W, rho: W * rho / torch.linalg.svdvals(W)[-1], "*smallest* singular value"),
    (lambda W, rho: W * rho / torch.linalg.eigvals(W).abs().max() ** 2, "square of the spectral radius"),
    (lambda W, rho: (W * rho / torch.linalg.eigvals(W).abs().max()).float(), "is float32"),
    (lambda W, rho: torch.tensor((W * rho / torch.linalg.eigvals(W).abs().max()).tolist()),
     "torch.tensor(...)"),
    (lambda W, rho: (W * rho).round().long(), "a tensor of int64; expected float64"),
])
def test_scale_to_radius_names_more_mistakes(wrong, words):
    r = ch05.scale_to_radius(wrong)
    assert not r and words in r.message, r.message


def test_scale_to_radius_solution_stub_and_package():
    assert ch05.scale_to_radius(scale_ok), ch05.scale_to_radius(scale_ok).message
    assert ch05.scale_to_radius(lambda *a: rc.chapters.ch05.scale_to_spectral_radius(*a))
    r = ch05.scale_to_radius(rc.chapters.ch05.scale_to_spectral_radius)
    assert not r and "package's own rc.chapters.ch05.scale_to_spectral_radius" in r.message
    r = ch05.scale_to_radius(stub)
    assert not r and "not implemented" in r.message
    assert "NOT YET" in str(r)


# ----------------------------------------------------------------- 5.2 predicted norm

def test_predicted_gradient_norm():
    assert ch05.predicted_gradient_norm(lambda rho, lag: rho ** lag)
    r = ch05.predicted_gradient_norm(stub)
    assert not r and "not implemented" in r.message


@pytest.mark.parametrize("wrong, words", [
    (lambda rho, lag: rho ** (lag + 1), "one Jacobian too many"),
    (lambda rho, lag: rho ** (lag - 1), "one Jacobian too few"),
    (lambda rho, lag: rho * lag, "multiply"),
    (lambda rho, lag: lag * math.log(rho), "logarithm"),
    (lambda rho, lag: math.exp(-lag * (1 - rho)), "approximation exp(-lag (1 - rho))"),
    (lambda rho, lag: lag * math.log10(rho), "base-10 logarithm"),
    (lambda rho, lag: rho ** (-lag), "wrong sign"),
    (lambda rho, lag: rho ** (lag / 2), "square root of rho ** lag"),
    (lambda rho, lag: math.sqrt(12) * rho ** lag, "no factor (such as sqrt(H))"),
    (lambda rho, lag: math.sqrt(32) * rho ** lag, "no factor (such as sqrt(H))"),
    (lambda rho, lag: "big", "number"),
    (lambda rho, lag: 1.0, "not right"),
])
def test_predicted_gradient_norm_mistakes(wrong, words):
    r = ch05.predicted_gradient_norm(wrong)
    assert not r and words in r.message, r.message


# ----------------------------------------------------------------- 5.3 clip_by_norm

def clip_ok(grads, max_norm):
    total = math.sqrt(sum(float((g ** 2).sum()) for g in grads))
    scale = min(1.0, max_norm / total)
    return [g * scale for g in grads]


def clip_each(grads, max_norm):
    return [g * min(1.0, max_norm / float(g.norm())) for g in grads]


def clip_value(grads, max_norm):
    return [g.clamp(-max_norm, max_norm) for g in grads]


def clip_always(grads, max_norm):
    total = math.sqrt(sum(float((g ** 2).sum()) for g in grads))
    return [g * (max_norm / total) for g in grads]


def clip_unit(grads, max_norm):
    total = math.sqrt(sum(float((g ** 2).sum()) for g in grads))
    return [g / total if total > max_norm else g for g in grads]


def clip_in_place(grads, max_norm):
    total = math.sqrt(sum(float((g ** 2).sum()) for g in grads))
    if total > max_norm:
        for g in grads:
            g.mul_(max_norm / total)
    return grads


def clip_with_total(total_of):
    def clip(grads, max_norm):
        total = total_of(grads)
        return [g * (max_norm / total) if total > max_norm else g for g in grads]
    return clip


def clip_inverted(grads, max_norm):
    total = math.sqrt(sum(float((g ** 2).sum()) for g in grads))
    return [g * (total / max_norm) if total > max_norm else g for g in grads]


def test_clip_by_norm_solutions_and_stub():
    assert ch05.clip_by_norm(clip_ok), ch05.clip_by_norm(clip_ok).message
    assert ch05.clip_by_norm(clip_in_place)
    r = ch05.clip_by_norm(stub)
    assert not r and "not implemented" in r.message


@pytest.mark.parametrize("wrong, words", [
    (clip_each, "separately"),
    (clip_value, "by value"),
    (clip_always, "already below"),
    (clip_unit, "length 1"),
    (clip_with_total(lambda gs: sum(float(g.norm()) for g in gs)), "added up the gradients' norms"),
    (clip_with_total(lambda gs: max(float(g.norm()) for g in gs)), "largest gradient's norm"),
    (clip_with_total(lambda gs: sum(float((g ** 2).sum()) for g in gs)), "squared total norm"),
    (clip_with_total(lambda gs: float(torch.cat([g.flatten() for g in gs]).pow(2).mean().sqrt())),
     "root mean square"),
    (clip_inverted, "upside down"),
    (clip_with_total(lambda gs: sum(float(g.norm()) for g in gs) / len(gs)), "averaged the gradients' norms"),
    (lambda grads, m: torch.cat([g.flatten() for g in grads]), "list of tensors"),
    (lambda grads, m: grads[:2], "one tensor per gradient"),
    (lambda grads, m: [g.flatten() for g in grads], "shape"),
    (lambda grads, m: None, "list of tensors"),
])
def test_clip_by_norm_mistakes(wrong, words):
    r = ch05.clip_by_norm(wrong)
    assert not r and words in r.message, r.message


def gradient_norm(rho, lag):
    return rho ** lag


# the reference answers, by check, that tests/test_checks_garbage.py spoils and replaces
SOLUTIONS = {"scale_to_radius": (scale_ok,), "predicted_gradient_norm": (gradient_norm,),
             "clip_by_norm": (clip_ok,)}
