"""The gated cells of rnncourse.cells and the sequence models built on them (chapters 6, 7).

From-scratch code is checked against torch.nn in float64: same outputs and same gradients
(autograd on both sides), and the lecture's parameter counts.
"""

import pytest
import torch
from torch import nn

import rnncourse as rc
from rnncourse.cells import GRUCell, LSTMCell, RNNCell
from rnncourse.layers import Recurrent
from rnncourse.models import SequenceRegressor

TOL = dict(rtol=1e-10, atol=1e-12)


def _run_steps(cell, xs, state):
    """Unroll a cell (ours or torch's) over xs (time, batch, input) and return the last state."""
    for x in xs:
        state = cell(x, state)
    return state


@pytest.mark.parametrize("I,H", [(1, 5), (3, 4)])
def test_lstm_cell_matches_torch_outputs_and_gradients(I, H):
    torch.manual_seed(0)
    ref = nn.LSTMCell(I, H).double()
    ours = LSTMCell.from_torch(ref)
    assert ours.weight_x.dtype == torch.float64
    xs = torch.randn(6, 2, I, dtype=torch.float64, requires_grad=True)   # (time, batch, I)
    h0 = torch.randn(2, H, dtype=torch.float64)
    c0 = torch.randn(2, H, dtype=torch.float64)
    h_r, c_r = _run_steps(ref, xs, (h0, c0))
    h_o, c_o = _run_steps(ours, xs, (h0, c0))
    torch.testing.assert_close(h_o, h_r, **TOL)
    torch.testing.assert_close(c_o, c_r, **TOL)

    w = torch.randn(2, H, dtype=torch.float64)
    (gx_r, gwi_r, gwh_r, gbi_r, gbh_r) = torch.autograd.grad(
        (w * h_r).sum() + c_r.sum(), [xs, ref.weight_ih, ref.weight_hh, ref.bias_ih, ref.bias_hh])
    (gx_o, gwx_o, gwh_o, gb_o) = torch.autograd.grad(
        (w * h_o).sum() + c_o.sum(), [xs, ours.weight_x, ours.weight_h, ours.bias])
    torch.testing.assert_close(gx_o, gx_r, **TOL)
    torch.testing.assert_close(gwx_o, gwi_r, **TOL)
    torch.testing.assert_close(gwh_o, gwh_r, **TOL)
    torch.testing.assert_close(gb_o, gbi_r, **TOL)  # d/d(b_ih) = d/d(b_hh) = d/d(folded b)
    torch.testing.assert_close(gb_o, gbh_r, **TOL)


def test_lstm_gates_reproduce_the_step():
    torch.manual_seed(1)
    cell = LSTMCell(2, 3).double()
    x = torch.randn(4, 2, dtype=torch.float64)
    h, c = torch.randn(4, 3, dtype=torch.float64), torch.randn(4, 3, dtype=torch.float64)
    g = {}
    h1, c1 = cell.step(cell.project_input(x), (h, c), record=g)
    torch.testing.assert_close((h1, c1), cell(x, (h, c)), **TOL)
    torch.testing.assert_close(c1, g["f"] * c + g["i"] * g["g"], **TOL)
    torch.testing.assert_close(h1, g["o"] * torch.tanh(c1), **TOL)


@pytest.mark.parametrize("I,H", [(1, 5), (3, 4)])
def test_gru_cell_reset_after_matches_torch_outputs_and_gradients(I, H):
    torch.manual_seed(2)
    ref = nn.GRUCell(I, H).double()
    ours = GRUCell.from_torch(ref)
    assert ours.reset_after
    xs = torch.randn(6, 2, I, dtype=torch.float64, requires_grad=True)   # (time, batch, I)
    h0 = torch.randn(2, H, dtype=torch.float64)
    h_r = _run_steps(ref, xs, h0)
    h_o = _run_steps(ours, xs, h0)
    torch.testing.assert_close(h_o, h_r, **TOL)

    w = torch.randn(2, H, dtype=torch.float64)
    gx_r, gwi_r, gwh_r, gbi_r, gbh_r = torch.autograd.grad(
        (w * h_r).sum(), [xs, ref.weight_ih, ref.weight_hh, ref.bias_ih, ref.bias_hh])
    gx_o, gwx_o, gwh_o, gb_o, gbhn_o = torch.autograd.grad(
        (w * h_o).sum(), [xs, ours.weight_x, ours.weight_h, ours.bias, ours.bias_hn])
    torch.testing.assert_close(gx_o, gx_r, **TOL)
    torch.testing.assert_close(gwx_o, gwi_r, **TOL)
    torch.testing.assert_close(gwh_o, gwh_r, **TOL)
    torch.testing.assert_close(gb_o, gbi_r, **TOL)          # r, z folded; n: the input bias
    torch.testing.assert_close(gb_o[: 2 * H], gbh_r[: 2 * H], **TOL)
    torch.testing.assert_close(gbhn_o, gbh_r[2 * H:], **TOL)  # b_hn inside r * (...)


def test_gru_reset_before_differs_from_reset_after():
    """The two variants are different functions (unless h = 0), so the distinction matters."""
    torch.manual_seed(3)
    after = GRUCell(2, 3, reset_after=True).double()
    before = GRUCell(2, 3).double()
    with torch.no_grad():
        before.weight_x.copy_(after.weight_x), before.weight_h.copy_(after.weight_h)
        before.bias.copy_(after.bias)
        after.bias_hn.zero_()
    x, h = torch.randn(4, 2, dtype=torch.float64), torch.randn(4, 3, dtype=torch.float64)
    assert not torch.allclose(before(x, h), after(x, h))
    torch.testing.assert_close(before(x, torch.zeros(4, 3, dtype=torch.float64)),
                               after(x, torch.zeros(4, 3, dtype=torch.float64)), **TOL)


def _copy_fast_into_slow(fast: SequenceRegressor, slow: SequenceRegressor) -> None:
    with torch.no_grad():
        for layer, (cell,) in zip(fast.rnn.layers, slow.rnn.layers):
            cell.weight_x.copy_(layer.weight_ih_l0)
            cell.weight_h.copy_(layer.weight_hh_l0)
            cell.bias.copy_(layer.bias_ih_l0 + layer.bias_hh_l0)
        slow.readout.load_state_dict(fast.readout.state_dict())


@pytest.mark.parametrize("kind", ["rnn", "lstm"])
@pytest.mark.parametrize("hidden", [[5], [5, 3]])
def test_sequence_regressor_matches_fast_one(kind, hidden):
    torch.manual_seed(4)
    fast = SequenceRegressor(kind, 1, hidden, 1, fast=True).double()
    slow = SequenceRegressor(kind, 1, hidden, 1).double()
    _copy_fast_into_slow(fast, slow)
    x = torch.randn(3, 20, 1, dtype=torch.float64)  # (batch, time, 1)
    y_fast, y_slow = fast(x), slow(x)
    assert y_fast.shape == y_slow.shape == (3, 20, 1)
    torch.testing.assert_close(y_slow, y_fast, **TOL)
    # and the same gradient with respect to the weights of the first layer
    g_fast = torch.autograd.grad(y_fast.sum(), fast.rnn.layers[0].weight_hh_l0)[0]
    g_slow = torch.autograd.grad(y_slow.sum(), slow.rnn.layers[0][0].weight_h)[0]
    torch.testing.assert_close(g_slow, g_fast, **TOL)


def test_fast_regressor_recurrent_biases_stay_zero_and_frozen():
    fast = SequenceRegressor("lstm", 1, [5, 3], 1, fast=True)
    x, y = torch.randn(4, 10, 1), torch.randn(4, 10, 1)
    rc.train.fit(fast, (x, y), epochs=2, lr=0.1, progress=False)
    for layer in fast.rnn.layers:
        assert not layer.bias_hh_l0.requires_grad
        assert torch.count_nonzero(layer.bias_hh_l0) == 0


LECTURE_COUNTS = [
    ("rnn", [5], 41), ("lstm", [5], 146), ("rnn", [10], 131), ("lstm", [5, 3], 252),
    ("gru", [5, 3], 190), ("lstm", [25], 2726),
]


@pytest.mark.parametrize("kind,hidden,count", LECTURE_COUNTS)
def test_lecture_parameter_counts(kind, hidden, count):
    assert rc.count_params(SequenceRegressor(kind, 1, hidden, 1)) == count
    assert rc.count_params(SequenceRegressor(kind, 1, hidden, 1, fast=True)) == count


def test_reset_after_gru_has_one_more_bias_vector():
    assert rc.count_params(GRUCell(1, 5, reset_after=True)) == rc.count_params(GRUCell(1, 5)) + 5


# ---------------------------------------------------------------- bad input


@pytest.mark.parametrize("cell", [RNNCell(2, 3), LSTMCell(2, 3), GRUCell(2, 3)])
def test_wrong_feature_size_is_refused(cell):
    with pytest.raises(ValueError, match=r"shape \(batch, 2\)"):
        cell(torch.randn(4, 5))


@pytest.mark.parametrize("kind", ["rnn", "lstm", "gru"])
def test_wrong_state_shape_is_refused(kind):
    x = torch.randn(4, 2)
    if kind == "lstm":
        cell = LSTMCell(2, 3)
        with pytest.raises(ValueError, match=r"c of shape \(4, 3\)"):
            cell(x, (torch.zeros(4, 3), torch.zeros(4, 5)))
        with pytest.raises(ValueError, match="pair"):
            cell(x, torch.zeros(4, 3))
    else:
        cell = RNNCell(2, 3) if kind == "rnn" else GRUCell(2, 3)
        with pytest.raises(ValueError, match=r"h of shape \(4, 3\)"):
            cell(x, torch.zeros(2, 3))


@pytest.mark.parametrize("model", [Recurrent("lstm", 1, [5]), SequenceRegressor("gru", 1, [5]),
                                   SequenceRegressor("lstm", 1, [5], fast=True),
                                   SequenceRegressor("gru", 1, [5, 3], fast=True)])
def test_empty_sequence_and_wrong_features_are_refused(model):
    with pytest.raises(ValueError, match="empty"):
        model(torch.zeros(2, 0, 1))
    with pytest.raises(ValueError, match="1"):
        model(torch.zeros(2, 10, 3))
    with pytest.raises(ValueError):
        model(torch.zeros(10, 1))  # no batch dimension


def test_loading_a_torch_gru_into_reset_before_is_refused():
    with pytest.raises(ValueError, match="reset_after=True"):
        GRUCell(1, 5).load_torch(nn.GRUCell(1, 5))


def test_loading_the_wrong_kind_or_size_is_refused():
    with pytest.raises(TypeError, match="LSTMCell"):
        LSTMCell(1, 5).load_torch(nn.GRUCell(1, 5))
    with pytest.raises(ValueError, match="size mismatch"):
        LSTMCell(1, 5).load_torch(nn.LSTMCell(2, 5))
    with pytest.raises(ValueError, match="bias=True"):
        LSTMCell(1, 5).load_torch(nn.LSTMCell(1, 5, bias=False))


@pytest.mark.parametrize("bad", [0, -1, 2.5, True])
def test_bad_sizes_are_refused(bad):
    with pytest.raises(ValueError, match="positive int"):
        LSTMCell(1, bad)


def test_unknown_kind_is_refused():
    with pytest.raises(ValueError, match="unknown"):
        SequenceRegressor("transformer", 1, [5])
    with pytest.raises(ValueError, match="unknown"):
        SequenceRegressor("transformer", 1, [5], fast=True)


@pytest.mark.parametrize("reset_after", [False, True])
def test_grucell_gates_reproduce_the_step(reset_after):
    torch.manual_seed(3)
    cell = rc.cells.GRUCell(2, 4, reset_after=reset_after).double()
    x, h = torch.randn(3, 2, dtype=torch.float64), torch.randn(3, 4, dtype=torch.float64)
    g = {}
    h_new = cell.step(cell.project_input(x), h, record=g)
    torch.testing.assert_close(h_new, cell(x, h))
    assert set(g) == {"r", "z", "n"} and all(v.shape == (3, 4) for v in g.values())
    assert bool(((g["r"] > 0) & (g["r"] < 1)).all()) and bool((g["n"].abs() < 1).all())
    torch.testing.assert_close(cell(x, h), (1 - g["z"]) * g["n"] + g["z"] * h)
