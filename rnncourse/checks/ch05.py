"""Exercise checks for chapter 05 (vanishing and exploding gradients).

- 5.1 :func:`scale_to_radius`: scale a matrix to a given spectral radius
- 5.2 :func:`predicted_gradient_norm`: predict ``||dL_T/dh_t||`` for a linear RNN, checked
  against a measurement on a real backward pass
- 5.3 :func:`clip_by_norm`: clip a list of gradients by their total norm
"""

from __future__ import annotations

import math

import numpy as np
import torch

from . import as_array, as_number, call, check, compare, describe, fail, reject  # noqa: F401


def _test_matrices():
    """Matrices on which the usual wrong "radii" differ from the spectral radius."""
    g = torch.Generator().manual_seed(5)
    non_normal = torch.tensor([[0.5, 3.0, 0.0], [0.0, -0.8, 2.0], [0.0, 0.0, 0.3]],
                              dtype=torch.float64)                     # radius 0.8 (negative)
    c, s = math.cos(1.0), math.sin(1.0)
    rotation = torch.tensor([[2 * c, -2 * s, 0.0], [2 * s, 2 * c, 0.0], [0.0, 0.0, 1.5]],
                            dtype=torch.float64)                       # complex pair, |.| = 2
    dense = torch.randn(6, 6, generator=g, dtype=torch.float64)
    # eigenvalues 0.3 (listed first), -0.9 (the largest |.|), 0.6 (the largest real part)
    triangular = torch.tensor([[0.3, 1.0, -2.0], [0.0, -0.9, 0.5], [0.0, 0.0, 0.6]],
                              dtype=torch.float64)
    # eigenvalues +-2i and 0.5: W @ W = -4 I on the first two axes, so power iteration turns
    # back and forth and never settles (on `rotation` it does, as that block is 2 x orthogonal)
    complex_pair = torch.tensor([[0.0, -4.0, 1.0], [1.0, 0.0, 0.0], [0.0, 0.0, 0.5]],
                                dtype=torch.float64)
    return [triangular, non_normal, rotation, complex_pair, dense]


def _radius(W):
    return float(torch.linalg.eigvals(W).abs().max())


def _with_eigenvalues(W, new_values):
    """``V diag(new_values) V^-1`` for the eigenvectors ``V`` of ``W``, real part."""
    eig, V = torch.linalg.eig(W)
    return (V @ torch.diag(new_values(eig)) @ torch.linalg.inv(V)).real


def _estimate_hint(got, W, rho, known) -> str | None:
    """A hint for an answer that is a multiple of ``W`` with the wrong radius and neither the
    right answer nor one of the mistakes in ``known`` (the right answer first): the radius came
    from an estimate (power iteration, most often)."""
    if not isinstance(got, torch.Tensor) or got.dtype != torch.float64:
        return None  # other dtypes get compare's messages (float32 precision first)
    g = got.detach()
    if g.shape != W.shape or not bool(torch.isfinite(g).all()):
        return None
    if any(torch.allclose(g, v, rtol=1e-6, atol=1e-9) for v in known):
        return None
    s = float((g * W).sum() / (W * W).sum())          # the best factor: g = s W?
    if s == 0 or not torch.allclose(g, s * W, rtol=1e-6, atol=1e-9):
        return None
    radius = abs(s) * _radius(W)
    eig = torch.linalg.eigvals(W)
    top = eig[eig.abs().argmax()]
    if abs(radius / rho - 1) < 1e-2:
        return (f"Your result is a multiple of W with spectral radius {radius:.8g}, close to "
                f"rho = {rho} but not exact: the largest |eigenvalue| came from an estimate that "
                "has not converged (power iteration needs many steps when two eigenvalues are "
                "close in size). Compute it exactly: torch.linalg.eigvals(W).abs().max().")
    if abs(float(top.imag)) > 1e-9:
        pair = f"{round(float(top.real), 6) + 0.0:.3g} +- {abs(float(top.imag)):.3g}i"
        return (f"Your result is a multiple of W, but its spectral radius is {radius:.4g}, not "
                f"{rho}: this W's largest eigenvalues are a complex pair ({pair}), which power "
                "iteration cannot find (its vector keeps turning instead of settling). Take the "
                "largest absolute value of torch.linalg.eigvals(W), complex ones included.")
    return None


@check("5.1", expects="scale_to_radius(W, rho) returning a torch.Tensor of the shape of W: "
       "W scaled so that its largest |eigenvalue| is rho",
       accepts=("numbers", "tensor"))
def scale_to_radius(student_fn):
    """Exercise 5.1: ``scale_to_radius(W, rho)`` returns ``W`` scaled to spectral radius ``rho``."""
    for W in _test_matrices():
        for rho in (0.9, 1.5):
            got = call(student_fn, W.clone(), rho)
            if not isinstance(got, torch.Tensor):
                reject(f"return a torch.Tensor, got {describe(got)}")
            if tuple(got.shape) != tuple(W.shape):
                reject(f"the result has shape {tuple(got.shape)}; it must keep the shape {tuple(W.shape)}")
            if got.dtype != W.dtype:
                dtype = str(got.dtype).replace("torch.", "")
                if got.is_floating_point():
                    fail(f"scale_to_radius(W, {rho}) is {dtype} (which keeps only about "
                         f"{7 if got.dtype == torch.float32 else 3} significant digits); expected "
                         "float64, W's dtype: W * factor keeps it, while .float(), "
                         "torch.tensor(...) or dtype=torch.float32 converts it")
                reject(f"scale_to_radius(W, {rho}) is a tensor of {dtype}; expected float64, "
                       "W's dtype (W multiplied by a number keeps it)")
            expected = W * (rho / _radius(W))
            eig = torch.linalg.eigvals(W)
            what = f"scale_to_radius(W, {rho})"
            mistakes = {
                "You divided by the largest singular value (the spectral norm, "
                "torch.linalg.matrix_norm(W, 2)); the spectral radius is the largest |eigenvalue|.":
                    W * (rho / float(torch.linalg.matrix_norm(W, 2))),
                "You used the largest *real part* of the eigenvalues; take their absolute values "
                "(eigenvalues can be negative or complex).":
                    W * (rho / float(eig.real.max())),
                "You divided by the largest absolute entry of W, not by its spectral radius.":
                    W * (rho / float(W.abs().max())),
                "You divided by the Frobenius norm; the spectral radius is the largest |eigenvalue|.":
                    W * (rho / float(torch.linalg.matrix_norm(W))),
                "You divided by the *smallest* singular value (torch.linalg.svdvals sorts them "
                "largest first, so [-1] is the smallest); the spectral radius is not a singular "
                "value at all: it is the largest |eigenvalue|, torch.linalg.eigvals(W).abs().max().":
                    W * (rho / float(torch.linalg.svdvals(W)[-1])),
                "You divided by the square of the spectral radius (rho / radius**2); divide by "
                "the radius itself: the new radius is factor * radius, so factor = rho / radius.":
                    W * (rho / _radius(W) ** 2),
                "You multiplied W by rho but did not divide by its current spectral radius.":
                    W * rho,
                "The factor is upside down: you multiplied by (current radius / rho); multiply "
                "by rho / (current radius), so that the largest |eigenvalue| becomes rho.":
                    W * (_radius(W) / rho),
                "You divided by the first eigenvalue torch.linalg.eigvals returned instead of "
                "the largest: take the maximum of their absolute values.":
                    W * (rho / float(eig[0].abs())),
                "You used torch.linalg.eigvalsh, which is only for symmetric matrices: it reads "
                "one triangle of W and returns the eigenvalues of a different, symmetric matrix. "
                "Use torch.linalg.eigvals for a general matrix.":
                    W * (rho / float(torch.linalg.eigvalsh(W).abs().max())),
                "You divided by the sum of the |eigenvalues|; the spectral radius is the largest "
                "one alone: torch.linalg.eigvals(W).abs().max().":
                    W * (rho / float(eig.abs().sum())),
                "You set every eigenvalue to rho, so the result is rho times the identity; keep "
                "W and scale it by one factor, rho / (current radius): then only the largest "
                "|eigenvalue| becomes rho and the others keep their proportions.":
                    rho * torch.eye(W.shape[0], dtype=W.dtype),
                "You set the absolute value of every eigenvalue to rho (V diag(...) V^-1); only "
                "the largest |eigenvalue| must become rho: scale all of W by one factor, "
                "rho / (current radius), so that the others keep their proportions.":
                    _with_eigenvalues(W, lambda e: rho * e / e.abs()),
            }
            hint = _estimate_hint(got, W, rho, [expected, *mistakes.values()])
            if hint:
                fail(f"{what} is not right. {hint}")
            compare(got, expected, what, rtol=1e-6, atol=1e-9, mistakes=mistakes)
    return "the result has exactly the spectral radius asked for, and is a multiple of W"


def _measured_norms(rho: float, T: int = 41) -> np.ndarray:
    from ..chapters.ch05 import LeakyRNNCell
    from ..chapters.ch05 import random_recurrent_matrix
    from ..gradients import gradient_norms_by_lag

    H = 12
    cell = LeakyRNNCell(2, H, nonlinearity="linear").double()
    with torch.no_grad():
        cell.weight_h.copy_(random_recurrent_matrix(H, rho, kind="orthogonal", seed=3,
                                                    dtype=torch.float64))
    x = torch.randn(3, T, 2, generator=torch.Generator().manual_seed(4), dtype=torch.float64)
    return gradient_norms_by_lag(cell, x, seed=5)


@check("5.2", expects="predicted_gradient_norm(rho, lag) returning one number: the predicted "
       "norm ||dL_T/dh_t|| for that lag",
       accepts=("numbers",))
def predicted_gradient_norm(student_fn):
    """Exercise 5.2: ``predicted_gradient_norm(rho, lag)`` for the orthogonal linear RNN."""
    for rho in (0.8, 1.0, 1.1):
        measured = _measured_norms(rho)
        for lag in (10, 1, 40, 0):
            got = call(student_fn, rho, lag)
            value = as_number(got, f"predicted_gradient_norm({rho}, {lag})", finite=False)
            mistakes = {
                "You counted one Jacobian too many: from h_T back to h_t there are T - t "
                "factors, so the exponent is the lag, not lag + 1.": rho ** (lag + 1),
                "You counted one Jacobian too few: the exponent is the lag itself.":
                    rho ** (lag - 1) if lag > 0 else -1.0,
                "The factors multiply, they do not add: the norm is rho to the power lag, "
                "not rho times lag.": rho * lag,
                "That is the logarithm of the norm (lag * log rho); the norm itself is rho ** lag.":
                    lag * math.log(rho),
                "That is the base-10 logarithm of the norm (lag * log10 rho); the norm itself is "
                "rho ** lag.": lag * math.log10(rho),
                "You used the approximation exp(-lag (1 - rho)), which holds only for rho near 1; "
                "the norm is exactly rho ** lag (each of the lag Jacobians multiplies it by rho).":
                    math.exp(-lag * (1 - rho)),
                "The exponent has the wrong sign: rho ** (-lag) grows when rho < 1; going back lag "
                "steps multiplies by rho lag times, so the norm is rho ** lag.": rho ** -lag,
                "That is the square root of rho ** lag: every one of the lag Jacobians multiplies "
                "the norm (not its square) by rho, so the norm is rho ** lag, with no 1/2.":
                    rho ** (lag / 2),
            }
            if lag > 0 and not math.isclose(value, measured[lag], rel_tol=1e-6):
                start = _value_at_lag_0(student_fn, rho)
                if start is not None and not math.isclose(start, 1.0, rel_tol=1e-6):
                    mistakes[f"Your prediction is {start:.4g} * rho ** lag (its value at lag 0 is "
                             f"{start:.4g}): the norm starts at ||dL_T/dh_T|| = 1, as the exercise "
                             "says, so no factor (such as sqrt(H)) goes in front of rho ** lag."] = \
                        start * rho ** lag
            compare(got, measured[lag], f"predicted_gradient_norm({rho}, {lag})", rtol=1e-6,
                    mistakes=mistakes)
    return "your prediction matches the norms measured on real backward passes"


def _value_at_lag_0(student_fn, rho) -> float | None:
    """The student's prediction for lag 0 (where the norm is 1), or None if it has none."""
    try:
        start = as_number(call(student_fn, rho, 0), "predicted_gradient_norm")
    except Exception:  # a crash or garbage at lag 0 is not what this hint is about
        return None
    return start if start != 0 else None


def _grads():
    g = torch.Generator().manual_seed(7)
    return [torch.randn(4, 3, generator=g, dtype=torch.float64) * 5,
            torch.randn(3, generator=g, dtype=torch.float64) * 0.1,
            torch.randn(2, 2, generator=g, dtype=torch.float64) * 2]


def _total_norm(grads):
    return math.sqrt(sum(float((t ** 2).sum()) for t in grads))


@check("5.3", expects="clip_by_norm(grads, max_norm) returning a list of tensors, one per "
       "gradient and of its shape, all scaled by one factor when their total norm exceeds max_norm",
       accepts=("numbers", "tuple of 3", "tensor"))
def clip_by_norm(student_fn):
    """Exercise 5.3: ``clip_by_norm(grads, max_norm)`` returns the list of clipped gradients."""
    from ..train import clip_gradients

    for max_norm in (1.0, 3.0, 1000.0):
        grads = _grads()
        got = call(student_fn, [t.clone() for t in grads], max_norm)
        if not isinstance(got, (list, tuple)):
            reject(f"return a list of tensors (one per parameter), got {describe(got)}")
        if len(got) != len(grads):
            reject(f"return one tensor per gradient: got {len(got)} for {len(grads)} gradients")
        # the reference: rnncourse.train.clip_gradients on parameters that hold the gradients
        params = [torch.nn.Parameter(torch.zeros_like(t)) for t in grads]
        for p, t in zip(params, grads):
            p.grad = t.clone()
        clip_gradients(params, max_norm=max_norm)
        expected = torch.cat([p.grad.flatten() for p in params])
        arrays = [as_array(t, f"gradient {i} in the returned list", tensor=True, finite=False)
                  for i, t in enumerate(got)]
        for a, ref in zip(arrays, grads):
            if a.shape != tuple(ref.shape):
                reject(f"a returned gradient has shape {a.shape}; keep each gradient's shape "
                       f"{tuple(ref.shape)}")
        flat = np.concatenate([a.ravel() for a in arrays])
        total = _total_norm(grads)
        per_param = torch.cat([t.flatten() * min(1.0, max_norm / float(t.norm())) for t in grads])
        value = torch.cat([t.clamp(-max_norm, max_norm).flatten() for t in grads])
        always = torch.cat([t.flatten() * (max_norm / total) for t in grads])
        unit = torch.cat([t.flatten() / total for t in grads])
        mistakes = {
            "You clipped each parameter's gradient separately; clip by the norm of *all* "
            "gradients together (one scale factor for every parameter), or the direction changes.":
                per_param,
            "You clipped every component to [-max_norm, max_norm] (clipping by value); scale the "
            "whole gradient by max_norm / total_norm instead, which keeps its direction.": value,
        }
        if total < max_norm:
            mistakes["You rescaled a gradient whose norm was already below max_norm; leave "
                     "small gradients unchanged (scale only when the norm exceeds max_norm)."] = always
        mistakes["You normalised the gradient to length 1; scale it to length max_norm."] = unit

        def clipped_by(norm):  # the right rule, applied with a wrong total norm
            scale = max_norm / norm if norm > max_norm else 1.0
            return torch.cat([t.flatten() * scale for t in grads])

        norms = [float(t.norm()) for t in grads]
        n_entries = sum(t.numel() for t in grads)
        mistakes.update({
            "You added up the gradients' norms; the total norm is the square root of the sum of "
            "their *squared* norms, sqrt(sum ||g_i||**2), the norm of all entries together.":
                clipped_by(sum(norms)),
            "You used the largest gradient's norm; the total norm takes every gradient: "
            "sqrt(sum ||g_i||**2).": clipped_by(max(norms)),
            "You averaged the gradients' norms; the total norm is the norm of all entries "
            "together, sqrt(sum ||g_i||**2), with no mean.": clipped_by(sum(norms) / len(norms)),
            "You used the squared total norm (no square root): total_norm = "
            "sqrt(sum ||g_i||**2).": clipped_by(total ** 2),
            "You used the root mean square of the entries (divided by their number); the total "
            "norm is sqrt(sum ||g_i||**2), with no mean.": clipped_by(total / math.sqrt(n_entries)),
            "The factor is upside down: you scaled by total_norm / max_norm, which makes a large "
            "gradient larger; scale by max_norm / total_norm.":
                torch.cat([t.flatten() * (total / max_norm if total > max_norm else 1.0)
                           for t in grads]),
        })
        compare(flat, expected, f"clip_by_norm(grads, max_norm={max_norm})", rtol=1e-6,
                mistakes=mistakes)
    return "one scale factor for all parameters, applied only when the total norm is too large"
