"""Counting strings, their encoding and the gate recorder of chapter 6."""

import numpy as np
import pytest
import torch
from torch import nn

import rnncourse as rc
from rnncourse.counting import (ALPHABET, counting_data, counting_strings, encode,
                                lstm_cell_of, record_gates, running_count)


def test_strings_are_seeded_and_use_the_alphabet():
    a = counting_strings(20, 12, seed=3)
    assert a == counting_strings(20, 12, seed=3)
    assert a != counting_strings(20, 12, seed=4)
    assert len(a) == 20 and all(len(s) == 12 and set(s) <= set(ALPHABET) for s in a)


def test_encode_and_running_count_of_the_lecture_string():
    s = "abb abab ab"
    x = encode(s)
    assert x.shape == (1, 11, 3)
    assert torch.equal(x.sum(-1), torch.ones(1, 11))
    assert "".join(ALPHABET[k] for k in x[0].argmax(-1)) == s
    y = running_count(s)
    assert y.shape == (1, 11, 1)
    assert y[0, :, 0].tolist() == [1, 1, 1, 1, 2, 2, 3, 3, 3, 4, 4]
    assert running_count(s, "b")[0, -1, 0] == 5


def test_counting_data_shapes():
    x, y, strings = counting_data(7, 15, seed=0)
    assert x.shape == (7, 15, 3) and y.shape == (7, 15, 1) and len(strings) == 7
    assert torch.equal(y[:, -1, 0], torch.tensor([float(s.count("a")) for s in strings]))


@pytest.mark.parametrize("bad,match", [([], "at least one"), (["abc"], "unknown"),
                                       (["ab", "a"], "same length"), ([""], "empty")])
def test_bad_strings_are_refused(bad, match):
    with pytest.raises(ValueError, match=match):
        encode(bad)


def test_bad_generator_arguments_are_refused():
    with pytest.raises(ValueError, match="positive"):
        counting_strings(0, 5)
    with pytest.raises(ValueError, match="probs"):
        counting_strings(3, 5, probs=(0.5, 0.5))
    with pytest.raises(ValueError, match="char"):
        running_count("ab", "c")


@pytest.mark.parametrize("make", [
    lambda: rc.models.FastSequenceRegressor("lstm", 3, [4], 1),
    lambda: rc.models.SequenceRegressor("lstm", 3, [4], 1),
    lambda: nn.LSTM(3, 4, batch_first=True),
])
def test_lstm_cell_of_reproduces_the_layer(make):
    torch.manual_seed(0)
    model = make()
    x = encode(counting_strings(2, 9, seed=1))  # (2, 9, 3)
    cell = lstm_cell_of(model)
    rec = rc.cells.Recurrent("lstm", 3, [4])
    rec.cells[0] = cell
    h_cell, _ = rec(x)
    if isinstance(model, nn.LSTM):
        h_ref, _ = model(x)
    elif hasattr(model, "layers"):
        h_ref, _ = model.layers[0](x)
    else:
        h_ref, _ = model.rnn(x)
    torch.testing.assert_close(h_cell, h_ref, rtol=1e-5, atol=1e-6)


def test_lstm_cell_of_refuses_other_models():
    with pytest.raises(TypeError, match="LSTM"):
        lstm_cell_of(rc.models.FastSequenceRegressor("gru", 3, [4], 1))
    with pytest.raises(TypeError, match="LSTMCell"):
        lstm_cell_of(rc.models.SequenceRegressor("rnn", 3, [4], 1))
    with pytest.raises(ValueError, match="one-layer"):
        lstm_cell_of(nn.LSTM(3, 4, num_layers=2))


def test_record_gates_matches_the_cell_equations():
    torch.manual_seed(1)
    cell = rc.cells.LSTMCell(3, 2)
    x = encode("abb abab ab")  # (1, 11, 3)
    rec = record_gates(cell, x)
    assert set(rec) == set("ifgoch")
    assert all(v.shape == (11, 2) for v in rec.values())
    c_prev = np.zeros(2)
    for t in range(11):
        c = rec["f"][t] * c_prev + rec["i"][t] * rec["g"][t]
        np.testing.assert_allclose(rec["c"][t], c, rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(rec["h"][t], rec["o"][t] * np.tanh(c), rtol=1e-5, atol=1e-6)
        c_prev = c
    assert np.all((rec["i"] > 0) & (rec["i"] < 1)) and np.all(np.abs(rec["g"]) < 1)
    # the last hidden state is the one the unrolled network computes
    rec2 = rc.cells.Recurrent("lstm", 3, [2])
    rec2.cells[0] = cell
    with torch.no_grad():
        out, _ = rec2(x)
    np.testing.assert_allclose(rec["h"], out[0].numpy(), rtol=1e-5, atol=1e-6)


def test_record_gates_refuses_bad_input():
    cell = rc.cells.LSTMCell(3, 2)
    with pytest.raises(ValueError, match="one sequence"):
        record_gates(cell, torch.zeros(2, 5, 3))
    with pytest.raises(ValueError, match=r"\(time, 3\)"):
        record_gates(cell, torch.zeros(5, 4))
    with pytest.raises(ValueError, match="empty"):
        record_gates(cell, torch.zeros(0, 3))
    with pytest.raises(TypeError, match="lstm_cell_of"):
        record_gates(nn.LSTM(3, 2), torch.zeros(5, 3))


def test_a_small_lstm_learns_to_count():
    """The chapter's experiment in small: an LSTM learns the running count of a's."""
    torch.set_num_threads(1)
    x, y, _ = counting_data(200, 12, seed=0)
    rc.set_seed(0)
    model = rc.models.FastSequenceRegressor("lstm", 3, [4], 1)
    rc.train.fit(model, (x, y / 10), epochs=150, lr=0.03, batch_size=50, progress=False)
    xt, yt, _ = counting_data(100, 12, seed=1)
    with torch.no_grad():
        acc = float(((10 * model(xt)).round() == yt).float().mean())
    assert acc > 0.98, f"only {acc:.1%} of the counts are right: the LSTM did not learn to count"
