"""rc.train.fit, evaluate, clip_gradients; rc.metrics."""

import math

import numpy as np
import pytest
import torch

import rnncourse as rc


def _linear_problem(n=64):
    g = torch.Generator().manual_seed(0)
    x = torch.randn(n, 3, generator=g)
    y = x @ torch.tensor([[1.0], [-2.0], [0.5]]) + 0.3
    return x, y


def test_fit_learns_a_linear_map_and_records_history():
    torch.manual_seed(0)
    x, y = _linear_problem()
    model = torch.nn.Linear(3, 1)
    h = rc.train.fit(model, (x, y), epochs=300, lr=0.05, val_data=(x, y), progress=False)
    assert len(h.loss) == len(h.val_loss) == len(h.grad_norm) == 300
    assert h.loss[-1] < 1e-4 < h.loss[0]
    assert h.seconds > 0 and "300 epochs" in repr(h)
    assert rc.train.evaluate(model, torch.nn.functional.mse_loss, (x, y)) < 1e-4


def test_fit_minibatches_are_seeded():
    x, y = _linear_problem()
    runs = []
    for _ in range(2):
        torch.manual_seed(0)
        m = torch.nn.Linear(3, 1)
        runs.append(rc.train.fit(m, (x, y), epochs=3, batch_size=16, seed=5, progress=False).loss)
    assert runs[0] == runs[1]


def test_fit_clips_and_reports_norm_before_clipping():
    x, y = _linear_problem()
    torch.manual_seed(0)
    m = torch.nn.Linear(3, 1)
    opt = torch.optim.SGD(m.parameters(), lr=0.0)  # no step: the norm stays the same
    h = rc.train.fit(m, (x, y * 100), epochs=2, optimizer=opt, clip_norm=1e-3, progress=False)
    assert h.grad_norm[0] > 1.0
    total = math.sqrt(sum(float((p.grad ** 2).sum()) for p in m.parameters()))
    assert total == pytest.approx(1e-3, rel=1e-4)


def test_clip_gradients_norm_keeps_direction_value_does_not():
    p = torch.nn.Parameter(torch.zeros(2))
    p.grad = torch.tensor([3.0, 4.0])
    assert rc.train.clip_gradients([p], max_norm=1.0) == pytest.approx(5.0)
    torch.testing.assert_close(p.grad, torch.tensor([0.6, 0.8]))
    p.grad = torch.tensor([3.0, 0.5])
    rc.train.clip_gradients([p], max_value=1.0)
    torch.testing.assert_close(p.grad, torch.tensor([1.0, 0.5]))
    assert rc.train.clip_gradients([torch.nn.Parameter(torch.zeros(1))]) == 0.0
    with pytest.raises(ValueError, match="max_norm must be positive"):
        rc.train.clip_gradients([p], max_norm=0)


def test_fit_bad_input():
    m = torch.nn.Linear(3, 1)
    x, y = _linear_problem()
    with pytest.raises(ValueError, match="empty"):
        rc.train.fit(m, (x[:0], y[:0]), epochs=1)
    with pytest.raises(ValueError, match="same number of examples"):
        rc.train.fit(m, (x, y[:5]), epochs=1)
    with pytest.raises(TypeError, match="pair"):
        rc.train.fit(m, x, epochs=1)
    with pytest.raises(ValueError, match="epochs"):
        rc.train.fit(m, (x, y), epochs=0)
    with pytest.raises(ValueError, match="batch_size"):
        rc.train.fit(m, (x, y), epochs=1, batch_size=0)
    with pytest.raises(RuntimeError):  # wrong feature size is reported by the model
        rc.train.fit(m, (torch.randn(8, 5), torch.randn(8, 1)), epochs=1)


def test_fit_stops_on_divergence():
    m = torch.nn.Linear(3, 1)
    x, y = _linear_problem()
    with pytest.raises(FloatingPointError, match="smaller learning rate") as info:
        rc.train.fit(m, (x, y * 1e30), epochs=50, lr=1e10, progress=False,
                     optimizer=torch.optim.SGD(m.parameters(), lr=1e10))
    assert isinstance(info.value, rc.train.TrainingDiverged)
    # a slower blow-up: the error carries the epochs completed before the loss became infinite
    m = torch.nn.Linear(3, 1)
    with pytest.raises(rc.train.TrainingDiverged) as info:
        rc.train.fit(m, (x * 10, y), epochs=500, progress=False,
                     optimizer=torch.optim.SGD(m.parameters(), lr=1.0))
    done = info.value.history.loss
    assert 1 <= len(done) < 500 and all(math.isfinite(v) for v in done)
    assert done[-1] > done[0] and f"epoch {len(done) + 1}" in str(info.value)


def test_progress_is_quiet_in_ci(monkeypatch):
    monkeypatch.setenv("CI", "true")
    assert rc.train._show_progress(None) is False
    assert rc.train._show_progress(True) is True


def test_nmse():
    y = np.array([1.0, 2.0, 3.0, 4.0])
    assert rc.metrics.nmse(y, np.full(4, y.mean())) == pytest.approx(1.0)
    assert rc.metrics.nmse(y, y) == 0.0
    assert rc.metrics.nmse(y, y + 1, variance=2.0) == pytest.approx(0.5)
    assert rc.metrics.nmse(torch.tensor(y), torch.tensor(y + 1), variance=1.0) == pytest.approx(1.0)
    assert rc.metrics.normalised_error(y, np.full(4, y.mean())) == pytest.approx(1.0)
    with pytest.raises(ValueError, match="same shape"):
        rc.metrics.nmse(y, y[:3])
    with pytest.raises(ValueError, match="empty"):
        rc.metrics.nmse([], [])
    with pytest.raises(ValueError, match="positive"):
        rc.metrics.nmse(y, y, variance=0.0)
