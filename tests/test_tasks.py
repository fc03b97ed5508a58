"""Seeded task generators with the course's shapes: rc.data.first_input_recall and chapter 5's
Mackey-Glass series (rnncourse.chapters.ch05.mackey_glass)."""

import numpy as np
import pytest
import torch

import rnncourse as rc
from rnncourse.chapters import ch05


def test_first_input_recall_shapes_and_cue():
    x, y = rc.data.first_input_recall(50, 7, n_classes=3, noise=0.5, seed=1)
    assert x.shape == (50, 8, 3) and y.shape == (50,)
    assert x.dtype == torch.float32 and y.dtype == torch.int64
    assert torch.equal(x[:, 0].argmax(-1), y)
    assert torch.equal(x[:, 0].sum(-1), torch.ones(50))
    assert set(y.tolist()) <= {0, 1, 2}
    assert 0.4 < float(x[:, 1:].std()) < 0.6


def test_first_input_recall_is_seeded():
    a = rc.data.first_input_recall(10, 3, seed=4)
    b = rc.data.first_input_recall(10, 3, seed=4)
    c = rc.data.first_input_recall(10, 3, seed=5)
    assert torch.equal(a[0], b[0]) and torch.equal(a[1], b[1])
    assert not torch.equal(a[0], c[0])


def test_first_input_recall_without_noise_has_only_the_cue():
    x, _ = rc.data.first_input_recall(5, 4, noise=0.0)
    assert float(x[:, 1:].abs().sum()) == 0.0


@pytest.mark.parametrize("kwargs", [dict(n=0, delay=3), dict(n=5, delay=-1), dict(n=5, delay=3, n_classes=1),
                                    dict(n=5, delay=3, noise=-1.0), dict(n=2.5, delay=3)])
def test_first_input_recall_rejects_bad_arguments(kwargs):
    with pytest.raises(ValueError):
        rc.data.first_input_recall(**kwargs)


def test_mackey_glass_is_the_chaotic_attractor():
    s = ch05.mackey_glass(1500, seed=0)
    assert s.shape == (1, 1500, 1) and s.dtype == torch.float64
    v = s.flatten().numpy()
    assert 0.3 < v.min() < 0.6 and 1.2 < v.max() < 1.4  # the tau = 17 attractor's range
    assert 0.2 < v.std() < 0.25
    # a chaotic series: not periodic, and two nearby starts separate
    other = ch05.mackey_glass(1500, seed=1).flatten().numpy()
    assert np.abs(v[-200:] - other[-200:]).max() > 0.1
    assert torch.equal(s, ch05.mackey_glass(1500, seed=0))


def test_mackey_glass_satisfies_its_equation():
    dt = 0.1
    x = ch05.mackey_glass(2000, dt=dt, sample_every=dt, washout=100).flatten().numpy()
    lag = 170  # tau / dt
    t = np.arange(lag + 1, len(x) - 1)
    dxdt = (x[t + 1] - x[t - 1]) / (2 * dt)  # central difference
    rhs = 0.2 * x[t - lag] / (1 + x[t - lag] ** 10) - 0.1 * x[t]
    assert np.abs(dxdt - rhs).max() < 1e-3


def test_mackey_glass_rejects_bad_arguments():
    with pytest.raises(ValueError):
        ch05.mackey_glass(0)
    with pytest.raises(ValueError):
        ch05.mackey_glass(10, sample_every=0.25, dt=0.1)
    with pytest.raises(ValueError):
        ch05.mackey_glass(10, tau=-1.0)
