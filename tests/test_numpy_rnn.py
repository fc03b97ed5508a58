"""The NumPy RNN of chapter 4: BPTT against autograd and finite differences, RTRL == BPTT."""

import numpy as np
import pytest
import torch

from rnncourse.chapters import ch04 as nr  # the NumPy RNN of chapter 4


def _data(B, T, I, H, O, loss, seed=0):
    rng = np.random.default_rng(seed)
    params = nr.Params.init(I, H, O, seed=seed + 1, scale=0.8)
    x = rng.normal(size=(B, T, I))
    y = rng.normal(size=(B, T, O)) if loss == "mse" else rng.integers(0, O, size=(B, T))
    h0 = np.tanh(rng.normal(size=(B, H)))
    return params, x, y, h0


@pytest.mark.parametrize("loss", ["mse", "cross_entropy"])
@pytest.mark.parametrize("seed", range(4))
def test_bptt_matches_autograd_on_random_sizes(loss, seed):
    rng = np.random.default_rng(100 + seed)
    B, T, I, H = (int(v) for v in rng.integers(1, 6, size=4))
    O = int(rng.integers(2, 5))
    params, x, y, h0 = _data(B, T, I, H, O, loss, seed)
    L, grads = nr.loss_and_gradients(params, x, y, loss, h0=h0)
    L_ref, grads_ref = nr.autograd_gradients(params, x, y, loss, h0=h0)
    assert L == pytest.approx(L_ref, rel=1e-12)
    for name, g in grads.items():
        assert nr.relative_error(g, getattr(grads_ref, name)) < 1e-12, name


def test_autograd_reference_is_torch_rnn_cell():
    """The reference uses rc.cells.RNNCell; check it against torch.nn.RNN on the same weights."""
    params, x, y, _ = _data(2, 6, 3, 4, 2, "mse")
    rnn = torch.nn.RNN(3, 4, batch_first=True).double()
    with torch.no_grad():
        rnn.weight_ih_l0.copy_(torch.from_numpy(params.W_xh))
        rnn.weight_hh_l0.copy_(torch.from_numpy(params.W_hh))
        rnn.bias_ih_l0.copy_(torch.from_numpy(params.b_h))
        rnn.bias_hh_l0.zero_()
    h, _ = rnn(torch.from_numpy(x))
    o = h.detach().numpy() @ params.W_hy.T + params.b_y
    np.testing.assert_allclose(nr.forward(params, x)[0], o, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("loss", ["mse", "cross_entropy"])
def test_bptt_matches_finite_differences(loss):
    params, x, y, h0 = _data(2, 5, 3, 4, 3, loss)
    errors = nr.gradient_check(params, x, y, loss, h0=h0)
    assert set(errors) == {"W_xh", "W_hh", "b_h", "W_hy", "b_y", "all"}
    assert max(errors.values()) < 1e-7, errors


def test_numerical_gradient_restores_params_and_is_exact_on_a_quadratic():
    params = nr.Params.init(2, 3, 1, seed=3)
    before = params.vector().copy()
    f = lambda p: 0.5 * float(np.sum(p.vector() ** 2))  # noqa: E731
    g = nr.numerical_gradient(f, params, eps=1e-3)
    np.testing.assert_array_equal(params.vector(), before)
    np.testing.assert_allclose(g.vector(), before, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("loss", ["mse", "cross_entropy"])
def test_rtrl_equals_bptt(loss):
    params, x, y, h0 = _data(3, 7, 2, 5, 3, loss, seed=5)
    L, grads = nr.loss_and_gradients(params, x, y, loss, h0=h0)
    L_r, grads_r, nbytes = nr.rtrl_gradients(params, x, y, loss, h0=h0, return_memory=True)
    assert L_r == pytest.approx(L, rel=1e-12)
    assert nr.relative_error(grads, grads_r) < 1e-12
    H, I = 5, 2
    assert nbytes >= 3 * H * (H * I + H * H + H) * 8  # the sensitivities: batch x H x P


def test_rtrl_memory_does_not_grow_with_length():
    params, x, y, _ = _data(1, 40, 2, 4, 1, "mse")
    _, _, short = nr.rtrl_gradients(params, x[:, :5], y[:, :5], return_memory=True)
    _, _, long = nr.rtrl_gradients(params, x, y, return_memory=True)
    assert short == long
    _, c_short = nr.forward(params, x[:, :5])
    _, c_long = nr.forward(params, x)
    assert c_long.nbytes > 5 * c_short.nbytes  # BPTT's cache grows with T


def test_losses_and_their_gradients():
    o = np.array([[[1.0, 2.0, 0.5]]])
    L, d = nr.cross_entropy(o, np.array([[1]]))
    p = np.exp(o) / np.exp(o).sum()
    assert L == pytest.approx(-np.log(p[0, 0, 1]))
    np.testing.assert_allclose(d, p - np.array([[[0, 1, 0]]]))
    L, d = nr.mse(o, np.zeros_like(o))
    assert L == pytest.approx(np.mean(o ** 2))
    np.testing.assert_allclose(d, 2 * o / 3)


def test_relative_error():
    assert nr.relative_error(np.ones(3), np.ones(3)) == 0
    assert nr.relative_error(np.ones(3), -np.ones(3)) == pytest.approx(1.0)
    assert nr.relative_error(np.zeros(2), np.zeros(2)) == 0
    with pytest.raises(ValueError, match="equal shapes"):
        nr.relative_error(np.ones(2), np.ones(3))


def test_contribution_norms_are_the_norms_of_dL_t_da_k():
    """C[t, k] = sum over the batch of ||dL_t / da_k||, checked entry by entry with autograd."""
    import torch

    B, T, I, H, O = 2, 6, 2, 3, 1
    params, x, y, _ = _data(B, T, I, H, O, "mse")
    C = nr.contribution_norms(params, x, y)
    assert C.shape == (T, T) and np.all(np.triu(C, 1) == 0)
    W_xh, W_hh, b_h, W_hy, b_y = (torch.from_numpy(np.asarray(getattr(params, n)))
                                  for n in ("W_xh", "W_hh", "b_h", "W_hy", "b_y"))
    xt, yt = torch.from_numpy(x), torch.from_numpy(y)
    h = torch.zeros(B, H, dtype=torch.float64)
    zs = [torch.zeros(B, H, dtype=torch.float64, requires_grad=True) for _ in range(T)]
    outs = []
    for k, x_k in enumerate(xt.unbind(1)):
        h = torch.tanh(x_k @ W_xh.T + h @ W_hh.T + b_h + zs[k])   # zs[k]: a probe on a_k
        outs.append(h @ W_hy.T + b_y)
    for t in range(T):
        L_t = ((outs[t] - yt[:, t]) ** 2).sum() / (B * T * O)
        grads = torch.autograd.grad(L_t, zs[: t + 1], retain_graph=True)
        for k, g in enumerate(grads):
            assert C[t, k] == pytest.approx(float(g.norm(dim=1).sum()), rel=1e-10), (t, k)


def test_bad_inputs_raise_clear_errors():
    params, x, y, _ = _data(2, 4, 3, 4, 2, "mse")
    with pytest.raises(ValueError, match="shape"):
        nr.forward(params, x[0])                       # missing batch axis
    with pytest.raises(ValueError, match="empty"):
        nr.forward(params, x[:, :0])
    with pytest.raises(ValueError, match="empty"):
        nr.forward(params, x[:0])
    with pytest.raises(ValueError, match="3 input features"):
        nr.forward(params, x[:, :, :2])
    with pytest.raises(ValueError, match="h0"):
        nr.forward(params, x, h0=np.zeros((2, 5)))
    with pytest.raises(ValueError, match="unknown loss"):
        nr.loss_and_gradients(params, x, y, loss="hinge")
    with pytest.raises(ValueError, match="unknown loss"):
        nr.rtrl_gradients(params, x, y, loss="hinge")
    with pytest.raises(ValueError, match="unknown loss"):
        nr.autograd_gradients(params, x, y, loss="l1")
    with pytest.raises(ValueError, match="targets"):
        nr.loss_and_gradients(params, x, y[:, :3])
    with pytest.raises(ValueError, match=r"\[0, 2\)"):
        nr.loss_and_gradients(params, x, np.full((2, 4), 2), loss="cross_entropy")
    with pytest.raises(ValueError, match="integer"):
        nr.loss_and_gradients(params, x, np.full((2, 4), 0.5), loss="cross_entropy")
    with pytest.raises(ValueError, match="W_hh must have shape"):
        nr.Params(params.W_xh, np.zeros((3, 3)), params.b_h, params.W_hy, params.b_y)
    with pytest.raises(ValueError, match="hidden_size"):
        nr.Params.init(1, 0, 1)
    with pytest.raises(ValueError, match="eps"):
        nr.numerical_gradient(lambda p: 0.0, params, eps=0)
    _, cache = nr.forward(params, x)
    with pytest.raises(ValueError, match="d_out"):
        nr.backward(params, cache, np.zeros((2, 4, 3)))


def test_operation_counts_grow_like_h2_and_h4():
    c1, c2 = nr.operation_counts(2, 200, 1), nr.operation_counts(2, 400, 1)
    assert 3.9 < c2["bptt"] / c1["bptt"] < 4.1
    assert 15.5 < c2["rtrl"] / c1["rtrl"] < 16.5
    c = nr.operation_counts(1, 1, 1)
    assert c == {"bptt": 3 + 5, "rtrl": 3 + 3 + 6 + 2}


def test_operation_counts_refuses_a_size_of_zero():
    import pytest
    from rnncourse.chapters import ch04 as numpy_rnn
    with pytest.raises(ValueError, match="input_size must be a positive int, got 0"):
        numpy_rnn.operation_counts(0, 4, 1)
