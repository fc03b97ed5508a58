"""Chapter 1 checks pass on the solutions and fail helpfully (never raise) on the stubs and
on the typical mistakes."""

import numpy as np
import pytest

from rnncourse.checks import ch01


def stub(*args):
    raise NotImplementedError()


# ---------------------------------------------------------------- 1.1 recursive filter

def rf_solution(x, a, b):
    h, out = 0.0, []
    for x_t in x:
        h = a * h + b * x_t
        out.append(h)
    return np.array(out)


def rf_previous_input(x, a, b):
    h, out, prev = 0.0, [], 0.0
    for x_t in x:
        h = a * h + b * prev
        prev = x_t
        out.append(h)
    return np.array(out)


def rf_no_b(x, a, b):
    return rf_solution(x, a, 1.0)


def rf_swapped(x, a, b):
    return rf_solution(x, b, a)


def rf_no_state(x, a, b):
    return np.array([b * x[t] + (a * x[t - 1] if t > 0 else 0.0) for t in range(len(x))])


def rf_start_at_x0(x, a, b):
    h, out = x[0], [x[0]]
    for x_t in x[1:]:
        h = a * h + b * x_t
        out.append(h)
    return np.array(out)


def rf_one_minus_a(x, a, b):
    h, out = 0.0, []
    for x_t in x:
        h = a * h + (1 - a) * x_t          # the exponential moving average's weights
        out.append(h)
    return np.array(out)


def rf_closed_form_off_by_one(x, a, b):
    T = len(x)
    return np.array([sum(a ** (t - k + 1) * b * x[k - 1] for k in range(1, t + 1))
                     for t in range(1, T + 1)])


def rf_with_h0(x, a, b):
    h, out = 0.0, [0.0]
    for x_t in x:
        h = a * h + b * x_t
        out.append(h)
    return np.array(out)


def rf_last_only(x, a, b):
    return rf_solution(x, a, b)[-1]


def rf_in_place(x, a, b):
    for t in range(len(x)):
        x[t] = a * (x[t - 1] if t > 0 else 0.0) + b * x[t]
    return x


def rf_no_return(x, a, b):
    rf_solution(x, a, b)


def rf_crash(x, a, b):
    return x[len(x) + 3]


def test_recursive_filter_solution_passes():
    r = ch01.recursive_filter(rf_solution)
    assert r.passed and "PASSED" in str(r)


@pytest.mark.parametrize("fn, words", [
    (stub, "not implemented yet"),
    (rf_previous_input, "x_{t-1}"),
    (rf_no_b, "coefficient b"),
    (rf_swapped, "swapped"),
    (rf_no_state, "carry the state"),
    (rf_start_at_x0, "h_1 = x_1"),
    (rf_last_only, "only the last state"),
    (rf_one_minus_a, "1 - a as the input coefficient"),
    (rf_closed_form_off_by_one, "a^(t-k+1)"),
    (rf_with_h0, "h_0 ... h_T: leave out the initial state"),
    (rf_in_place, "changed its input"),
    (rf_no_return, "None"),
    (rf_crash, "IndexError"),
    ("not a function", "expected a function"),
])
def test_recursive_filter_mistakes(fn, words):
    r = ch01.recursive_filter(fn)
    assert not r.passed and "NOT YET" in str(r)
    assert words in r.message, r.message
    assert "check itself failed" not in r.message


# ---------------------------------------------------------------- 1.2 moving average

def ma_solution(x, L):
    y = np.zeros(len(x))
    for t in range(len(x)):
        y[t] = sum(x[t - k] for k in range(L) if t - k >= 0) / L
    return y


def ma_numpy(x, L):
    return np.convolve(x, np.ones(L) / L)[: len(x)]


def ma_sum(x, L):
    return ma_solution(x, L) * L


def ma_same(x, L):
    return np.convolve(x, np.ones(L) / L, mode="same")


def ma_valid(x, L):
    return np.convolve(x, np.ones(L) / L, mode="valid")


def ma_skips_current(x, L):
    return np.concatenate([[0.0], ma_solution(x, L)[:-1]])


def ma_too_long(x, L):
    return np.convolve(x, np.ones(L + 1) / L)[: len(x)]


def ma_partial(x, L):
    return np.array([np.mean(x[max(0, t - L + 1): t + 1]) for t in range(len(x))])


def ma_future(x, L):
    return np.array([x[t:t + L].sum() / L for t in range(len(x))])


def ma_future_mean(x, L):
    return np.array([x[t:t + L].mean() for t in range(len(x))])


def ma_zeros_first(x, L):
    y = np.zeros(len(x))
    for t in range(L - 1, len(x)):
        y[t] = x[t - L + 1:t + 1].mean()
    return y


def test_moving_average_solutions_pass():
    assert ch01.moving_average(ma_solution).passed
    assert ch01.moving_average(ma_numpy).passed


@pytest.mark.parametrize("fn, words", [
    (stub, "not implemented yet"),
    (ma_sum, "divide by L"),
    (ma_same, "centred"),
    (ma_valid, "'valid'"),
    (ma_skips_current, "skips the current input"),
    (ma_too_long, "L + 1 terms"),
    (ma_partial, "number of inputs seen so far"),
    (ma_future, "looks ahead"),
    (ma_future_mean, "looks ahead"),
    (ma_zeros_first, "first L - 1 outputs are zeros"),
])
def test_moving_average_mistakes(fn, words):
    r = ch01.moving_average(fn)
    assert not r.passed and "NOT YET" in str(r)
    assert words in r.message, r.message


# ---------------------------------------------------------------- 1.5 parameter counts

def mlp_solution(L, H):
    return L * H + H + H + 1


def rnn_solution(H):
    return H + H * H + H + H + 1


def test_parameter_counts_solution_passes():
    r = ch01.parameter_counts(mlp_solution, rnn_solution)
    assert r.passed, r.message
    assert "does not depend on L" in r.message


@pytest.mark.parametrize("mlp, rnn, words", [
    (stub, stub, "not implemented yet"),
    (mlp_solution, stub, "not implemented yet"),
    (lambda L, H: L * H + H, rnn_solution, "left out every bias"),
    (lambda L, H: L * H + H + 1, rnn_solution, "biases of the hidden units"),
    (lambda L, H: L * H + 2 * H, rnn_solution, "output unit's bias"),
    (lambda L, H: L + 2 * H + 1, rnn_solution, "L * H weights"),
    (lambda L, H: (L + 1) * H + H + H + 1, rnn_solution, "You counted L + 1 inputs"),
    (mlp_solution, lambda H: H + H + H + H + 1, "You counted H recurrent weights"),
    (lambda L, H: L * H + 2 * H + 1.5, rnn_solution, "not a whole number"),
    (lambda L, H: None, rnn_solution, "None"),
    (mlp_solution, lambda H: 3 * H + 1, "recurrent weights W_hh"),
    (mlp_solution, lambda H: H * H + 4 * H + 1, "two bias vectors"),
    (mlp_solution, lambda H: H * H + 2 * H, "left out the biases"),
    (mlp_solution, lambda H: H * H + 3 * H, "output bias"),
    (mlp_solution, lambda H: "many", "should return a number"),
])
def test_parameter_counts_mistakes(mlp, rnn, words):
    r = ch01.parameter_counts(mlp, rnn)
    assert not r.passed and "NOT YET" in str(r)
    assert words in r.message, r.message


@pytest.mark.parametrize("mlp, rnn", [
    (lambda L, H: L * H + H, rnn_solution),
    (lambda L, H: L + 2 * H + 1, rnn_solution),
    (lambda L, H: L * H, rnn_solution),                 # no named hint: the general one
    (mlp_solution, lambda H: 3 * H + 1),
    (mlp_solution, lambda H: 7),
])
def test_parameter_counts_hints_start_a_sentence_with_a_capital(mlp, rnn):
    message = ch01.parameter_counts(mlp, rnn).message
    hint = message.split("trainable weights. ", 1)[1]
    assert hint[0].isupper(), message


def test_a_check_given_too_few_answers_blames_the_call_not_itself():
    result = ch01.parameter_counts(lambda L, H: L * H)
    assert not result.passed
    assert "report this to your instructor" not in result.message
    assert "takes 2 answer(s), count_window_mlp, count_rnn" in result.message


# the reference answers, by check, that tests/test_checks_garbage.py spoils and replaces
SOLUTIONS = {"recursive_filter": (rf_solution,), "moving_average": (ma_solution,),
             "parameter_counts": (mlp_solution, rnn_solution)}
