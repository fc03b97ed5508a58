"""Chapter 5's echo state network (rnncourse.chapters.ch05): the reservoir is fixed, the readout
is a ridge regression, the ESN predicts Mackey-Glass well."""

import pytest
import torch

import rnncourse as rc
from rnncourse.chapters.ch05 import EchoStateNetwork, mackey_glass, ridge_regression


# the reservoir loop multiplies small matrices: one thread is faster than two
pytestmark = pytest.mark.usefixtures("one_thread")


def test_reservoir_has_the_requested_spectral_radius_and_is_seeded():
    esn = EchoStateNetwork(2, 50, spectral_radius=0.9, density=0.2, seed=3)
    assert rc.chapters.ch05.spectral_radius(esn.W) == pytest.approx(0.9)
    assert esn.W_in.shape == (50, 3)
    assert torch.equal(esn.W, EchoStateNetwork(2, 50, spectral_radius=0.9, density=0.2, seed=3).W)
    assert esn.n_trained == 1 * (1 + 2 + 50)


def test_step_equation():
    esn = EchoStateNetwork(1, 10, leak_rate=0.3, seed=0)
    u, x = torch.randn(2, 1, dtype=torch.float64), torch.randn(2, 10, dtype=torch.float64)
    pre = torch.cat([torch.ones(2, 1, dtype=torch.float64), u], 1) @ esn.W_in.T + x @ esn.W.T
    assert torch.allclose(esn.step(u, x), 0.7 * x + 0.3 * torch.tanh(pre))


def test_ridge_regression_matches_the_normal_equations():
    g = torch.Generator().manual_seed(0)
    X = torch.randn(100, 5, generator=g, dtype=torch.float64)
    W_true = torch.randn(2, 5, generator=g, dtype=torch.float64)
    Y = X @ W_true.T
    assert torch.allclose(ridge_regression(X, Y, 0.0), W_true)
    W = ridge_regression(X, Y, 3.0)
    grad = (X @ W.T - Y).T @ X + 3.0 * W  # the gradient of the penalised loss / 2 vanishes
    assert float(grad.abs().max()) < 1e-9
    with pytest.raises(ValueError):
        ridge_regression(X, Y[:10], 0.0)


def test_echo_state_property_forgets_the_initial_state():
    esn = EchoStateNetwork(1, 100, spectral_radius=0.9, seed=0)
    u = torch.rand(1, 300, 1, dtype=torch.float64) - 0.5
    a, _ = esn.run(u)
    b, _ = esn.run(u, state=torch.rand(1, 100, dtype=torch.float64))
    assert float((a[0, -1] - b[0, -1]).abs().max()) < 1e-8


def test_fit_learns_a_delayed_copy():
    """The short-term memory task: the input 1 and 3 steps ago, read out from the reservoir."""
    u = torch.rand(1, 1200, 1, generator=torch.Generator().manual_seed(0), dtype=torch.float64) - 0.5
    y = torch.zeros(1, 1200, 2, dtype=torch.float64)
    y[:, 1:, 0], y[:, 3:, 1] = u[:, :-1, 0], u[:, :-3, 0]                # (1, time, delays)
    esn = EchoStateNetwork(1, 100, output_size=2, spectral_radius=0.9, input_scaling=0.5, seed=0)
    esn.fit(u[:, :1000], y[:, :1000], washout=50)
    pred, _ = esn.predict(u)
    assert pred.shape == (1, 1200, 2)
    assert rc.metrics.nmse(y[0, 1000:], pred[0, 1000:]) < 0.01


def test_mackey_glass_one_step_and_free_running():
    s = mackey_glass(1700) - 1.0
    u, y = s[:, :-1], s[:, 1:]
    esn = EchoStateNetwork(1, 200, spectral_radius=0.95, seed=0).fit(u[:, :1400], y[:, :1400], washout=100)
    pred, last = esn.predict(u[:, :1400])
    test, _ = esn.predict(u[:, 1400:], last)
    assert rc.metrics.nmse(y[:, 1400:], test) < 1e-6
    free = esn.generate(50, last, pred[:, -1])
    assert free.shape == (1, 50, 1)
    assert rc.metrics.nmse(y[:, 1400:1450], free) < 1e-3


def test_errors():
    esn = EchoStateNetwork(1, 20)
    with pytest.raises(RuntimeError, match="fit"):
        esn.predict(torch.zeros(1, 5, 1))
    with pytest.raises(ValueError, match="features"):
        esn.run(torch.zeros(1, 5, 2))
    with pytest.raises(ValueError):
        esn.fit(torch.zeros(1, 5, 1), torch.zeros(1, 4, 1))
    with pytest.raises(ValueError):
        EchoStateNetwork(1, 20, leak_rate=0.0)
    with pytest.raises(ValueError):
        EchoStateNetwork(1, 20, output_size=2).generate(3, torch.zeros(1, 20), torch.zeros(1, 2))


@pytest.mark.parametrize("leak", [1.0, 0.3])
def test_reservoir_states_follow_the_equation(leak):
    """x_t = (1 - a) x_{t-1} + a tanh(W_in [1; u_t] + W x_{t-1}), step by step."""
    esn = EchoStateNetwork(2, 20, leak_rate=leak, seed=1)
    u = torch.randn(3, 7, 2, dtype=torch.float64, generator=torch.Generator().manual_seed(2))
    states, last = esn.run(u)
    x = torch.zeros(3, 20, dtype=torch.float64)
    for t in range(7):
        pre = torch.cat([torch.ones(3, 1, dtype=torch.float64), u[:, t]], 1) @ esn.W_in.T + x @ esn.W.T
        x = (1 - leak) * x + leak * torch.tanh(pre)
        torch.testing.assert_close(states[:, t], x, rtol=1e-12, atol=1e-12)
    torch.testing.assert_close(last, x, rtol=1e-12, atol=1e-12)


def test_chapter_recall_models_and_errors():
    from rnncourse.chapters import ch05
    for name in ch05.RECALL_MODELS:
        layer = ch05.recall_core(name, hidden=6)
        out = layer(torch.randn(2, 12, 4))
        out = out[0] if isinstance(out, tuple) else out
        assert out.shape[:2] == (2, 12)
    with pytest.raises(ValueError, match="expected one of"):
        ch05.recall_core("GRU", hidden=6)
    acc, loss = ch05.recall_run(ch05.RECALL_MODELS[0], delay=3, epochs=1, hidden=4, n_train=8,
                                n_test=8)
    assert 0 <= acc <= 1 and loss > 0


def test_exploding_run_reports_divergence_as_none():
    from rnncourse.chapters import ch05
    losses, acc = ch05.exploding_run(seed=0, epochs=3, n_train=16, hidden=8, delay=5, lr=10.0)
    assert acc is None or 0 <= acc <= 1
    losses, acc = ch05.exploding_run(seed=0, epochs=1, n_train=16, hidden=8, delay=5,
                                     clip_norm=1.0)
    assert acc is not None and len(losses) == 1


def test_ar_baseline_matches_the_memoryless_readout_and_improves_with_lags():
    ch05 = rc.chapters.ch05
    assert ch05.ar_one_step(1) == pytest.approx(ch05.linear_one_step())
    errors = [ch05.ar_one_step(k) for k in (1, 2, 5, 10)]
    assert all(a > b for a, b in zip(errors, errors[1:])), errors   # more past values help
    with pytest.raises(ValueError, match="order"):
        ch05.ar_one_step(0)
    with pytest.raises(ValueError, match="washout"):
        ch05.ar_one_step(300, washout=200)
