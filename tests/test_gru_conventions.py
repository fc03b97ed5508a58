"""The two conventions for the GRU's update gate are one model (rnncourse.gru_tools, chapter 7)."""

import pytest
import torch

import rnncourse as rc
from rnncourse.cells import GRUCell
from rnncourse.chapters.ch07 import ChungGRUCell
from rnncourse.chapters.ch07 import switch_convention, update_gate_rows


def _data(batch=4, input_size=3, hidden=5, seed=0):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(batch, input_size, generator=g, dtype=torch.float64)  # (batch, I)
    h = torch.randn(batch, hidden, generator=g, dtype=torch.float64)      # (batch, H)
    return x, h


@pytest.mark.parametrize("reset_after", [False, True])
def test_switch_gives_the_same_function(reset_after):
    torch.manual_seed(0)
    cell = GRUCell(3, 5, reset_after=reset_after).double()
    x, h = _data()
    other = switch_convention(cell)
    assert isinstance(other, ChungGRUCell) and other.reset_after == reset_after
    assert other.weight_x.dtype == torch.float64
    torch.testing.assert_close(other(x, h), cell(x, h), rtol=0, atol=1e-12)
    back = switch_convention(other)
    assert type(back) is GRUCell
    for (n1, p1), (n2, p2) in zip(cell.named_parameters(), back.named_parameters()):
        assert n1 == n2
        torch.testing.assert_close(p1, p2, rtol=0, atol=0)


def test_switch_negates_only_the_update_gate_and_leaves_the_input_alone():
    torch.manual_seed(1)
    cell = GRUCell(2, 4).double()
    before = {k: v.clone() for k, v in cell.state_dict().items()}
    other = switch_convention(cell)
    for k, v in cell.state_dict().items():
        torch.testing.assert_close(v, before[k], rtol=0, atol=0)
    rows = update_gate_rows(4)
    assert rows == slice(4, 8)
    torch.testing.assert_close(other.weight_x[rows], -cell.weight_x[rows])
    torch.testing.assert_close(other.bias[rows], -cell.bias[rows])
    keep = torch.ones(12, dtype=torch.bool)
    keep[rows] = False
    torch.testing.assert_close(other.weight_h[keep], cell.weight_h[keep])


def test_the_two_conventions_differ_with_the_same_weights():
    torch.manual_seed(2)
    cell = GRUCell(3, 5).double()
    chung = ChungGRUCell(3, 5).double()
    chung.load_state_dict(cell.state_dict())
    x, h = _data()
    assert not torch.allclose(chung(x, h), cell(x, h))


def test_chung_cell_matches_its_equations():
    torch.manual_seed(3)
    cell = ChungGRUCell(3, 5).double()
    x, h = _data()
    W_xr, W_xz, W_xn = cell.weight_x.split(5)
    W_hr, W_hz, W_hn = cell.weight_h.split(5)
    b_r, b_z, b_n = cell.bias.split(5)
    r = torch.sigmoid(x @ W_xr.T + h @ W_hr.T + b_r)
    z = torch.sigmoid(x @ W_xz.T + h @ W_hz.T + b_z)
    n = torch.tanh(x @ W_xn.T + (r * h) @ W_hn.T + b_n)
    torch.testing.assert_close(cell(x, h), (1 - z) * h + z * n)
    torch.testing.assert_close(cell(x), cell(x, torch.zeros(4, 5, dtype=torch.float64)))


def test_torch_gru_loads_through_gru_cell_then_switches():
    torch.manual_seed(4)
    ref = torch.nn.GRUCell(3, 5).double()
    x, h = _data()
    chung = switch_convention(GRUCell.from_torch(ref))
    torch.testing.assert_close(chung(x, h), ref(x, h), rtol=0, atol=1e-12)
    with pytest.raises(TypeError, match="other convention"):
        ChungGRUCell(3, 5, reset_after=True).load_torch(ref)


def test_bad_input_is_rejected():
    with pytest.raises(TypeError, match="GRUCell"):
        switch_convention(torch.nn.GRUCell(1, 2))
    with pytest.raises(ValueError, match="positive"):
        update_gate_rows(0)
    with pytest.raises(ValueError, match="shape"):
        ChungGRUCell(3, 5)(torch.zeros(2, 4))


def test_a_loaded_layer_reproduces_the_fused_one_and_its_gates_are_consistent():
    torch.manual_seed(5)
    layer = torch.nn.GRU(2, 4, batch_first=True).double()
    x = torch.randn(3, 7, 2, dtype=torch.float64)  # (batch, time, input)
    out, _ = layer(x)                              # (batch, time, hidden)
    scratch = rc.layers.Recurrent.from_torch(layer)
    cell = scratch.layers[0][0]
    assert cell.reset_after
    with torch.no_grad():
        _, _, (rec,) = scratch(x, record=True)
    torch.testing.assert_close(rec["h"], out, rtol=0, atol=1e-12)
    # h_t = z h_{t-1} + (1 - z) n, step by step, from the recorded gates
    h_prev = torch.cat([torch.zeros(3, 1, 4, dtype=torch.float64), rec["h"][:, :-1]], dim=1)
    torch.testing.assert_close(rec["z"] * h_prev + (1 - rec["z"]) * rec["n"], rec["h"])
    assert ((rec["z"] > 0) & (rec["z"] < 1)).all() and ((rec["r"] > 0) & (rec["r"] < 1)).all()
    chung = switch_convention(cell)
    with torch.no_grad():
        _, _, (rec2,) = rc.layers.Recurrent(chung)(x, record=True)
    torch.testing.assert_close(rec2["h"], out, rtol=0, atol=1e-12)
    torch.testing.assert_close(rec2["z"], 1 - rec["z"])
