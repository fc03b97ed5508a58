"""Every exercise check, fed garbage, fails with a message that says what it expected.

A check must never answer "the check itself failed ... please report this" for an answer of
the wrong form: that last-resort branch is kept for real bugs in a check. Each check is fed
constant garbage (a string, a dict, None, a list, tuples of the wrong length, a bool, a
complex number, NaN, a tensor that requires grad), garbage derived from its reference
answer (None inside the tuple, one example's state instead of the batch's, integer, boolean
and complex dtypes, NaN, lists instead of tensors) and broken functions (missing or extra
arguments, raising, not a function). The reference solutions of the chapter tests still pass.
"""

import inspect
import math

import numpy as np
import pytest
import torch

import rnncourse as rc
from rnncourse.checks import CheckResult, ch01, ch02, ch03, ch04, ch05, ch06, ch07, ch08, ch09, ch10, ch11, ch12

from test_checks_ch01 import ma_solution, mlp_solution, rf_solution, rnn_solution
from test_checks_ch02 import fit_ar_ok, nmse_ok
from test_checks_ch03 import online_ok, step_ok
from test_checks_ch04 import solution_cd, solution_step
from test_checks_ch05 import clip_ok, scale_ok
from test_checks_ch06 import lstm_step, n_params
from test_checks_ch07 import after_pulse_and_at_rest, make_step
from test_checks_ch08 import make_bidirectional, make_bound
from test_checks_ch12 import combine_ok, scan_ok
from test_checks_ch11 import bleu_ok, caption_ok
from test_checks_ch09 import _sample_text, bigram_cross_entropy, bits_and_perplexity, sample_next
from test_checks_ch10 import make_attention, make_scores


def gradient_norm(rho, lag):
    return rho ** lag


# name -> (check, the student functions it is given, kinds of answer)
#   tuple: the answer is a tuple (or list) of n values ("tuple of n"); batch: it holds
#   (batch, H) states;
#   tensor: the exercise returns tensors (a list is refused); count: the answer is a count;
#   text: the answer is a string; int named: an integer answer is a mistake the check names
CHECKS = {
    "1.1 recursive_filter": (ch01.recursive_filter, (rf_solution,), set()),
    "1.2 moving_average": (ch01.moving_average, (ma_solution,), set()),
    "1.5 parameter_counts": (ch01.parameter_counts, (mlp_solution, rnn_solution), {"count"}),
    "2.1 nmse": (ch02.nmse, (nmse_ok,), set()),
    "2.2 fit_ar": (ch02.fit_ar, (fit_ar_ok,), {"tuple", "tuple of 2"}),
    "3.1 elman_step": (ch03.elman_step, (step_ok,), {"tuple", "tuple of 2", "batch", "tensor"}),
    "3.2 online_step": (ch03.online_step, (online_ok,), {"tuple", "tuple of 3", "batch", "tensor"}),
    "4.1 bptt_step": (ch04.bptt_step, (solution_step,), {"tuple", "tuple of 4", "batch"}),
    "4.2 central_difference": (ch04.central_difference, (solution_cd,), set()),
    "5.1 scale_to_radius": (ch05.scale_to_radius, (scale_ok,), {"tensor"}),
    "5.2 predicted_gradient_norm": (ch05.predicted_gradient_norm, (gradient_norm,), set()),
    "5.3 clip_by_norm": (ch05.clip_by_norm, (clip_ok,), {"tuple", "tuple of 3", "tensor"}),
    "6.1 lstm_step": (ch06.lstm_step, (lstm_step,), {"tuple", "tuple of 2", "batch", "tensor"}),
    "6.2 n_params": (ch06.n_params, (n_params,), {"count"}),
    "7.1 gru_step": (ch07.gru_step, (make_step(),), {"batch", "tensor"}),
    "7.2 after_pulse_and_at_rest": (ch07.after_pulse_and_at_rest, (after_pulse_and_at_rest,),
                                    {"tuple", "tuple of 2", "tensor"}),
    "8.1 bidirectional": (ch08.bidirectional, (make_bidirectional(),), {"tensor"}),
    # an int 0 is what a forgotten guess term returns (sum over an empty range): the check
    # names that mistake, so the integer-dtype spoiler does not apply
    "8.2 causal_bound": (ch08.causal_bound, (make_bound(),), {"int named"}),
    "12.1 combine": (ch12.combine, (combine_ok,), {"tuple", "tuple of 2", "tensor"}),
    "12.2 scan": (ch12.scan, (scan_ok,), {"tensor"}),
    "11.1 sentence_bleu": (ch11.sentence_bleu, (bleu_ok,), set()),
    "11.2 caption": (ch11.caption, (caption_ok,), {"text"}),
    # the draws are ids (whole numbers): "count" skips the dtype spoilers, which do not apply
    "9.1 sample_next": (ch09.sample_next, (sample_next,), {"count"}),
    "9.2 bits_and_perplexity": (ch09.bits_and_perplexity, (bits_and_perplexity,), {"tuple", "tuple of 2"}),
    "9.3 bigram_cross_entropy": (ch09.bigram_cross_entropy, (bigram_cross_entropy,), set()),
    "9.4 sample_text": (ch09.sample_text, (_sample_text(),), {"count"}),
    "10.1 attention_step": (ch10.attention_step, (make_attention(),),
                            {"tuple", "tuple of 2", "batch", "tensor"}),
    "10.2 sequence_scores": (ch10.sequence_scores, (make_scores(),), {"tuple", "tuple of 2"}),
}


def test_every_check_is_covered_and_states_what_it_expects():
    found = {f"{fn.exercise} {name}" for module in (ch01, ch02, ch03, ch04, ch05, ch06, ch07, ch08, ch09, ch10, ch11, ch12)
             for name, fn in vars(module).items() if hasattr(fn, "exercise")}
    assert found == set(CHECKS)
    for check, _, _ in CHECKS.values():
        assert len(check.expects) > 20, check.__name__


@pytest.mark.parametrize("name", CHECKS)
def test_every_check_passes_on_its_reference_solution(name):
    check, solutions, _ = CHECKS[name]
    result = check(*solutions)
    assert isinstance(result, CheckResult) and result.passed, result.message


# ---------------------------------------------------------------- garbage answers

def assert_helpful_failure(result):
    assert isinstance(result, CheckResult)
    assert not result.passed, result.message
    message = result.message
    assert "check itself failed" not in message and "report this" not in message, message
    assert "could not use your answer" not in message, message
    assert "expected" in message.lower(), message
    assert "NOT YET" in str(result)


CONSTANTS = {
    "a string": "h_t",
    "a dict": {"h": 1.0},
    "None": None,
    "a list": [0.5, 1.5],
    "an empty tuple": (),
    "a tuple of five": (0.5, 1.5, 2.5, 3.5, 4.5),
    "a bool": True,
    "a complex number": 1.5 + 2j,
    "NaN": math.nan,
    "a tensor that requires grad": torch.zeros(2, dtype=torch.float64, requires_grad=True),
    "a set": {0.5},
}


def _with_arity(k, body="return 0.5"):
    namespace = {}
    exec(f"def student({', '.join(f'a{i}' for i in range(k))}):\n    {body}", namespace)
    return namespace["student"]


def _arity(fn):
    return len(inspect.signature(fn).parameters)


def _replace(solutions, i, fn):
    return tuple(fn if j == i else s for j, s in enumerate(solutions))


def constant_cases():
    for name, (check, solutions, _) in CHECKS.items():
        for i in range(len(solutions)):
            for kind in CONSTANTS:
                yield pytest.param(name, i, kind, id=f"{name}-arg{i}-{kind}")


@pytest.mark.parametrize("name, position, kind", list(constant_cases()))
def test_constant_garbage_is_refused_with_what_was_expected(name, position, kind):
    check, solutions, _ = CHECKS[name]
    value = CONSTANTS[kind]
    result = check(*_replace(solutions, position, lambda *args: value))
    assert_helpful_failure(result)


BROKEN = {
    "a missing argument": lambda n: _with_arity(n - 1),
    "an extra argument": lambda n: _with_arity(n + 1),
    "a function that raises": lambda n: _with_arity(n, "raise ValueError('boom')"),
    "a function that calls an undefined name": lambda n: _with_arity(n, "return undefined_h"),
    "a string instead of a function": lambda n: "my_function",
    "a number instead of a function": lambda n: 42,
    "None instead of a function": lambda n: None,
    "the result of calling the function": lambda n: np.zeros(3),
}


def broken_cases():
    for name, (check, solutions, _) in CHECKS.items():
        for i in range(len(solutions)):
            for kind in BROKEN:
                yield pytest.param(name, i, kind, id=f"{name}-arg{i}-{kind}")


@pytest.mark.parametrize("name, position, kind", list(broken_cases()))
def test_broken_functions_are_refused_with_what_was_expected(name, position, kind):
    check, solutions, _ = CHECKS[name]
    student = BROKEN[kind](_arity(solutions[position]))
    result = check(*_replace(solutions, position, student))
    assert_helpful_failure(result)
    if "argument" in kind:
        assert "cannot be called with" in result.message, result.message


# ---------------------------------------------------------------- garbage from the reference

def _is_float(v):
    if isinstance(v, torch.Tensor):
        return v.is_floating_point()
    if isinstance(v, np.ndarray):
        return v.dtype.kind == "f"
    return isinstance(v, (float, np.floating))


def _map_leaves(value, fn):
    if isinstance(value, tuple):
        return tuple(_map_leaves(v, fn) for v in value)
    if isinstance(value, list):
        return [_map_leaves(v, fn) for v in value]
    if isinstance(value, dict):
        return {k: _map_leaves(v, fn) for k, v in value.items()}
    return fn(value) if _is_float(value) else value


def _cast(v, np_dtype, torch_dtype, scalar):
    if isinstance(v, torch.Tensor):
        return v.detach().to(torch_dtype)
    if isinstance(v, np.ndarray):
        return v.astype(np_dtype)
    return scalar(v)


def _nan(v):
    if isinstance(v, torch.Tensor):
        return torch.full_like(v, math.nan)
    if isinstance(v, np.ndarray):
        return np.full_like(v, math.nan)
    return math.nan


def _first_row(v):
    return v[0] if getattr(v, "ndim", 0) == 2 else v


def _tolist(v):
    return v.tolist() if isinstance(v, (torch.Tensor, np.ndarray)) and v.ndim > 0 else v


DERIVED = {  # kind -> (which checks it applies to, how the answer is spoiled)
    "integer dtype": (lambda flags: not flags & {"count", "text", "int named"},
                      lambda out: _map_leaves(out, lambda v: _cast(v, np.int64, torch.int64, int))),
    "boolean dtype": (lambda flags: not flags & {"count", "text"},
                      lambda out: _map_leaves(out, lambda v: _cast(v, bool, torch.bool, bool))),
    "complex dtype": (lambda flags: not flags & {"count", "text"},
                      lambda out: _map_leaves(out, lambda v: _cast(
                          v, np.complex128, torch.complex128, complex))),
    "NaN inside": (lambda flags: not flags & {"count", "text"}, lambda out: _map_leaves(out, _nan)),
    "one example's state": (lambda flags: "batch" in flags,
                            lambda out: _map_leaves(out, _first_row)),
    "lists instead of tensors": (lambda flags: "tensor" in flags,
                                 lambda out: _map_leaves(out, _tolist)),
    "wrong-shape tensors that require grad": (
        lambda flags: not flags & {"count", "text"},
        lambda out: _map_leaves(out, lambda v: torch.zeros(2, dtype=torch.float64,
                                                           requires_grad=True))),
    "the tuple without its last value": (lambda flags: "tuple" in flags,
                                         lambda out: type(out)(out[:-1])),
    "the tuple with one value more": (lambda flags: "tuple" in flags,
                                      lambda out: type(out)(list(out) + [out[-1]])),
    "a dict instead of the tuple": (lambda flags: "tuple" in flags,
                                    lambda out: {i: v for i, v in enumerate(out)}),
}
for _i in range(4):
    DERIVED[f"None as value {_i + 1} of the tuple"] = (
        lambda flags, i=_i: any(f.startswith("tuple of ") and i < int(f[9:]) for f in flags),
        lambda out, i=_i: type(out)(None if j == i else v for j, v in enumerate(out)))


def _spoiled(solution, spoil):
    def student(*args):
        return spoil(solution(*args))
    return student


def derived_cases():
    for name, (check, solutions, flags) in CHECKS.items():
        for kind, (applies, _) in DERIVED.items():
            if applies(flags):
                yield pytest.param(name, kind, id=f"{name}-{kind}")


@pytest.mark.parametrize("name, kind", list(derived_cases()))
def test_spoiled_reference_answers_are_refused_with_what_was_expected(name, kind):
    check, solutions, flags = CHECKS[name]
    spoil = DERIVED[kind][1]
    for i in range(len(solutions)):
        result = check(*_replace(solutions, i, _spoiled(solutions[i], spoil)))
        assert_helpful_failure(result)


def test_none_inside_dict_of_new_params():
    def student(*args):
        new, ctx, loss = online_ok(*args)
        return {**new, "b_h": None}, ctx, loss
    assert_helpful_failure(ch03.online_step(student))


# ---------------------------------------------------------------- precision and gradients

def _in_float32(solution):
    """The solution, computing in float32 (its float inputs cast down)."""
    def student(*args):
        to32 = lambda v: _cast(v, np.float32, torch.float32, lambda x: x)
        return solution(*(_map_leaves(a, to32) for a in args))
    return student


@pytest.mark.parametrize("name", [n for n, (_, _, flags) in CHECKS.items() if "count" not in flags])
def test_float32_answers_pass_or_get_a_precision_hint(name):
    check, solutions, _ = CHECKS[name]
    result = check(_in_float32(solutions[0]), *solutions[1:])
    if not result.passed:
        assert_helpful_failure(result)
        assert "float32" in result.message and "float64" in result.message, result.message


@pytest.mark.parametrize("check, solution", [(ch06.lstm_step, lstm_step),
                                             (ch07.gru_step, make_step())])
def test_float32_where_float64_matters_gets_a_precision_hint(check, solution):
    result = check(_in_float32(solution))
    assert not result.passed
    assert "float32 precision" in result.message and "expected float64" in result.message, \
        result.message


@pytest.mark.parametrize("name", [n for n, (_, _, flags) in CHECKS.items()
                                  if "count" not in flags and n != "3.2 online_step"])
def test_right_answers_as_tensors_that_require_grad_still_pass(name):
    check, solutions, _ = CHECKS[name]

    def grad(v):
        t = v.detach().clone() if isinstance(v, torch.Tensor) else torch.as_tensor(
            np.asarray(v, dtype=np.float64))
        return t.requires_grad_(True)

    result = check(_spoiled(solutions[0], lambda out: _map_leaves(out, grad)), *solutions[1:])
    assert result.passed, result.message


def test_the_last_resort_message_says_expected_and_got():
    result = CHECKS["6.1 lstm_step"][0]  # a real check keeps its expects text
    assert "lstm_step(x, h, c, W_x, W_h, b)" in result.expects

    @rc.checks.check("0.9", expects="f(x) returning an array of shape (3,)")
    def buggy(fn):
        rc.checks.call(fn, 1.0)
        raise KeyError("oops")

    r = buggy(lambda x: "abc")
    assert not r
    assert r.message.startswith("could not use your answer: expected f(x) returning an array of "
                                "shape (3,), got the string 'abc'")
    assert "the check itself failed" in r.message and "KeyError" in r.message
