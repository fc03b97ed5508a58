"""rnncourse.signals: windows (FIR) and recursions (IIR) of chapter 1."""

import math

import numpy as np
import pytest
import torch

from rnncourse.chapters import ch01 as S
from rnncourse.cells import RNNCell


def test_fir_filter_matches_numpy_convolution():
    rng = np.random.default_rng(0)
    x, w = rng.standard_normal(40), rng.standard_normal(7)
    assert np.allclose(S.fir_filter(x, w), np.convolve(x, w)[:40])


def test_fir_filter_on_a_batch_filters_each_row():
    rng = np.random.default_rng(1)
    x, w = rng.standard_normal((3, 20)), rng.standard_normal(4)
    y = S.fir_filter(x, w)
    assert y.shape == (3, 20)
    for i in range(3):
        assert np.allclose(y[i], np.convolve(x[i], w)[:20])


def test_window_longer_than_signal():
    x = np.array([1.0, 2.0, 3.0])
    assert np.allclose(S.window_sum(x, 10), [1.0, 3.0, 6.0])
    assert np.allclose(S.moving_average(x, 10), [0.1, 0.3, 0.6])


def test_moving_average_by_hand():
    x = np.array([3.0, 0.0, 3.0, 6.0])
    assert np.allclose(S.moving_average(x, 3), [1.0, 1.0, 2.0, 3.0])
    assert np.allclose(S.window_sum(x, 2), [3.0, 3.0, 3.0, 9.0])


def test_recursive_filter_by_hand_and_initial_state():
    x = np.array([1.0, 0.0, 2.0])
    assert np.allclose(S.recursive_filter(x, 0.5, 2.0), [2.0, 1.0, 4.5])
    assert np.allclose(S.recursive_filter(x, 0.5, 2.0, h0=4.0), [4.0, 2.0, 5.0])


def test_recursive_filter_is_a_one_unit_linear_rnn():
    """h_t = a h_{t-1} + b x_t is the pre-activation of a one-unit RNN cell with zero bias."""
    cell = RNNCell(1, 1).double()
    with torch.no_grad():
        cell.weight_x.fill_(0.3)   # W_xh = b
        cell.weight_h.fill_(0.8)   # W_hh = a
        cell.bias.zero_()
    x = torch.randn(2, 15, 1, dtype=torch.float64, generator=torch.Generator().manual_seed(0))
    h = torch.zeros(2, 1, dtype=torch.float64)
    pre = []
    with torch.no_grad():
        for t in range(15):
            a = cell.project_input(x[:, t]) + h @ cell.weight_h.T  # (batch, 1): the cell's linear part
            pre.append(a)
            h = a                                  # identity activation: a linear RNN
    pre = torch.cat(pre, dim=1).numpy()        # (batch, time)
    assert np.allclose(pre, S.recursive_filter(x[..., 0].numpy(), 0.8, 0.3))


def test_impulse_responses():
    h = S.impulse_response(lambda x: S.recursive_filter(x, 0.9, 2.0), 50)
    assert np.allclose(h, 2.0 * 0.9 ** np.arange(50))
    assert np.all(h > 0), "a recursion never forgets exactly"
    w = S.impulse_response(lambda x: S.moving_average(x, 10), 50)
    assert np.allclose(w[:10], 0.1) and np.all(w[10:] == 0), "a window forgets exactly after L steps"


def test_memory_length():
    assert S.memory_length(0.9) == 44 == math.ceil(math.log(0.01) / math.log(0.9))
    assert 0.9 ** 44 < 0.01 <= 0.9 ** 43
    assert S.memory_length(-0.9) == 44
    assert S.memory_length(0.5, tol=0.25) == 3        # 0.5**2 == 0.25 is not below tol
    assert S.memory_length(0.0) == 1
    assert S.memory_length(1.0) == math.inf
    for a in np.linspace(0.05, 0.995, 40):
        k = S.memory_length(a)
        assert a ** k < 0.01 <= a ** (k - 1)


def test_sign_task_layout():
    x, sign, age = S.sign_task([0, 3, 9], n_per_age=5, length=10, seed=0)
    assert x.shape == (15, 10) and sign.shape == age.shape == (15,)
    assert set(np.unique(sign)) <= {-1.0, 1.0}
    for i in range(15):
        assert x[i, 9 - age[i]] == sign[i] and np.count_nonzero(x[i]) == 1
    x2, _, _ = S.sign_task([0, 3, 9], n_per_age=5, length=10, seed=0)
    assert np.array_equal(x, x2), "the same seed gives the same data"


def test_error_by_age_counts_zero_as_a_coin_flip():
    ages, err = S.error_by_age([1.0, -2.0, 0.0, 3.0], [1, 1, -1, -1], [0, 0, 5, 5])
    assert list(ages) == [0, 5] and np.allclose(err, [0.5, 0.75])


def test_window_forgets_recursion_remembers():
    """The chapter's claim on the noiseless sign task."""
    x, sign, age = S.sign_task(np.arange(0, 60, 3), n_per_age=20, length=60, seed=2)
    ages, e_win = S.error_by_age(S.window_sum(x, 10)[:, -1], sign, age)
    _, e_rec = S.error_by_age(S.recursive_filter(x, 0.9)[:, -1], sign, age)
    assert np.all(e_win[ages < 10] == 0) and np.all(e_win[ages >= 10] == 0.5)
    assert np.all(e_rec == 0)


def test_noisy_sine():
    s = S.noisy_sine(200, period=20, noise=0.0)
    assert np.allclose(s[:20], s[20:40])
    assert not np.array_equal(S.noisy_sine(50, seed=0), S.noisy_sine(50, seed=1))


@pytest.mark.parametrize("call, match", [
    (lambda: S.fir_filter(np.zeros((2, 3, 4)), [1.0]), "shape"),
    (lambda: S.fir_filter([], [1.0]), "empty"),
    (lambda: S.fir_filter([1.0, np.nan], [1.0]), "NaN"),
    (lambda: S.fir_filter([1.0, 2.0], []), "weights"),
    (lambda: S.fir_filter("abc", [1.0]), "numbers"),
    (lambda: S.moving_average([1.0], 0), "positive int"),
    (lambda: S.moving_average([1.0], 2.5), "int"),
    (lambda: S.recursive_filter([1.0], "0.9"), "real number"),
    (lambda: S.recursive_filter([1.0], float("inf")), "finite"),
    (lambda: S.impulse(5, at=5), "at must be"),
    (lambda: S.impulse_response(3, 5), "function"),
    (lambda: S.impulse_response(lambda x: x[:-1], 5), "shape"),
    (lambda: S.memory_length(0.9, tol=1.5), "tol"),
    (lambda: S.sign_task([10], length=10), "age"),
    (lambda: S.sign_task([1.5], length=10), "ints"),
    (lambda: S.sign_task([1], length=10, noise=-1.0), "noise"),
    (lambda: S.error_by_age([1.0], [1.0, 1.0], [0, 0]), "same"),
    (lambda: S.noisy_sine(10, period=0), "period"),
])
def test_bad_input_is_a_clear_error(call, match):
    with pytest.raises((ValueError, TypeError), match=match):
        call()


def test_torch_tensors_are_accepted():
    x = torch.arange(5, dtype=torch.float32)
    assert np.allclose(S.recursive_filter(x, 1.0), np.cumsum(np.arange(5)))
