"""The sequence layers, rc.layers.Recurrent and rc.fast.FastRecurrent: the same model as torch.nn,
in every configuration."""

import pytest
import torch
from torch import nn

import rnncourse as rc
from rnncourse.fast import FastRecurrent
from rnncourse.chapters.ch05 import LeakyRNNCell
from rnncourse.chapters.ch07 import ChungGRUCell
from rnncourse.layers import Recurrent, run_cell

TORCH = {"rnn": nn.RNN, "lstm": nn.LSTM, "gru": nn.GRU}
F64 = dict(rtol=1e-12, atol=1e-12)


def _grads(outputs, inputs):
    loss = sum((o * torch.linspace(-1, 1, o.numel(), dtype=o.dtype).reshape(o.shape)).sum()
               for o in outputs)
    return torch.autograd.grad(loss, inputs)


@pytest.mark.parametrize("kind", ["rnn", "lstm", "gru"])
@pytest.mark.parametrize("num_layers", [1, 3])
@pytest.mark.parametrize("bidirectional", [False, True])
def test_loaded_torch_layer_gives_equal_outputs_states_and_gradients(kind, num_layers, bidirectional):
    torch.manual_seed(0)
    ref = TORCH[kind](3, 4, num_layers=num_layers, bidirectional=bidirectional,
                      batch_first=True).double()
    ours = Recurrent.from_torch(ref)
    assert ours.output_size == (8 if bidirectional else 4) and isinstance(ours, Recurrent)
    x = torch.randn(2, 9, 3, dtype=torch.float64, requires_grad=True)
    y_ref, s_ref = ref(x)
    y, states = ours(x)
    torch.testing.assert_close(y, y_ref, **F64)
    # final states: torch stacks (layers * directions, batch, H); ours is one entry per layer
    h_ref = s_ref[0] if kind == "lstm" else s_ref
    dirs = 2 if bidirectional else 1
    for k, st in enumerate(states):
        parts = st if bidirectional else (st,)
        for d, part in enumerate(parts):
            h = part[0] if kind == "lstm" else part
            torch.testing.assert_close(h, h_ref[k * dirs + d], **F64)
    # gradients with respect to the input and to every weight of the first layer
    g_ref = _grads([y_ref], [x, ref.weight_hh_l0, ref.weight_ih_l0])
    g = _grads([y], [x, ours.layers[0][0].weight_h, ours.layers[0][0].weight_x])
    for a, b in zip(g, g_ref):
        torch.testing.assert_close(a, b, **F64)


@pytest.mark.parametrize("kind", ["rnn", "lstm", "gru"])
@pytest.mark.parametrize("bidirectional", [False, True])
@pytest.mark.parametrize("residual", [False, True])
def test_fast_path_is_the_same_model_with_the_lectures_parameter_count(kind, bidirectional, residual):
    torch.manual_seed(1)
    fast = FastRecurrent(kind, 2, [5, 5], bidirectional=bidirectional, residual=residual).double()
    slow = fast.from_scratch()
    dirs = 2 if bidirectional else 1
    expected = rc.cells.param_count(kind, 2, [5, 5], bidirectional=bidirectional)
    assert rc.count_params(fast) == rc.count_params(slow) == expected
    x = torch.randn(3, 7, 2, dtype=torch.float64)
    state = [tuple(torch.randn(3, 5, dtype=torch.float64) for _ in range(dirs)) if bidirectional
             else torch.randn(3, 5, dtype=torch.float64) for _ in range(2)]
    if kind == "lstm":   # an LSTM state is (h, c) per direction
        state = [tuple((s, s.flip(0)) for s in st) if bidirectional else (st, st.flip(0)) for st in state]
    y_fast, s_fast = fast(x, state)
    y_slow, s_slow = slow(x, state)
    torch.testing.assert_close(y_fast, y_slow, **F64)
    torch.testing.assert_close(s_fast, s_slow, **F64)
    assert y_fast.shape == (3, 7, 5 * dirs)
    # and the gradients, with respect to the input and to the first layer's weights
    x = x.requires_grad_()
    y_fast, y_slow = fast(x, state)[0], slow(x, state)[0]
    layer, cell = fast.layers[0], slow.layers[0][0]
    g_fast = _grads([y_fast], [x, layer.weight_ih_l0, layer.weight_hh_l0])
    g_slow = _grads([y_slow], [x, cell.weight_x, cell.weight_h])
    for a, b in zip(g_fast, g_slow):
        torch.testing.assert_close(a, b, **F64)


def test_from_scratch_gru_keeps_the_frozen_candidate_bias():
    fast = FastRecurrent("gru", 2, 3)
    cell = fast.from_scratch().layers[0][0]
    assert cell.reset_after and not cell.bias_hn.requires_grad
    assert float(cell.bias_hn.abs().sum()) == 0.0


def test_residual_adds_each_layers_input():
    torch.manual_seed(2)
    plain = Recurrent("rnn", 3, [4, 4, 4]).double()
    res = Recurrent("rnn", 3, [4, 4, 4], residual=True).double()
    res.load_state_dict(plain.state_dict())
    x = torch.randn(2, 5, 3, dtype=torch.float64)
    h1, _, _ = run_cell(plain.layers[0][0], x)
    h2 = run_cell(plain.layers[1][0], h1)[0] + h1
    h3 = run_cell(plain.layers[2][0], h2)[0] + h2
    torch.testing.assert_close(res(x)[0], h3, **F64)
    with pytest.raises(ValueError, match="equal hidden sizes"):
        Recurrent("rnn", 3, [4, 6], residual=True)


def test_bidirectional_is_a_forward_and_a_reversed_cell_concatenated():
    torch.manual_seed(3)
    fwd, bwd = rc.cells.GRUCell(2, 3).double(), rc.cells.GRUCell(2, 3).double()
    layer = Recurrent([(fwd, bwd)], bidirectional=True)
    x = torch.randn(2, 6, 2, dtype=torch.float64)
    out, (state,) = layer(x)
    h_f = run_cell(fwd, x)[0]
    h_b = run_cell(bwd, x.flip(1))[0].flip(1)
    torch.testing.assert_close(out, torch.cat([h_f, h_b], dim=-1), **F64)
    torch.testing.assert_close(state[1], h_b[:, 0], **F64)   # the backward cell ends at t = 1
    with pytest.raises(ValueError, match="pair"):
        Recurrent([fwd], bidirectional=True)


def test_record_returns_every_gate_of_every_layer():
    torch.manual_seed(4)
    layer = Recurrent("lstm", 2, [3, 4], bidirectional=True).double()
    x = torch.randn(2, 5, 2, dtype=torch.float64)
    out, _, records = layer(x, record=True)
    assert len(records) == 2 and set(records[0]) == {"forward", "backward"}
    rec = records[1]["forward"]
    assert set(rec) == {"i", "f", "g", "o", "c", "h"}
    assert all(v.shape == (2, 5, 4) for v in rec.values())
    torch.testing.assert_close(torch.cat([rec["h"], records[1]["backward"]["h"]], -1), out, **F64)
    torch.testing.assert_close(rec["h"], rec["o"] * torch.tanh(rec["c"]), **F64)


def test_recorded_gates_keep_their_gradients():
    torch.manual_seed(4)
    layer = Recurrent("gru", 2, [3, 3], bidirectional=True).double()
    x = torch.randn(2, 5, 2, dtype=torch.float64, requires_grad=True)
    _, _, records = layer(x, record=True)
    z = records[1]["backward"]["z"]                                 # (batch, time, H)
    assert z.requires_grad
    w = layer.layers[0][0].weight_x                                 # the first layer's
    g_rec, g_x = torch.autograd.grad(z.sum(), [w, x], retain_graph=True)
    assert g_rec.abs().sum() > 0 and g_x.abs().sum() > 0
    # the same gate again, from the recorded outputs of the layer below: the same gradient
    below = torch.cat([records[0]["forward"]["h"], records[0]["backward"]["h"]], -1)
    _, _, rec = run_cell(layer.layers[1][1], below.flip(1), record=True)
    torch.testing.assert_close(rec["z"].flip(1), z, **F64)
    torch.testing.assert_close(torch.autograd.grad(rec["z"].sum(), w)[0], g_rec, **F64)


def test_a_fast_layer_does_not_record_but_names_its_twin():
    fast = FastRecurrent("lstm", 2, [3])
    x = torch.randn(2, 5, 2)
    with pytest.raises(ValueError, match=r"from_scratch\(\)"):
        fast(x, record=True)
    _, _, (rec,) = fast.from_scratch()(x, record=True)               # the twin records ...
    torch.testing.assert_close(rec["h"], fast(x)[0])                   # ... the same outputs
    assert rec["f"].requires_grad                                    # of its own weights


def test_a_students_own_cell_runs_in_the_layer():
    class MyCell(nn.Module):
        """A minimal cell: only hidden_size and forward(x_t, h)."""

        def __init__(self):
            super().__init__()
            self.hidden_size = 3
            self.lin = nn.Linear(2 + 3, 3)

        def forward(self, x_t, h):
            return torch.tanh(self.lin(torch.cat([x_t, h], dim=-1)))

    torch.manual_seed(5)
    cell = MyCell().double()
    x = torch.randn(4, 6, 2, dtype=torch.float64)
    out, (h_T,) = Recurrent(cell)(x)
    h = torch.zeros(4, 3, dtype=torch.float64)
    for x_t in x.unbind(1):
        h = cell(x_t, h)
    torch.testing.assert_close(h_T, h, **F64)
    torch.testing.assert_close(out[:, -1], h, **F64)

    class OneExample(MyCell):
        def forward(self, x_t, h):
            return super().forward(x_t, h)[0]   # a typical bug: returns one example's state

    with pytest.raises(ValueError, match=r"shape \(batch, hidden\)"):
        Recurrent(OneExample())(x.float())


def test_a_students_lstm_like_cell_without_init_state_is_told_to_add_one():
    class MyLSTM(nn.Module):
        """State (h, c), but no init_state: the layer can only start it as one tensor."""

        def __init__(self):
            super().__init__()
            self.hidden_size = 3
            self.lin = nn.Linear(2 + 3, 4 * 3)

        def forward(self, x_t, state):
            h, c = state
            i, f, g, o = self.lin(torch.cat([x_t, h], dim=-1)).chunk(4, dim=-1)
            c = f.sigmoid() * c + i.sigmoid() * g.tanh()
            return o.sigmoid() * c.tanh(), c

    x = torch.randn(4, 6, 2)
    with pytest.raises(TypeError, match=r"no init_state method.*\(h, c\).*too many values to unpack"):
        Recurrent(MyLSTM())(x)

    class WithInit(MyLSTM):
        def init_state(self, batch, device, dtype):
            zeros = torch.zeros(batch, self.hidden_size, device=device, dtype=dtype)
            return zeros, zeros.clone()

    out, _ = Recurrent(WithInit())(x)
    assert out.shape == (4, 6, 3)


@pytest.mark.parametrize("kind", ["rnn", LeakyRNNCell, "lstm", "gru", ChungGRUCell])
def test_the_time_loop_unbinds_once_and_never_indexes_the_sequence(kind):
    """Indexing x[:, t] in the loop adds one Select/Slice node per step whose input is the whole
    sequence; each one's backward writes a full-size tensor: quadratic in the length. The layer
    must split the sequence once (one UnbindBackward) and never index it along time."""
    T = 30
    layer = Recurrent(kind, 2, 3) if isinstance(kind, str) else Recurrent(kind(2, 3))
    x = torch.randn(2, T, 2, requires_grad=True)
    out, _ = layer(x)
    seen, stack, fns = set(), [out.grad_fn], []
    while stack:
        fn = stack.pop()
        if fn is None or fn in seen:
            continue
        seen.add(fn)
        fns.append(fn)
        stack.extend(f for f, _ in fn.next_functions)
    names = [type(fn).__name__ for fn in fns]
    assert names.count("UnbindBackward0") == 1, names
    over_time = [type(fn).__name__ for fn in fns
                 if type(fn).__name__.startswith(("SelectBackward", "SliceBackward"))
                 and len(fn._saved_self_sym_sizes) == 3 and fn._saved_self_sym_sizes[1] == T]
    assert not over_time, over_time

    def sliced_layer(x):                       # the quadratic pattern, to show the test can fail
        cell, h, outs = layer.layers[0][0], None, []
        for t in range(x.shape[1]):
            h = cell(x[:, t], h)
            outs.append(rc.cells.output_of(h))
        return torch.stack(outs, 1)
    bad = sliced_layer(x).grad_fn
    seen, stack, n_bad = set(), [bad], 0
    while stack:
        fn = stack.pop()
        if fn is None or fn in seen:
            continue
        seen.add(fn)
        n_bad += type(fn).__name__.startswith("SelectBackward")
        stack.extend(f for f, _ in fn.next_functions)
    assert n_bad == T


def test_bad_input_gets_clear_errors():
    layer = Recurrent("lstm", 2, 3)
    with pytest.raises(ValueError, match=r"add the feature axis"):
        layer(torch.randn(4, 7))
    with pytest.raises(ValueError, match="2 input features"):
        layer(torch.randn(4, 7, 3))
    with pytest.raises(TypeError, match=r"x.float\(\)"):
        layer(torch.randn(4, 7, 2, dtype=torch.float64))
    with pytest.raises(ValueError, match="list of 1 layer states"):
        layer(torch.randn(4, 7, 2), torch.zeros(4, 3))
    with pytest.raises(ValueError, match=r"pair \(a tuple of 2 tensors\)"):
        layer(torch.randn(4, 7, 2), [torch.zeros(4, 3)])
    with pytest.raises(ValueError, match="unknown cell kind"):
        Recurrent("transformer", 2, 3)
    with pytest.raises(ValueError, match="for FastRecurrent, which runs torch.nn.RNN / LSTM / GRU"):
        FastRecurrent("leaky", 2, 3)
    with pytest.raises(ValueError, match="reset_after=False"):
        FastRecurrent("gru", 2, 3, reset_after=False)
    with pytest.raises(ValueError, match="unknown LSTM options"):
        FastRecurrent("lstm", 2, 3, tau=2)
    with pytest.raises(ValueError, match="input size"):
        Recurrent("rnn")
    with pytest.raises(TypeError, match="name the cells by kind"):
        Recurrent(rc.cells.LSTMCell, 2, 3)
    with pytest.raises(ValueError, match="cell keyword arguments"):
        Recurrent(rc.cells.LSTMCell(2, 3), tau=2)
    with pytest.raises(TypeError, match="LSTMCell.from_torch"):
        Recurrent.from_torch(nn.LSTMCell(2, 3))
    with pytest.raises(ValueError, match="dropout"):
        Recurrent.from_torch(nn.LSTM(2, 3, num_layers=2, dropout=0.5))
    with pytest.raises(ValueError, match="proj_size"):
        Recurrent.from_torch(nn.LSTM(2, 3, proj_size=2))


def test_cells_from_torch_name_the_right_loader():
    with pytest.raises(TypeError, match=r"rc.cells.LSTMCell.from_torch"):
        rc.cells.RNNCell.from_torch(nn.LSTMCell(2, 3))
    with pytest.raises(TypeError, match=r"Recurrent.from_torch"):
        rc.cells.LSTMCell.from_torch(nn.LSTM(2, 3))
    with pytest.raises(TypeError, match="no torch.nn counterpart"):
        LeakyRNNCell.from_torch(nn.RNNCell(2, 3))


@pytest.mark.parametrize("kind,hidden,out,expected", [
    ("rnn", [5], 1, 41), ("lstm", [5], 1, 146), ("rnn", [10], 1, 131), ("lstm", [5, 3], 1, 252),
    ("gru", [5, 3], 1, 190), ("lstm", [25], 1, 2726)])
def test_param_count_is_the_lecture_table_and_what_the_models_have(kind, hidden, out, expected):
    assert rc.cells.param_count(kind, 1, hidden, out) == expected
    for fast in (False, True):
        assert rc.count_params(rc.models.SequenceRegressor(kind, 1, hidden, out, fast=fast)) == expected


@pytest.mark.parametrize("layer", [FastRecurrent, Recurrent])
def test_set_forget_bias_sets_only_the_forget_rows_of_every_layer_and_direction(layer):
    torch.manual_seed(0)
    rnn = layer("lstm", 3, [4, 4], bidirectional=True)
    before = {n: p.detach().clone() for n, p in rnn.named_parameters()}
    assert rc.layers.set_forget_bias(rnn, 2.5) is rnn
    changed = 0
    for name, p in rnn.named_parameters():
        if p.dim() == 1 and (name.endswith("bias") or "bias_ih" in name):
            H = p.shape[0] // 4
            assert torch.all(p[H:2 * H] == 2.5), name
            keep = torch.ones(4 * H, dtype=torch.bool)
            keep[H:2 * H] = False
            assert torch.equal(p[keep], before[name][keep]), name   # i, g, o untouched
            changed += 1
        else:
            assert torch.equal(p, before[name]), name               # weights untouched
    assert changed == 4                                             # 2 layers x 2 directions


def test_set_forget_bias_opens_the_gate_the_same_way_in_fast_and_from_scratch_layers():
    torch.manual_seed(1)
    fast = FastRecurrent("lstm", 2, 6).double()
    rc.layers.set_forget_bias(fast, 3.0)
    slow = fast.from_scratch()
    x = torch.randn(5, 7, 2, dtype=torch.float64)
    torch.testing.assert_close(fast(x)[0], slow(x)[0])
    _, _, (rec,) = slow(x, record=True)
    assert rec["f"].mean() > 0.9                                    # sigma(3) = 0.95, give or take the weights


def test_set_forget_bias_refuses_what_is_not_an_lstm_and_bad_values():
    with pytest.raises(ValueError, match="LSTM layers only.*'gru'"):
        rc.layers.set_forget_bias(FastRecurrent("gru", 2, 3), 1.0)
    with pytest.raises(ValueError, match="LSTM layers only.*'rnn'"):
        rc.layers.set_forget_bias(rc.layers.Recurrent("rnn", 2, 3), 1.0)
    with pytest.raises(TypeError, match="rc.layers.Recurrent or an rc.fast.FastRecurrent"):
        rc.layers.set_forget_bias(nn.LSTM(2, 3), 1.0)
    lstm = FastRecurrent("lstm", 2, 3)
    for bad in (float("nan"), True, "1", None):
        with pytest.raises(ValueError, match="finite number"):
            rc.layers.set_forget_bias(lstm, bad)


# --- bad input in the package's words (issue 21 item 6) ----------------------------------------
@pytest.mark.parametrize("layer, args, message", [
    (Recurrent, ("lstm", 3, 4.0), "hidden_sizes must be an int or a list of ints"),
    (Recurrent, ("rnn", 3, [4, 0]), r"hidden_sizes\[1\] must be a positive int, got 0"),
    (FastRecurrent, ("lstm", 3, [4, 0]), r"hidden_sizes\[1\] must be a positive int, got 0"),
    (FastRecurrent, ("gru", 3, [4, -2]), r"hidden_sizes\[1\] must be a positive int, got -2"),
    (FastRecurrent, ("lstm", 3.5, 4), "input_size must be a positive int, got 3.5"),
    (FastRecurrent, ("rnn", 3, [4, 6]), "use equal hidden sizes"),
])
def test_recurrent_checks_its_sizes(layer, args, message):
    kwargs = dict(residual=True) if "equal" in message else {}
    with pytest.raises(ValueError, match=message):
        layer(*args, **kwargs)


def test_recurrent_checks_that_cell_instances_chain():
    with pytest.raises(ValueError, match="layer 1: its cell takes 4 inputs but layer 0 gives 5"):
        Recurrent([rc.cells.LSTMCell(3, 5), rc.cells.LSTMCell(4, 2)])


def test_recurrent_refuses_integer_inputs_with_a_hint():
    for layer in (Recurrent, FastRecurrent):
        with pytest.raises(TypeError, match="floating-point inputs .*one_hot"):
            layer("lstm", 3, 4)(torch.ones(2, 5, 3, dtype=torch.long))


@pytest.mark.parametrize("layer", [Recurrent, FastRecurrent])
@pytest.mark.parametrize("state, message", [
    (torch.zeros(2, 4, dtype=torch.float64), "the state is float64 but expected float32"),
    (torch.zeros(2, 4, device="meta"), "the state is on the device meta but the input is on cpu"),
])
def test_recurrent_checks_the_dtype_and_device_of_a_state(layer, state, message):
    with pytest.raises((TypeError, ValueError), match=message):
        layer("gru", 3, 4)(torch.randn(2, 5, 3), [state])


@pytest.mark.parametrize("state, message", [
    (torch.zeros(3, 4), r"the state of shape \(batch, hidden\) = \(2, 4\), got \(3, 4\)"),
    (torch.zeros(2, 5), r"= \(2, 4\), got \(2, 5\)"),
    (torch.zeros(1, 2, 4), r"= \(2, 4\), got \(1, 2, 4\)"),
    ([0.0] * 4, "expects the state as a torch.Tensor"),
])
def test_a_fast_layer_checks_the_shape_of_a_state(state, message):
    with pytest.raises((ValueError, TypeError), match=message):
        FastRecurrent("gru", 3, 4)(torch.randn(2, 5, 3), [state])
    with pytest.raises(ValueError, match=r"\(c\) .*= \(2, 4\), got \(2, 3\)|= \(2, 4\), got \(2, 3\)"):
        FastRecurrent("lstm", 3, 4)(torch.randn(2, 5, 3), [(torch.zeros(2, 4), torch.zeros(2, 3))])


@pytest.mark.parametrize("layer", [Recurrent, FastRecurrent])
def test_a_bidirectional_layer_refuses_a_single_state(layer):
    # a (batch=2, H) tensor used to be split along the batch into two "directions"
    with pytest.raises(ValueError, match=r"bidirectional: its state must be a pair .*got shape \(2, 4\)"):
        layer("gru", 3, 4, bidirectional=True)(torch.randn(2, 5, 3), [torch.zeros(2, 4)])


def test_run_cell_checks_its_input():
    with pytest.raises(ValueError, match=r"run_cell expects x of shape \(batch, time, 3\)"):
        run_cell(rc.cells.RNNCell(3, 4), torch.randn(2, 3))


def test_recurrent_refuses_an_empty_batch_and_a_time_first_torch_layer():
    for layer in (Recurrent, FastRecurrent):
        with pytest.raises(ValueError, match="empty batch"):
            layer("gru", 3, 4)(torch.randn(0, 5, 3))
    with pytest.raises(ValueError, match=r"batch_first=False\) but Recurrent reads \(batch, time"):
        Recurrent.from_torch(nn.GRU(3, 4))


def test_what_recurrent_would_ignore_or_misread_gets_a_clear_error():
    """The old spelling fast=True, options a kind's cell does not take, a cell class, and sizes
    given beside instances (which the layer would silently ignore) each say what to do."""
    with pytest.raises(TypeError, match="rc.fast.FastRecurrent"):
        Recurrent("lstm", 2, [3], fast=True)
    with pytest.raises(TypeError, match=r"unknown option\(s\) \['tau'\] for the 'lstm' cell"):
        Recurrent("lstm", 2, [3], tau=2.0)
    with pytest.raises(ValueError, match="pass instances"):
        Recurrent("leaky", 2, [3])
    with pytest.raises(TypeError, match=r"pass instances, Recurrent\(LeakyRNNCell\("):
        Recurrent(LeakyRNNCell, 2, [3])
    with pytest.raises(ValueError, match="leave hidden_sizes out"):
        Recurrent(rc.cells.LSTMCell(2, 3), 2, [7])
    with pytest.raises(ValueError, match="input_size=5 but its first cell takes 2 inputs"):
        Recurrent(rc.cells.LSTMCell(2, 3), 5)
    assert Recurrent(rc.cells.LSTMCell(2, 3), 2).input_size == 2      # consistent: accepted


def test_a_cell_without_input_size_is_checked_against_the_input_size_given():
    class Mine(nn.Module):                       # a student's cell: only hidden_size and forward
        hidden_size = 3

        def __init__(self):
            super().__init__()
            self.lin = nn.Linear(2 + 3, 3)

        def forward(self, x_t, h):
            return torch.tanh(self.lin(torch.cat([x_t, h], -1)))

    layer = Recurrent(Mine(), 2)
    assert layer(torch.randn(4, 5, 2))[0].shape == (4, 5, 3)
    with pytest.raises(ValueError, match="2"):
        layer(torch.randn(4, 5, 7))


@pytest.mark.parametrize("kind", ["gru", "lstm"])
def test_a_fast_bidirectional_layer_given_one_directions_state_says_so(kind):
    layer = FastRecurrent(kind, 3, 4, bidirectional=True)
    h = torch.zeros(2, 4)
    with pytest.raises(ValueError, match="both directions or neither"):
        layer(torch.randn(2, 5, 3), [((h, h) if kind == "lstm" else h, None)])
    scratch = layer.from_scratch()                # the from-scratch twin: zeros for the missing one
    out, _ = scratch(torch.randn(2, 5, 3), [((h, h) if kind == "lstm" else h, None)])
    assert out.shape == (2, 5, 8)
