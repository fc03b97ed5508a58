"""rnncourse.gradients: spectral scaling, gradient norms by lag, leaky / skip cells, clipping."""

import numpy as np
import pytest
import torch
from torch import nn

import rnncourse as rc
from rnncourse.chapters import ch05 as G


# ------------------------------------------------------------------ spectral radius

def test_spectral_radius_uses_eigenvalues_not_singular_values():
    W = torch.tensor([[0.5, 10.0], [0.0, 0.5]], dtype=torch.float64)  # non-normal
    assert G.spectral_radius(W) == pytest.approx(0.5)
    assert torch.linalg.matrix_norm(W, 2) > 10


def test_spectral_radius_of_a_rotation_with_complex_eigenvalues():
    c, s = np.cos(0.3), np.sin(0.3)
    W = 2 * torch.tensor([[c, -s], [s, c]], dtype=torch.float64)
    assert G.spectral_radius(W) == pytest.approx(2.0)


@pytest.mark.parametrize("rho", [0.5, 0.95, 1.0, 1.7])
def test_scale_to_spectral_radius(rho):
    W = torch.randn(20, 20, generator=torch.Generator().manual_seed(3), dtype=torch.float64)
    S = G.scale_to_spectral_radius(W, rho)
    assert G.spectral_radius(S) == pytest.approx(rho, rel=1e-10)
    ratio = (S / W)
    assert torch.allclose(ratio, ratio[0, 0].expand_as(ratio)), "must be a scalar multiple"


def test_scale_to_spectral_radius_keeps_numpy_arrays():
    W = np.random.default_rng(0).standard_normal((5, 5))
    S = G.scale_to_spectral_radius(W, 0.9)
    assert isinstance(S, np.ndarray)
    assert np.max(np.abs(np.linalg.eigvals(S))) == pytest.approx(0.9)


@pytest.mark.parametrize("bad", [torch.zeros(3, 4), torch.zeros(0, 0), torch.zeros(3), [[1.0]]])
def test_scale_rejects_non_square(bad):
    with pytest.raises((ValueError, TypeError)):
        G.scale_to_spectral_radius(bad, 0.9)


def test_scale_rejects_nilpotent_and_bad_rho():
    with pytest.raises(ValueError, match="spectral radius 0"):
        G.scale_to_spectral_radius(torch.tensor([[0.0, 1.0], [0.0, 0.0]]), 0.9)
    with pytest.raises(ValueError, match="rho"):
        G.scale_to_spectral_radius(torch.eye(2), -1.0)


def test_set_spectral_radius_in_place():
    cell = rc.cells.RNNCell(2, 8)
    G.set_spectral_radius_(cell.weight_h, 1.3)
    assert G.spectral_radius(cell.weight_h) == pytest.approx(1.3, rel=1e-5)


@pytest.mark.parametrize("kind", ["gaussian", "orthogonal"])
def test_random_recurrent_matrix(kind):
    W = G.random_recurrent_matrix(16, 0.8, kind=kind, seed=1, dtype=torch.float64)
    assert W.shape == (16, 16)
    assert G.spectral_radius(W) == pytest.approx(0.8, rel=1e-9)
    if kind == "orthogonal":
        sv = torch.linalg.svdvals(W)
        assert torch.allclose(sv, torch.full_like(sv, 0.8))
    assert torch.equal(W, G.random_recurrent_matrix(16, 0.8, kind=kind, seed=1, dtype=torch.float64))
    with pytest.raises(ValueError):
        G.random_recurrent_matrix(4, 0.8, kind="uniform")


# ------------------------------------------------------------------ gradient norms

def _linear_cell(H, rho, kind="orthogonal"):
    cell = G.LeakyRNNCell(3, H, nonlinearity="linear").double()
    with torch.no_grad():
        cell.weight_h.copy_(G.random_recurrent_matrix(H, rho, kind=kind, seed=0, dtype=torch.float64))
    return cell


@pytest.mark.parametrize("rho", [0.8, 1.0, 1.2])
def test_gradient_norms_of_orthogonal_linear_rnn_are_rho_to_the_lag(rho):
    cell = _linear_cell(10, rho)
    x = torch.randn(4, 25, 3, dtype=torch.float64)
    norms = rc.gradients.gradient_norms_by_lag(cell, x)
    assert norms.shape == (25,)
    np.testing.assert_allclose(norms, rho ** np.arange(25), rtol=1e-9)
    assert rc.gradients.log_slope(norms) == pytest.approx(np.log10(rho), abs=1e-9)


def test_gradient_norms_match_explicit_jacobian_product():
    torch.manual_seed(0)
    cell = rc.cells.RNNCell(2, 5).double()
    x = torch.randn(1, 6, 2, dtype=torch.float64)
    u = torch.randn(5, dtype=torch.float64)
    norms = rc.gradients.gradient_norms_by_lag(cell, x, direction=u)
    # the explicit product: dh_T/dh_t = prod diag(1 - h_k^2) W_hh
    out, _ = rc.layers.Recurrent(cell)(x)          # (1, time, H)
    h = [h_t.detach() for h_t in out[0].unbind(0)]
    v = u / u.norm()
    for lag in range(6):
        assert norms[lag] == pytest.approx(float(v.norm()), rel=1e-10)
        if lag < 5:
            k = 5 - lag  # step whose Jacobian we apply next (h_k from h_{k-1})
            v = cell.weight_h.detach().T @ ((1 - h[k] ** 2) * v)


def test_log_slope_and_its_errors():
    assert rc.gradients.log_slope(10.0 ** (-0.5 * np.arange(10))) == pytest.approx(-0.5)
    assert rc.gradients.log_slope(np.exp(0.2 * np.arange(10)), base=np.e) == pytest.approx(0.2)
    with pytest.raises(ValueError):
        rc.gradients.log_slope([1.0])
    with pytest.raises(ValueError):
        rc.gradients.log_slope([1.0, 0.0, 2.0])


def test_gradient_norms_reject_bad_direction():
    with pytest.raises(ValueError):
        rc.gradients.gradient_norms_by_lag(rc.cells.RNNCell(2, 4), torch.randn(1, 3, 2), direction=torch.zeros(4))


# ------------------------------------------------------------------ cells

def test_leaky_cell_with_tau_one_is_the_rnn_cell():
    torch.manual_seed(0)
    plain = rc.cells.RNNCell(3, 6).double()
    leaky = G.LeakyRNNCell(3, 6, tau=1.0).double()
    leaky.load_state_dict(plain.state_dict(), strict=False)
    x, h = torch.randn(4, 3, dtype=torch.float64), torch.randn(4, 6, dtype=torch.float64)
    assert torch.allclose(leaky(x, h), plain(x, h))


def test_leaky_cell_equation_and_per_unit_tau():
    torch.manual_seed(0)
    taus = [1.0, 2.0, 4.0, 10.0]
    cell = G.LeakyRNNCell(2, 4, tau=taus).double()
    x, h = torch.randn(3, 2, dtype=torch.float64), torch.randn(3, 4, dtype=torch.float64)
    a = 1 / torch.tensor(taus, dtype=torch.float64)
    pre = x @ cell.weight_x.T + h @ cell.weight_h.T + cell.bias
    assert torch.allclose(cell(x, h), (1 - a) * h + a * torch.tanh(pre))
    assert rc.count_params(cell) == 2 * 4 + 4 * 4 + 4


def test_linear_leaky_cell_is_linear():
    cell = G.LeakyRNNCell(2, 3, nonlinearity="linear").double()
    x, h = torch.randn(1, 2, dtype=torch.float64), torch.randn(1, 3, dtype=torch.float64)
    assert torch.allclose(cell(x, h), x @ cell.weight_x.T + h @ cell.weight_h.T + cell.bias)


@pytest.mark.parametrize("kwargs", [dict(tau=0.5), dict(tau=[1.0, 2.0]), dict(nonlinearity="sigmoid")])
def test_leaky_cell_rejects_bad_arguments(kwargs):
    with pytest.raises(ValueError):
        G.LeakyRNNCell(2, 3, **kwargs)


def test_skip_cell_uses_the_state_d_steps_back():
    torch.manual_seed(0)
    d = 3
    cell = G.SkipRNNCell(2, 4, delay=d).double()
    x = torch.randn(2, 9, 2, dtype=torch.float64)
    out, state, _ = rc.layers.run_cell(cell, x)
    assert out.shape == (2, 9, 4) and len(state) == d
    hs = [torch.zeros(2, 4, dtype=torch.float64)] * d  # h_{-1}, ..., h_{-d}
    for t in range(9):
        prev, far = hs[-1], hs[-d]
        h = torch.tanh(x[:, t] @ cell.weight_x.T + prev @ cell.weight_h.T + far @ cell.weight_skip.T + cell.bias)
        assert torch.allclose(out[:, t], h)
        hs.append(h)
    assert rc.count_params(cell) == 2 * 4 + 2 * 16 + 4


def test_skip_connection_slows_the_vanishing():
    torch.manual_seed(0)
    x = torch.randn(8, 60, 2)
    plain = G.LeakyRNNCell(2, 16)
    skip = G.SkipRNNCell(2, 16, delay=10)
    for c in (plain, skip):
        G.set_spectral_radius_(c.weight_h, 0.5)
    with torch.no_grad():
        skip.weight_h.copy_(plain.weight_h)
        G.set_spectral_radius_(skip.weight_skip, 0.5)
    n_plain = rc.gradients.gradient_norms_by_lag(plain, x)
    n_skip = rc.gradients.gradient_norms_by_lag(skip, x)
    assert n_skip[50] > 1e6 * n_plain[50]


def test_skip_cell_rejects_bad_delay_and_state():
    with pytest.raises(ValueError):
        G.SkipRNNCell(2, 3, delay=1)
    cell = G.SkipRNNCell(2, 3, delay=2)
    with pytest.raises(ValueError, match="tuple of 2"):
        cell(torch.zeros(1, 2), torch.zeros(1, 3))


def test_irnn_initialisation():
    rnn = G.irnn(3, 5, seed=0).layers[0]   # the fused torch.nn.RNN of the fast path
    assert torch.equal(rnn.weight_hh_l0, torch.eye(5))
    assert rnn.nonlinearity == "relu"
    assert float(rnn.bias_ih_l0.detach().abs().sum() + rnn.bias_hh_l0.detach().abs().sum()) == 0.0
    assert not rnn.bias_hh_l0.requires_grad


@pytest.mark.parametrize("core", ["fused", "cell"])
def test_last_step_classifier_and_accuracy(core):
    torch.manual_seed(0)
    c = rc.fast.FastRecurrent("rnn", 4, 8) if core == "fused" else rc.layers.Recurrent(G.LeakyRNNCell(4, 8, tau=3.0))
    model = rc.models.LastStepClassifier(c, 4)
    x, y = rc.data.first_input_recall(16, 5, seed=0)
    logits = model(x)
    assert logits.shape == (16, 4)
    acc = rc.metrics.accuracy(model, x, y)
    with torch.no_grad():
        right = int((model(x).argmax(-1) == y).sum())
    assert acc == right / 16
    assert rc.metrics.accuracy(model, x, model(x).argmax(-1)) == 1.0
    with pytest.raises(ValueError):
        rc.models.LastStepClassifier(c, 1)


def test_skip_rnn_learns_a_long_lag_quickly(one_thread):
    """The chapter's remedy on a small scale: delay 40 in 60 full-batch Adam steps."""
    import torch.nn.functional as F
    x, y = rc.data.first_input_recall(300, 40, seed=1)
    xt, yt = rc.data.first_input_recall(300, 40, seed=2)
    rc.set_seed(0)
    skip = rc.models.LastStepClassifier(rc.layers.Recurrent(G.SkipRNNCell(4, 16, delay=10)), 4)
    rc.train.fit(skip, (x, y), loss_fn=F.cross_entropy, epochs=60, lr=1e-2, clip_norm=1.0)
    assert rc.metrics.accuracy(skip, xt, yt) > 0.9


# ------------------------------------------------------------------ clipping

def test_clipping_comparison_norm_keeps_direction_value_does_not():
    p = nn.Parameter(torch.zeros(3))
    q = nn.Parameter(torch.zeros(2))
    p.grad = torch.tensor([30.0, 0.1, -4.0])
    q.grad = torch.tensor([0.5, -0.2])
    out = G.clipping_comparison([p, q], max_norm=1.0, max_value=1.0)
    raw = torch.tensor([30.0, 0.1, -4.0, 0.5, -0.2])
    assert torch.equal(out["raw"], raw)
    assert out["norm_raw"] == pytest.approx(float(raw.norm()))
    assert out["norm_after_norm_clip"] == pytest.approx(1.0)
    assert out["cos_norm"] == pytest.approx(1.0)
    assert torch.equal(out["value"], torch.tensor([1.0, 0.1, -1.0, 0.5, -0.2]))
    assert out["cos_value"] < 0.9
    assert out["frac_clamped"] == pytest.approx(2 / 5)
    # the .grad tensors are left untouched
    assert torch.equal(p.grad, torch.tensor([30.0, 0.1, -4.0]))


def test_clipping_comparison_needs_gradients():
    with pytest.raises(ValueError, match="backward"):
        G.clipping_comparison([nn.Parameter(torch.zeros(2))], 1.0, 1.0)


def test_gradient_helpers_check_their_arguments():
    import pytest
    import torch
    import rnncourse as rc
    with pytest.raises(TypeError, match="expects a cell"):
        rc.gradients.gradient_norms_by_lag("rnn", torch.randn(2, 5, 3))
    with pytest.raises(ValueError, match="base must be a positive number other than 1"):
        rc.gradients.log_slope([1.0, 0.1, 0.01], base=1)
