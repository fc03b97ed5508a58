"""The simple RNN cell against torch.nn.RNNCell, and the Recurrent unroller."""

import pytest
import torch

import rnncourse as rc


@pytest.mark.parametrize("nonlinearity", ["tanh", "relu"])
def test_rnncell_matches_torch_outputs_and_gradients(nonlinearity):
    torch.manual_seed(0)
    ref = torch.nn.RNNCell(3, 4, nonlinearity=nonlinearity).double()
    cell = rc.cells.RNNCell.from_torch(ref)
    assert cell.nonlinearity == nonlinearity
    x = torch.randn(5, 3, dtype=torch.float64, requires_grad=True)
    h = torch.randn(5, 4, dtype=torch.float64)
    out_ref, out = ref(x, h), cell(x, h)
    torch.testing.assert_close(out, out_ref, rtol=1e-12, atol=1e-12)
    g_ref = torch.autograd.grad(out_ref.sum(), [x, ref.weight_hh])
    g = torch.autograd.grad(out.sum(), [x, cell.weight_h])
    for a, b in zip(g, g_ref):
        torch.testing.assert_close(a, b, rtol=1e-12, atol=1e-12)


def test_rnncell_has_one_bias_and_lecture_counts():
    assert rc.count_params(rc.cells.RNNCell(1, 5)) == 5 + 25 + 5
    assert rc.count_params(torch.nn.RNNCell(1, 5)) == 5 + 25 + 10  # PyTorch: two biases


def test_rnncell_default_state_is_zero():
    cell = rc.cells.RNNCell(2, 3)
    x = torch.randn(4, 2)
    torch.testing.assert_close(cell(x), cell(x, torch.zeros(4, 3)))


def test_rnncell_bad_input():
    cell = rc.cells.RNNCell(2, 3)
    with pytest.raises(ValueError, match=r"shape \(batch, 2\)"):
        cell(torch.randn(4, 5))
    with pytest.raises(ValueError, match=r"h of shape \(4, 3\)"):
        cell(torch.randn(4, 2), torch.zeros(4, 2))
    with pytest.raises(TypeError):
        cell([[1.0, 2.0]])
    with pytest.raises(ValueError, match="nonlinearity"):
        rc.cells.RNNCell(2, 3, nonlinearity="sigmoid")
    with pytest.raises(ValueError, match="hidden_size"):
        rc.cells.RNNCell(2, 0)
    with pytest.raises(ValueError, match="nonlinearity mismatch"):
        rc.cells.RNNCell(2, 3).load_torch(torch.nn.RNNCell(2, 3, nonlinearity="relu"))
    with pytest.raises(ValueError, match="size mismatch"):
        rc.cells.RNNCell(2, 3).load_torch(torch.nn.RNNCell(2, 4))
    with pytest.raises(TypeError, match="expects a torch.nn.RNNCell"):
        rc.cells.RNNCell(2, 3).load_torch(torch.nn.GRUCell(2, 3))


def test_recurrent_unrolls_the_cell_step_by_step():
    torch.manual_seed(1)
    layer = rc.layers.Recurrent("rnn", 2, [4, 3]).double()
    x = torch.randn(2, 6, 2, dtype=torch.float64)
    out, states = layer(x)
    assert out.shape == (2, 6, 3) and len(states) == 2
    h1, h2 = torch.zeros(2, 4, dtype=torch.float64), torch.zeros(2, 3, dtype=torch.float64)
    for t in range(6):
        h1 = layer.layers[0][0](x[:, t], h1)
        h2 = layer.layers[1][0](h1, h2)
        torch.testing.assert_close(out[:, t], h2)
    # continuing from the final states equals running the concatenated sequence
    out_a, st = layer(x[:, :3])
    out_b, _ = layer(x[:, 3:], st)
    torch.testing.assert_close(torch.cat([out_a, out_b], 1), out)


def test_recurrent_bad_input():
    layer = rc.layers.Recurrent("lstm", 2, 3)
    with pytest.raises(ValueError, match="input features"):
        layer(torch.randn(1, 4, 5))
    with pytest.raises(ValueError, match="empty sequence"):
        layer(torch.randn(1, 0, 2))
    with pytest.raises(ValueError, match=r"shape \(batch, time, 2\)"):
        layer(torch.randn(4, 2))
    with pytest.raises(ValueError, match="unknown cell kind"):
        rc.layers.Recurrent("transformer", 2, 3)
    with pytest.raises(ValueError, match="at least one layer"):
        rc.layers.Recurrent("rnn", 2, [])
