"""The chapter 6 checks pass on the solutions, and fail helpfully on the stub and on typical
mistakes, naming the mistake."""

import itertools

import pytest
import torch

import rnncourse as rc
from rnncourse.checks.ch06 import reference_lstm_step, reference_n_params


def lstm_step(x, h, c, W_x, W_h, b):
    """The solution of exercise 6.1."""
    i, f, g, o = (x @ W_x.T + h @ W_h.T + b).chunk(4, dim=-1)
    c_new = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
    return torch.sigmoid(o) * torch.tanh(c_new), c_new


def stub(*args):
    raise NotImplementedError()


def test_lstm_step_solution_passes():
    result = rc.checks.ch06.lstm_step(lstm_step)
    assert result and "PASSED" in str(result)


def test_lstm_step_reference_is_the_solution():
    assert rc.checks.ch06.lstm_step(lambda *a: reference_lstm_step(*a))
    r = rc.checks.ch06.lstm_step(reference_lstm_step)
    assert not r and "package's own" in r.message


def test_lstm_step_stub_is_not_yet():
    result = rc.checks.ch06.lstm_step(stub)
    assert not result and "not implemented yet" in str(result) and "NOT YET" in str(result)


@pytest.mark.parametrize("order", ["".join(p) for p in itertools.permutations("ifgo") if "".join(p) != "ifgo"])
def test_lstm_step_wrong_gate_order_is_named(order):
    result = rc.checks.ch06.lstm_step(lambda *a: reference_lstm_step(*a, order=order))
    assert not result and "gate order" in result.message and ", ".join(order) in result.message


@pytest.mark.parametrize("kwargs,words", [
    (dict(bias=False), "bias"),
    (dict(swap=True), "swapped"),
    (dict(tanh_c=False), "tanh"),
    (dict(forget=False), "forget gate"),
    (dict(old_c=True), "old cell state"),
    (dict(output_gate=False), "output gate is missing"),
    (dict(candidate_sigmoid=True), "candidate g uses tanh"),
    (dict(recurrent=False), "recurrent term"),
    (dict(coupled=True), "coupled-gate"),
    (dict(bias_twice=True), "added the bias b twice"),
    (dict(sigmoid_c=True), "squashed the cell state with the sigmoid"),
    (dict(interleaved=True), "gates are interleaved"),
])
def test_lstm_step_typical_mistakes_are_named(kwargs, words):
    result = rc.checks.ch06.lstm_step(lambda *a: reference_lstm_step(*a, **kwargs))
    assert not result and words in result.message


def test_lstm_step_swapped_pair_is_named():
    result = rc.checks.ch06.lstm_step(lambda *a: reference_lstm_step(*a)[::-1])
    assert not result and "(c_new, h_new)" in result.message, result.message


def test_n_params_message_grammar_and_readout_bias():
    r = rc.checks.ch06.n_params(lambda *cfg: reference_n_params(*cfg) - cfg[3])
    assert not r and "readout's bias" in r.message, r.message
    assert "your list of counts is not right" in r.message, r.message


def test_lstm_step_other_failures_are_readable():
    r = rc.checks.ch06.lstm_step(lambda x, h, c, W_x, W_h, b: x @ W_x)  # transposed weights
    assert not r and "raised" in r.message
    r = rc.checks.ch06.lstm_step(lambda *a: reference_lstm_step(*a)[0])  # only h returned
    assert not r and "pair" in r.message
    r = rc.checks.ch06.lstm_step(lambda *a: tuple(v + 0.1 for v in reference_lstm_step(*a)))
    assert not r and "largest difference" in r.message


def n_params(kind, input_size, hidden_sizes, output_size):
    """The solution of exercise 6.2."""
    gates = {"rnn": 1, "lstm": 4}[kind]
    total, n_in = 0, input_size
    for H in hidden_sizes:
        total += gates * (H * n_in + H * H + H)
        n_in = H
    return total + hidden_sizes[-1] * output_size + output_size


def test_n_params_solution_passes_and_stub_fails():
    assert rc.checks.ch06.n_params(n_params)
    r = rc.checks.ch06.n_params(stub)
    assert not r and "not implemented yet" in r.message


@pytest.mark.parametrize("kwargs,words", [
    (dict(readout=False), "readout"),
    (dict(biases_per_gate=2), "two bias"),
    (dict(biases_per_gate=0), "bias vectors"),
    (dict(gates=False), "four sets"),
    (dict(same_input=True), "previous layer"),
    (dict(bias_per_layer=True), "one bias vector per LSTM layer"),
    (dict(lstm_blocks=3), "three blocks per LSTM layer"),
    (dict(readout_from_first=True), "readout is sized from the first layer"),
    (dict(last_layer_only=True), "only the last layer"),
    (dict(recurrent=False), "recurrent weights W_hh"),
    (dict(rnn_blocks=4), "four blocks for the simple RNN"),
])
def test_n_params_typical_mistakes_are_named(kwargs, words):
    r = rc.checks.ch06.n_params(lambda *cfg: reference_n_params(*cfg, **kwargs))
    assert not r and words in r.message


def n_params_slip(kind, input_size, hidden_sizes, output_size, slip):
    """The solution of exercise 6.2 with one of the slips a student makes."""
    blocks = {"rnn": 4 if slip == "x4 rnn" else 1, "lstm": 3 if slip == "three blocks" else 4}[kind]
    total, n_in = 0, input_size
    for H in hidden_sizes:
        bias = H if slip == "one bias" else blocks * H
        recurrent = 0 if slip == "no H*H" else H * H
        if slip == "last only":
            total = blocks * (H * n_in + recurrent) + bias
        else:
            total += blocks * (H * n_in + recurrent) + bias
        n_in = H
    H_out = hidden_sizes[0] if slip == "first readout" else hidden_sizes[-1]
    return total + H_out * output_size + output_size


def test_n_params_float_count_is_refused():
    r = rc.checks.ch06.n_params(lambda *cfg: float(reference_n_params(*cfg)))
    assert not r and "a float" in r.message and "//" in r.message, r.message
    r = rc.checks.ch06.n_params(lambda *cfg: torch.tensor(float(reference_n_params(*cfg))))
    assert not r and "a float" in r.message, r.message
    assert rc.checks.ch06.n_params(lambda *cfg: torch.tensor(reference_n_params(*cfg)))


def test_n_params_unnamed_mistake_names_the_first_wrong_model():
    def off_by_one_for_stacks(kind, input_size, hidden_sizes, output_size):
        return reference_n_params(kind, input_size, hidden_sizes, output_size) + (len(hidden_sizes) > 1)
    r = rc.checks.ch06.n_params(off_by_one_for_stacks)
    assert not r and "For lstm 1 -> [5, 3] -> 1 you gave" in r.message, r.message
    assert "difference of +1" in r.message and "lstm and rnn models" in r.message, r.message
    r = rc.checks.ch06.n_params(lambda k, i, hs, o: reference_n_params(k, i, hs, o) + (k == "lstm"))
    assert not r and "For lstm 1 -> [5] -> 1" in r.message and "for lstm models" in r.message, r.message


@pytest.mark.parametrize("slip, words", [
    ("one bias", "one bias vector per LSTM layer"),
    ("no H*H", "recurrent weights W_hh"),
    ("x4 rnn", "four blocks for the simple RNN"),
    ("three blocks", "three blocks per LSTM layer"),
    ("first readout", "readout is sized from the first layer"),
    ("last only", "only the last layer"),
    (None, "PASSED"),
])
def test_n_params_slips_written_as_a_student_would(slip, words):
    r = rc.checks.ch06.n_params(lambda *cfg: n_params_slip(*cfg, slip))
    assert (slip is None) == bool(r) and words in str(r), r.message


def test_lstm_step_interleaved_gates_as_a_student_would():
    def step(x, h, c, W_x, W_h, b):
        a = x @ W_x.T + h @ W_h.T + b
        i, f, g, o = a.view(a.shape[0], -1, 4).unbind(-1)
        c_new = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
        return torch.sigmoid(o) * torch.tanh(c_new), c_new
    r = rc.checks.ch06.lstm_step(step)
    assert not r and "interleaved" in r.message, r.message


def test_lstm_step_bias_added_twice_as_a_student_would():
    def step(x, h, c, W_x, W_h, b):
        i, f, g, o = ((x @ W_x.T + b) + (h @ W_h.T + b)).chunk(4, dim=-1)
        c_new = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
        return torch.sigmoid(o) * torch.tanh(c_new), c_new
    r = rc.checks.ch06.lstm_step(step)
    assert not r and "added the bias b twice" in r.message, r.message


def test_n_params_non_numbers_are_refused():
    r = rc.checks.ch06.n_params(lambda *cfg: "146")
    assert not r  # a string converts to a float but the check still compares values
    r = rc.checks.ch06.n_params(lambda *cfg: None)
    assert not r and "expected a number" in r.message


def test_lstm_step_flattened_answer_is_named_not_reshaped():
    r = rc.checks.ch06.lstm_step(lambda *a: torch.cat(reference_lstm_step(*a), 1))
    assert not r and "flattened" in r.message
    r = rc.checks.ch06.lstm_step(lambda *a: torch.stack(reference_lstm_step(*a)).flatten())
    assert not r and "flattened" in r.message


def test_lstm_step_transposed_answer_is_named():
    r = rc.checks.ch06.lstm_step(lambda *a: tuple(v.T for v in reference_lstm_step(*a)))
    assert not r and "transposed" in r.message


def test_lstm_step_float32_gets_a_precision_hint():
    r = rc.checks.ch06.lstm_step(lambda *a: reference_lstm_step(*[t.float() for t in a]))
    assert not r and "float32" in r.message


# the reference answers, by check, that tests/test_checks_garbage.py spoils and replaces
SOLUTIONS = {"lstm_step": (lstm_step,), "n_params": (n_params,)}
