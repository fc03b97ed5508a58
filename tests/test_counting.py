"""Counting strings, their encoding and the gate recorder of chapter 6."""

import numpy as np
import pytest
import torch
from torch import nn

import rnncourse as rc
from rnncourse.chapters.ch06 import (ALPHABET, counting_data, counting_strings, encode,
                                gate_trace, running_count)


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


@pytest.mark.parametrize("fast", [True, False])
def test_gate_trace_matches_the_cell_equations_and_the_layer(fast):
    torch.manual_seed(1)
    model = rc.models.SequenceRegressor("lstm", 3, [2], 1, fast=fast)
    x = encode("abb abab ab")  # (1, 11, 3)
    rec = gate_trace(model, x)
    assert set(rec) == set("ifgoch")
    assert all(v.shape == (11, 2) for v in rec.values())
    c_prev = np.zeros(2)
    for t in range(11):
        c = rec["f"][t] * c_prev + rec["i"][t] * rec["g"][t]
        np.testing.assert_allclose(rec["c"][t], c, rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(rec["h"][t], rec["o"][t] * np.tanh(c), rtol=1e-5, atol=1e-6)
        c_prev = c
    assert np.all((rec["i"] > 0) & (rec["i"] < 1)) and np.all(np.abs(rec["g"]) < 1)
    # the recorded h is what the (fast or from-scratch) layer computes
    with torch.no_grad():
        out, _ = model.rnn(x)
    np.testing.assert_allclose(rec["h"], out[0].numpy(), rtol=1e-5, atol=1e-6)


def test_gate_trace_refuses_bad_input():
    model = rc.models.SequenceRegressor("lstm", 3, [2], 1)
    with pytest.raises(ValueError, match="one sequence"):
        gate_trace(model, torch.zeros(2, 5, 3))
    with pytest.raises(ValueError, match="3 input features"):
        gate_trace(model, torch.zeros(5, 4))
    with pytest.raises(ValueError, match="empty"):
        gate_trace(model, torch.zeros(0, 3))
    with pytest.raises(TypeError, match="Recurrent"):
        gate_trace(nn.LSTM(3, 2), torch.zeros(5, 3))


def test_a_small_lstm_learns_to_count(one_thread):
    """The chapter's experiment in small: an LSTM learns the running count of a's."""
    x, y, _ = counting_data(200, 12, seed=0)
    rc.set_seed(0)
    model = rc.models.SequenceRegressor("lstm", 3, [4], 1, fast=True)
    rc.train.fit(model, (x, y / 10), epochs=60, lr=0.03, batch_size=50, progress=False)  # 99.4-99.9 % at seeds 0-2
    xt, yt, _ = counting_data(100, 12, seed=1)
    with torch.no_grad():
        acc = float(((10 * model(xt)).round() == yt).float().mean())
    assert acc > 0.98, f"only {acc:.1%} of the counts are right: the LSTM did not learn to count"


def test_recall_run_learns_a_short_delay_and_measures_the_cue_gradient():
    from rnncourse.chapters.ch06 import RecallRun, recall_run

    run = recall_run("rnn", delay=3, hidden=8, epochs=150, n_train=200, n_test=200)
    assert isinstance(run, RecallRun)
    assert run.accuracy > 0.95 and run.loss < 0.1                    # a 3-step delay is easy
    assert run.weights == 8 * 4 + 8 * 8 + 8 + 8 * 4 + 4              # fast layer: one bias per unit
    assert 0 < run.cue_gradient < 10
    short = dict(delay=3, hidden=8, epochs=5, n_train=50, n_test=20, seed=4)
    assert recall_run("rnn", **short) == recall_run("rnn", **short)  # seeded: the same run twice


def test_recall_run_open_forget_gate_lets_more_gradient_reach_the_cue():
    from rnncourse.chapters.ch06 import recall_run

    shut = recall_run("lstm", delay=30, hidden=8, epochs=1, n_train=50, n_test=10)
    open_ = recall_run("lstm", delay=30, hidden=8, epochs=1, n_train=50, n_test=10, forget_bias=3.0)
    assert open_.cue_gradient > 1e3 * shut.cue_gradient
    assert open_.weights == shut.weights == 4 * (8 * 4 + 8 * 8 + 8) + 8 * 4 + 4


def test_recall_cue_gradient_is_recall_runs_measurement_without_training():
    from rnncourse.chapters.ch06 import recall_cue_gradient, recall_run

    kw = dict(delay=5, hidden=6, n_train=40, seed=3, forget_bias=1.0)
    run = recall_run("lstm", epochs=1, n_test=5, **kw)
    weights, cue = recall_cue_gradient("lstm", **kw)
    assert weights == run.weights and cue == run.cue_gradient      # the same model, untrained
    with pytest.raises(ValueError, match="forget_bias applies to an LSTM"):
        recall_cue_gradient("rnn", forget_bias=2.0)


def test_recall_run_refuses_bad_arguments():
    from rnncourse.chapters.ch06 import recall_run

    with pytest.raises(ValueError, match="'rnn', 'lstm' or 'gru'"):
        recall_run("transformer")
    with pytest.raises(ValueError, match="forget_bias applies to an LSTM"):
        recall_run("gru", forget_bias=1.0)
    with pytest.raises(ValueError, match="delay"):
        recall_run("rnn", delay=0)
