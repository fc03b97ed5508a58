"""Chapter 12's package code: scans against the loop, the log-space form and its limits,
minGRU / minLSTM against step-by-step references, SSM layers (shapes, causality, the LTI
convolution), self-attention, the selective-copying task, the Hopfield network, PixelRNN."""

import math

import numpy as np
import pytest
import torch

from rnncourse.chapters import ch12


def _coeffs(batch=3, T=37, D=5, dtype=torch.float64, seed=0, positive_b=False):
    g = torch.Generator().manual_seed(seed)
    a = torch.rand(batch, T, D, generator=g, dtype=dtype) * 0.6 + 0.4      # (batch, time, D) in (0.4, 1)
    b = torch.randn(batch, T, D, generator=g, dtype=dtype)
    if positive_b:
        b = b.abs() + 0.01
    h0 = torch.randn(batch, D, generator=g, dtype=dtype)
    return a, b, h0


def _loop_by_hand(a, b, h0):
    """An independent reference: plain Python floats, one step at a time."""
    out = np.zeros(tuple(a.shape))
    A, B, H = a.numpy(), b.numpy(), h0.numpy()
    for n in range(A.shape[0]):
        for d in range(A.shape[2]):
            h = H[n, d]
            for t in range(A.shape[1]):
                h = A[n, t, d] * h + B[n, t, d]
                out[n, t, d] = h
    return out


def test_loop_matches_the_equation_step_by_step():
    a, b, h0 = _coeffs(2, 9, 3)
    got = ch12.linear_recurrence_loop(a, b, h0).numpy()
    np.testing.assert_allclose(got, _loop_by_hand(a, b, h0), rtol=0, atol=1e-14)
    zero = ch12.linear_recurrence_loop(a, b).numpy()
    np.testing.assert_allclose(zero, _loop_by_hand(a, b, torch.zeros_like(h0)), rtol=0, atol=1e-14)


@pytest.mark.parametrize("T", [1, 2, 3, 8, 37, 64, 100])
@pytest.mark.parametrize("dtype, tol", [(torch.float64, 1e-12), (torch.float32, 1e-5)])
def test_scan_equals_loop_forward_and_backward(T, dtype, tol):
    a, b, h0 = _coeffs(3, T, 5, dtype=dtype, seed=T)
    leaves = [t.clone().requires_grad_() for t in (a, b, h0)]
    leaves2 = [t.clone().requires_grad_() for t in (a, b, h0)]
    h_scan = ch12.scan(*leaves)
    h_loop = ch12.linear_recurrence_loop(*leaves2)
    assert h_scan.shape == h_loop.shape == (3, T, 5) and h_scan.dtype == dtype
    assert (h_scan - h_loop).abs().max().item() <= tol
    w = torch.randn(h_loop.shape, dtype=dtype, generator=torch.Generator().manual_seed(1))
    (h_scan * w).sum().backward()
    (h_loop * w).sum().backward()
    for l1, l2 in zip(leaves, leaves2):
        assert (l1.grad - l2.grad).abs().max().item() <= tol * max(1.0, l2.grad.abs().max().item())


def test_scan_without_h0_and_with_extra_channel_axes():
    g = torch.Generator().manual_seed(3)
    a = torch.rand(2, 20, 4, 3, generator=g, dtype=torch.float64)             # (batch, time, D, N)
    b = torch.randn(2, 20, 4, 3, generator=g, dtype=torch.float64)
    assert (ch12.scan(a, b) - ch12.linear_recurrence_loop(a, b)).abs().max() < 1e-12


def test_scan_gradients_pass_gradcheck():
    a, b, h0 = _coeffs(1, 6, 2)
    assert torch.autograd.gradcheck(ch12.scan, tuple(t.requires_grad_() for t in (a, b, h0)))


def test_combine_is_associative_and_composes_maps():
    g = torch.Generator().manual_seed(5)
    p, q, r = [(torch.randn(4, generator=g, dtype=torch.float64),
                torch.randn(4, generator=g, dtype=torch.float64)) for _ in range(3)]
    left = ch12.combine(ch12.combine(p, q), r)
    right = ch12.combine(p, ch12.combine(q, r))
    for u, v in zip(left, right):
        assert torch.allclose(u, v, rtol=0, atol=1e-12)
    h = torch.randn(4, generator=g, dtype=torch.float64)
    a, b = ch12.combine(p, q)                      # p first, then q
    assert torch.allclose(a * h + b, q[0] * (p[0] * h + p[1]) + q[1], atol=1e-12)
    a_wrong, b_wrong = ch12.combine(q, p)          # the order matters
    assert not torch.allclose(a_wrong * h + b_wrong, a * h + b)


@pytest.mark.parametrize("T, steps", [(1, 0), (2, 1), (3, 2), (4, 2), (5, 3), (1024, 10), (1025, 11)])
def test_scan_steps_is_ceil_log2(T, steps):
    assert ch12.scan_steps(T) == steps == (math.ceil(math.log2(T)) if T > 1 else 0)


def test_scan_work_counts_the_combines():
    assert ch12.scan_work(8) == 7 + 6 + 4
    assert ch12.scan_work(1) == 0
    assert ch12.scan_work(1024) == 10 * 1024 - 1023


def test_log_space_scan_matches_the_loop_for_positive_values():
    a, b, h0 = _coeffs(2, 50, 3, positive_b=True)
    h0 = h0.abs() + 0.1
    ref = ch12.linear_recurrence_loop(a, b, h0)
    got = ch12.log_space_scan(a.log(), b.log(), h0.log()).exp()
    assert (got - ref).abs().max() / ref.abs().max() < 1e-12
    got0 = ch12.log_space_scan(a.log(), b.log()).exp()
    assert (got0 - ch12.linear_recurrence_loop(a, b)).abs().max() < 1e-12


def test_log_space_scan_fails_for_negative_b_and_cumsum_form_overflows():
    a, b, _ = _coeffs(1, 40, 2)
    assert (b < 0).any()
    assert torch.isnan(ch12.log_space_scan(a.log(), b.log())).any()   # log of a negative number
    # a long sequence with a < 1: the product A_t underflows in float32, b / A overflows
    T = 3000
    a32 = torch.full((1, T, 1), 0.95)
    b32 = torch.ones(1, T, 1)
    naive = ch12.cumsum_form(a32, b32)
    assert not torch.isfinite(naive[:, -1]).all()
    assert torch.isfinite(naive[:, :100]).all()                         # short is fine
    logs = ch12.log_space_scan(a32.log(), b32.log()).exp()
    ref = ch12.linear_recurrence_loop(a32.double(), b32.double())
    assert torch.isfinite(logs).all() and (logs.double() - ref).abs().max() < 1e-3


def test_scan_rejects_bad_input():
    a, b, h0 = _coeffs(2, 5, 3)
    with pytest.raises(ValueError, match="same shape"):
        ch12.scan(a, b[:, :4])
    with pytest.raises(ValueError, match="h0 of shape"):
        ch12.scan(a, b, h0[:, :2])
    with pytest.raises(ValueError, match="empty sequence"):
        ch12.scan(a[:, :0], b[:, :0])
    with pytest.raises(TypeError, match="one dtype"):
        ch12.scan(a, b.float())
    with pytest.raises(TypeError, match="tensors"):
        ch12.linear_recurrence_loop(a.numpy(), b)
    with pytest.raises(ValueError, match="batch, time"):
        ch12.scan(a[0, 0], b[0, 0])
    with pytest.raises(ValueError, match="positive int"):
        ch12.scan_steps(0)
    with pytest.raises(ValueError, match="one device"):
        ch12.scan(a, b.to("meta"))
    with pytest.raises(TypeError, match="h0 in the dtype"):
        ch12.scan(a.float(), b.float(), h0)                    # float64 h0 would promote


def test_self_attention_is_causal_and_its_weights_are_distributions():
    torch.manual_seed(0)
    att = ch12.SelfAttention(8).double()
    x = torch.randn(2, 10, 8, dtype=torch.float64)
    w = att.weights(x)
    assert w.shape == (2, 10, 10)
    assert torch.allclose(w.sum(-1), torch.ones(2, 10, dtype=torch.float64))
    assert (w.triu(1) == 0).all()
    y = att(x)
    x2 = x.clone()
    x2[:, 6:] += torch.randn(2, 4, 8, dtype=torch.float64)
    y2 = att(x2)
    assert torch.allclose(y[:, :6], y2[:, :6], atol=1e-12)
    assert not torch.allclose(y[:, 6:], y2[:, 6:])
    full = ch12.SelfAttention(8, causal=False).double()
    upper = torch.ones(10, 10, dtype=torch.bool).triu(1)
    assert (full.weights(x)[:, upper] > 0).all()          # the full layer looks ahead
    with pytest.raises(ValueError, match="8 input features"):
        att(torch.randn(2, 10, 7, dtype=torch.float64))


def test_operation_counts():
    assert ch12.attention_macs(100, 16) == 2 * 100 * 100 * 16
    assert ch12.recurrence_macs(100, 16) == 100 * 16 * 16
    assert ch12.attention_macs(200, 16) == 4 * ch12.attention_macs(100, 16)
    assert ch12.recurrence_macs(200, 16) == 2 * ch12.recurrence_macs(100, 16)
    for T in (64, 128, 1024, 4096):                 # the ratio the chapter states, 2T / d
        assert ch12.attention_macs(T, 32) == 2 * T // 32 * ch12.recurrence_macs(T, 32)


def _min_gru_by_hand(layer, x):
    """minGRU one step at a time from the paper's equations, with the layer's weights."""
    H = layer.hidden_size
    W, bias = layer.linear.weight, layer.linear.bias
    h = torch.zeros(x.shape[0], H, dtype=x.dtype)
    out = []
    for x_t in x.unbind(1):
        z = torch.sigmoid(x_t @ W[:H].T + bias[:H])
        h_tilde = x_t @ W[H:].T + bias[H:]
        h = (1 - z) * h + z * h_tilde
        out.append(h)
    return torch.stack(out, 1)


def _min_lstm_by_hand(layer, x):
    H = layer.hidden_size
    W, bias = layer.linear.weight, layer.linear.bias
    h = torch.zeros(x.shape[0], H, dtype=x.dtype)
    out = []
    for x_t in x.unbind(1):
        f = torch.sigmoid(x_t @ W[:H].T + bias[:H])
        i = torch.sigmoid(x_t @ W[H:2 * H].T + bias[H:2 * H])
        h_tilde = x_t @ W[2 * H:].T + bias[2 * H:]
        h = f / (f + i) * h + i / (f + i) * h_tilde
        out.append(h)
    return torch.stack(out, 1)


@pytest.mark.parametrize("cls, reference, params", [
    (ch12.MinGRU, _min_gru_by_hand, 2 * (3 * 6 + 6)),
    (ch12.MinLSTM, _min_lstm_by_hand, 3 * (3 * 6 + 6)),
])
def test_min_rnns_match_step_by_step_references(cls, reference, params):
    torch.manual_seed(1)
    layer = cls(3, 6).double()
    assert sum(p.numel() for p in layer.parameters()) == params
    x = torch.randn(4, 30, 3, dtype=torch.float64)
    expected = reference(layer, x)
    assert (layer(x) - expected).abs().max() < 1e-12
    loop = cls(3, 6, mode="loop").double()
    loop.load_state_dict(layer.state_dict())
    assert (loop(x) - expected).abs().max() < 1e-12
    with pytest.raises(ValueError, match="3 input features"):
        layer(torch.randn(4, 30, 2, dtype=torch.float64))
    with pytest.raises(ValueError, match="mode"):
        cls(3, 6, mode="parallel")


@pytest.mark.parametrize("selective", [True, False])
def test_ssm_shapes_causality_and_scan_equals_loop(selective):
    torch.manual_seed(2)
    ssm = ch12.DiagonalSSM(6, 4, selective=selective).double()
    u = torch.randn(3, 25, 6, dtype=torch.float64)
    y = ssm(u)
    assert y.shape == (3, 25, 6)
    loop = ch12.DiagonalSSM(6, 4, selective=selective, mode="loop").double()
    loop.load_state_dict(ssm.state_dict())
    assert (loop(u) - y).abs().max() < 1e-12
    # causality: changing inputs after step t leaves the outputs up to t unchanged
    t = 11
    u2 = u.clone()
    u2[:, t + 1:] = torch.randn(3, 25 - t - 1, 6, dtype=torch.float64)
    y2 = ssm(u2)
    assert torch.allclose(y[:, :t + 1], y2[:, :t + 1], atol=1e-12)
    assert not torch.allclose(y[:, t + 1:], y2[:, t + 1:])
    # and the gradient of y_t has no path to later inputs
    u3 = u.clone().requires_grad_()
    ssm(u3)[:, t].sum().backward()
    assert (u3.grad[:, t + 1:] == 0).all() and (u3.grad[:, :t + 1] != 0).any()


def test_lti_ssm_is_a_causal_convolution_and_selective_has_no_kernel():
    torch.manual_seed(3)
    ssm = ch12.DiagonalSSM(4, 5, selective=False).double()
    u = torch.randn(2, 30, 4, dtype=torch.float64)
    K = ssm.kernel(30)                                                  # (D, length)
    conv = torch.stack([sum(K[:, k] * u[:, t - k] for k in range(t + 1)) for t in range(30)], 1)
    assert (conv + ssm.D * u - ssm(u)).abs().max() < 1e-12
    with pytest.raises(ValueError, match="no fixed kernel"):
        ch12.DiagonalSSM(4, 5, selective=True).kernel(10)


def test_selective_coefficients_depend_on_the_input_lti_ones_do_not():
    torch.manual_seed(4)
    u = torch.randn(2, 7, 6)
    a_s, _, _ = ch12.DiagonalSSM(6, 3, selective=True).coefficients(u)
    a_l, _, _ = ch12.DiagonalSSM(6, 3, selective=False).coefficients(u)
    assert a_s.shape == a_l.shape == (2, 7, 6, 3)
    assert not torch.allclose(a_s[:, 0], a_s[:, 1])
    assert torch.allclose(a_l[:, 0], a_l[:, 1]) and torch.allclose(a_l[0], a_l[1])
    assert ((a_s > 0) & (a_s < 1)).all() and ((a_l > 0) & (a_l < 1)).all()


@pytest.mark.parametrize("kind", ["selective", "lti", "mingru", "lstm", "gru"])
def test_token_models_are_causal_and_shaped(kind):
    torch.manual_seed(5)
    model = ch12.TokenModel(kind, 10, d_model=8, n_layers=2, state_size=4).double()
    x, _ = ch12.selective_copying(3, 16, 3, 6, seed=1)         # vocab 6 + 1 + 3
    x = x.double()
    y = model(x)
    assert y.shape == (3, 16, 10)
    x2 = x.clone()
    x2[:, 10:] = x2[:, 10:].flip(0)
    assert torch.allclose(model(x2)[:, :10], y[:, :10], atol=1e-12)
    with pytest.raises(ValueError, match="unknown kind"):
        ch12.TokenModel("transformer", 8)


def test_selective_copying_properties():
    x, y = ch12.selective_copying(200, 20, 4, 5, seed=3)
    assert x.shape == (200, 20, 10) and y.shape == (200, 4) and y.dtype == torch.int64
    tokens = x.argmax(-1)
    assert torch.equal(x.sum(-1), torch.ones(200, 20))                   # one-hot
    assert torch.equal(tokens[:, -4:], torch.tensor([6, 7, 8, 9]).expand(200, 4))  # numbered markers
    assert (tokens[:, :-4] <= 5).all()
    data = tokens[:, :-4]
    assert ((data > 0).sum(1) == 4).all()                                # four data symbols
    assert torch.equal(data[data > 0].reshape(200, 4), y)                # in their order
    assert y.min() >= 1 and y.max() <= 5
    positions = [tuple((row > 0).nonzero().flatten().tolist()) for row in data]
    assert len(set(positions)) > 150                                     # positions vary
    x2, y2 = ch12.selective_copying(200, 20, 4, 5, seed=3)
    assert torch.equal(x, x2) and torch.equal(y, y2)
    assert not torch.equal(ch12.selective_copying(200, 20, 4, 5, seed=4)[1], y)
    xf, yf = ch12.selective_copying(50, 20, 4, 5, fixed_positions=True, seed=3)
    fixed = [tuple((row > 0).nonzero().flatten().tolist()) for row in xf.argmax(-1)[:, :-4]]
    assert len(set(fixed)) == 1 and fixed[0] == (12, 13, 14, 15)
    with pytest.raises(ValueError, match="length"):
        ch12.selective_copying(10, 6, 4, 5)
    with pytest.raises(ValueError, match="positive int"):
        ch12.selective_copying(0)


def test_copy_loss_and_accuracy():
    x, y = ch12.selective_copying(10, 12, 3, 4, seed=0)
    perfect = torch.full((10, 12, 8), -20.0)
    perfect[:, -3:].scatter_(-1, y.unsqueeze(-1), 20.0)

    class Oracle(torch.nn.Module):
        def forward(self, x):
            return perfect

    assert ch12.copy_loss(perfect, y) < 1e-6
    assert ch12.copy_accuracy(Oracle(), x, y) == 1.0
    assert abs(ch12.copy_loss(torch.zeros(10, 12, 8), y).item() - math.log(8)) < 1e-6


def test_hopfield_recalls_stored_patterns_and_lowers_its_energy():
    rng = np.random.default_rng(0)
    patterns = rng.choice([-1.0, 1.0], size=(3, 100))
    net = ch12.Hopfield(100).store(patterns)
    assert np.allclose(net.W, net.W.T) and np.all(np.diag(net.W) == 0)
    for p in patterns:
        noisy = p.copy()
        flip = rng.choice(100, size=15, replace=False)
        noisy[flip] *= -1
        state, energies = net.recall(noisy, sweeps=10, seed=1)
        assert np.array_equal(state, p)
        assert all(e2 <= e1 + 1e-12 for e1, e2 in zip(energies, energies[1:]))
        assert net.energy(p) < net.energy(noisy)
    with pytest.raises(ValueError, match="each \\+1 or -1"):
        net.recall(np.zeros(100))
    with pytest.raises(ValueError, match="100 values"):
        net.store(patterns[:, :50])


def test_bar_images_and_pixel_rnn():
    imgs = ch12.bar_images(20, 6, seed=1)
    assert imgs.shape == (20, 6, 6) and set(imgs.unique().tolist()) <= {0.0, 1.0}
    for im in imgs:
        rows, cols = (im.sum(1) == 6).sum(), (im.sum(0) == 6).sum()
        assert (rows > 0) != (cols > 0) or im.sum() == 36 or rows * cols == 0
        assert im.sum() > 0
    torch.manual_seed(0)
    model = ch12.PixelRNN(6, hidden=8)
    x = model.inputs(imgs)
    assert x.shape == (20, 36, 7)
    assert torch.equal(x[:, 1:, 0], imgs.reshape(20, -1)[:, :-1]) and (x[:, 0, 0] == 0.5).all()
    # causality: the logit for pixel i does not depend on pixels i, i+1, ...
    logits, _ = model(x)
    x2 = model.inputs(torch.where(torch.arange(36).reshape(6, 6) >= 20, 1 - imgs, imgs))
    assert torch.allclose(model(x2)[0][:, :21], logits[:, :21], atol=1e-6)
    assert model.nll(imgs).item() > 0
    done = model.complete(imgs[:3], known_rows=2)
    assert done.shape == (3, 6, 6) and torch.equal(done[:, :2], imgs[:3, :2])
    assert set(done.unique().tolist()) <= {0.0, 1.0}
    with pytest.raises(ValueError, match="images of shape"):
        model.inputs(torch.zeros(3, 5, 5))


def test_copy_loss_refuses_targets_longer_than_the_sequence():
    with pytest.raises(ValueError, match=r"n_tokens <= time"):
        ch12.copy_loss(torch.randn(2, 3, 5), torch.zeros(2, 4, dtype=torch.long))


def test_ssm_step_size_range_is_an_argument_and_checked():
    torch.manual_seed(0)
    for kind in ("selective", "lti"):
        model = ch12.TokenModel(kind, 8, d_model=16, n_layers=1, state_size=4, expand=1,
                                dt_range=(0.1, 1.0))
        mixer = model.blocks[0].mixer
        bias = mixer.delta.bias if kind == "selective" else mixer.delta_bias
        dt = torch.nn.functional.softplus(bias)
        assert 0.1 - 1e-6 <= dt.min() and dt.max() <= 1.0 + 1e-6
    with pytest.raises(ValueError, match="dt_min <= dt_max"):
        ch12.DiagonalSSM(4, 2, dt_min=1.0, dt_max=0.1)
    with pytest.raises(ValueError, match="dt_min"):
        ch12.DiagonalSSM(4, 2, dt_min=0.0)


def test_seconds_can_return_every_repeat():
    times = ch12.seconds(lambda x: x * 2, torch.ones(3), repeats=4, every=True)
    assert len(times) == 4 and times == sorted(times)


# ----------------------------------------------------------------------------- dilated causal convolutions

def test_receptive_field_and_dilations():
    assert ch12.receptive_field(2, (1, 2, 4, 8, 16)) == 32
    assert ch12.receptive_field(3, (1, 2, 4)) == 15
    assert ch12.receptive_field(1, (1, 2)) == 1                      # a 1-tap kernel sees only t
    assert ch12.tcn_dilations(32, 2) == (1, 2, 4, 8, 16)
    assert ch12.tcn_dilations(33, 2) == (1, 2, 4, 8, 16, 32)
    assert ch12.tcn_dilations(1, 2) == (1,)
    assert ch12.tcn_dilations(15, 3) == (1, 2, 4)
    for length in range(1, 70):                                      # the fewest layers that cover it
        d = ch12.tcn_dilations(length, 2)
        assert ch12.receptive_field(2, d) >= length
        assert len(d) == 1 or ch12.receptive_field(2, d[:-1]) < length
    with pytest.raises(ValueError, match="expected at least one dilation"):
        ch12.receptive_field(2, ())
    with pytest.raises(ValueError, match="kernel_size"):
        ch12.tcn_dilations(32, 1)


def _dependence(model, x, t):
    """Which input steps the output at step t depends on: the gradient of its sum w.r.t. x."""
    x = x.clone().requires_grad_(True)
    model(x)[:, t].sum().backward()
    return x.grad.abs().sum((0, 2)) > 0                              # (time,)


def test_causal_conv_is_causal_and_matches_the_formula():
    torch.manual_seed(0)
    conv = ch12.CausalConv1d(3, 4, kernel_size=3, dilation=2).double()
    x = torch.randn(2, 11, 3, dtype=torch.float64)
    y = conv(x)
    assert y.shape == (2, 11, 4)
    W, b = conv.conv.weight, conv.conv.bias                          # (out, in, kernel)
    for t in range(11):                                              # y_t = b + sum_k W_k x_{t - k d}
        ref = b.clone()
        for k in range(3):
            lag = (2 - k) * 2                                        # Conv1d's last tap is the newest
            if t - lag >= 0:
                ref = ref + x[:, t - lag] @ W[:, :, k].T
        torch.testing.assert_close(y[:, t], ref)
    with pytest.raises(ValueError, match="expects 3 input features"):
        conv(torch.randn(2, 5, 4, dtype=torch.float64))


def test_tcn_is_causal_with_the_stated_receptive_field():
    torch.manual_seed(0)
    model = ch12.TCN(8, width=6, length=32).double()
    assert model.dilations == (1, 2, 4, 8, 16) and model.receptive_field == 32
    x = torch.randn(3, 40, 8, dtype=torch.float64)
    y = model(x)
    assert y.shape == (3, 40, 8)
    # perturb a future input: the outputs before it do not change, the one at it does
    for s in (0, 7, 31, 39):
        x2 = x.clone()
        x2[:, s] += torch.randn(3, 8, dtype=torch.float64)
        y2 = model(x2)
        torch.testing.assert_close(y2[:, :s], y[:, :s], rtol=0, atol=0)
        assert (y2[:, s] - y[:, s]).abs().max() > 1e-6
    # the output at t sees exactly the inputs t - 31 .. t (the receptive field, measured)
    for t in (0, 5, 31, 39):
        seen = _dependence(model, x, t)
        assert seen.nonzero().flatten().tolist() == list(range(max(0, t - 31), t + 1)), (t, seen)


def test_tcn_rejects_bad_input_and_trains_in_the_copier_recipe():
    model = ch12.TCN(8, width=4, length=16)
    with pytest.raises(ValueError, match="expects 8 input features"):
        model(torch.randn(2, 16, 5))
    with pytest.raises(ValueError, match="expects x of shape"):
        model(torch.randn(2, 16))
    with pytest.raises(ValueError, match="vocab"):
        ch12.TCN(1)
    data = ch12.selective_copying(64, length=16, n_tokens=2, n_symbols=3, seed=0)
    model, history, accuracy = ch12.train_copier("tcn", 0, data, data, epochs=1)
    assert isinstance(model, ch12.TCN) and model.receptive_field >= 16
    assert history.updates == 2 and 0.0 <= accuracy <= 1.0


# ----------------------------------------------------------------------------- masked convolutions

def test_pixelcnn_masks():
    a, b = ch12.pixelcnn_mask(3, "A"), ch12.pixelcnn_mask(3, "B")
    torch.testing.assert_close(a, torch.tensor([[1., 1, 1], [1, 0, 0], [0, 0, 0]]))
    torch.testing.assert_close(b, torch.tensor([[1., 1, 1], [1, 1, 0], [0, 0, 0]]))
    # colours: at the centre, R sees nothing (A) / R (B), G sees R (A) / R, G (B), B sees R, G / all
    centre_a = ch12.pixelcnn_mask(3, "A", colours=3)[:, :, 1, 1]
    torch.testing.assert_close(centre_a, torch.tril(torch.ones(3, 3), -1))
    centre_b = ch12.pixelcnn_mask(3, "B", colours=3, in_channels=6, out_channels=3)[:, :, 1, 1]
    torch.testing.assert_close(centre_b, torch.tril(torch.ones(3, 3)).repeat_interleave(2, 1))
    for bad, match in (((4, "A"), "odd kernel_size"), ((3, "C"), "expected 'A' or 'B'")):
        with pytest.raises(ValueError, match=match):
            ch12.pixelcnn_mask(*bad)
    with pytest.raises(ValueError, match="divisible by colours"):
        ch12.pixelcnn_mask(3, "A", colours=3, in_channels=4, out_channels=3)


def test_masked_convolutions_are_causal_in_raster_order():
    torch.manual_seed(0)
    for colours in (1, 3):
        c = colours
        net = torch.nn.Sequential(ch12.MaskedConv2d(c, 6, 3, "A", colours), torch.nn.ReLU(),
                                  ch12.MaskedConv2d(6, 6, 3, "B", colours), torch.nn.ReLU(),
                                  ch12.MaskedConv2d(6, c, 3, "B", colours)).double()
        x = torch.randn(2, c, 6, 7, dtype=torch.float64)
        y = net(x)
        assert y.shape == x.shape
        for i, j in ((0, 0), (2, 3), (5, 6), (3, 0)):
            k = i * 7 + j                                           # raster index of the pixel
            for colour in range(c):
                x2 = x.clone()
                x2[:, colour, i, j] += 1.0 + torch.rand(2, dtype=torch.float64)
                change = (net(x2) - y).abs().amax(0)                # (c, 6, 7)
                flat = change.reshape(c, -1)                        # (c, 42): raster order
                assert flat[:, :k].sum() == 0                       # the earlier pixels: unchanged
                # at the pixel itself only the later colours change (none when colours == 1)
                assert flat[:colour + 1, k].sum() == 0
                if k < 41:                                          # some later pixel does change
                    assert flat[:, k + 1:].max() > 0
    with pytest.raises(ValueError, match=r"expects x of shape \(batch, 3"):
        ch12.MaskedConv2d(3, 3, 3, "A", 3)(torch.randn(1, 2, 4, 4))
