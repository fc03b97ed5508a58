"""Every exercise check, fed garbage, fails with a message that says what it expected.

A check must never answer "the check itself failed ... please report this" for an answer of
the wrong form: that last-resort branch is kept for real bugs in a check. Each check is fed
constant garbage (a string, a dict, None, a list, tuples of the wrong length, a bool, a
complex number, NaN, a tensor that requires grad), garbage derived from its reference
answer (None inside the tuple, one example's state instead of the batch's, integer, boolean
and complex dtypes, NaN, lists instead of tensors) and broken functions (missing or extra
arguments, raising, not a function). The reference solutions of the chapter tests still pass.

The checks are found, not listed: every ``@check`` in ``rnncourse/checks/chNN.py`` declares
the kinds of answer it accepts (``accepts=("numbers", "tuple of 2", "tensor")``, words from
``rc.checks.ANSWER_KINDS``), which choose the spoiled answers it is fed, and
``tests/test_checks_chNN.py`` gives its reference solution in ``SOLUTIONS`` (check name ->
the student functions it is called with). A check without either fails
``test_every_check_declares_what_it_accepts_and_has_a_solution``, which names it.
"""

import importlib
import inspect
import math
import types
from pathlib import Path

import numpy as np
import pytest
import torch

import rnncourse.checks
from rnncourse.checks import ANSWER_KINDS, CheckResult, tuple_size


def chapter_check_modules():
    """Every ``rnncourse/checks/chNN.py``, imported."""
    folder = Path(rnncourse.checks.__file__).parent
    return [importlib.import_module(f"rnncourse.checks.{path.stem}")
            for path in sorted(folder.glob("ch[0-9]*.py"))]


def _solutions_of(module) -> dict:
    """The ``SOLUTIONS`` of the module's ``tests/test_checks_chNN.py`` ({} if none)."""
    chapter = module.__name__.rsplit(".", 1)[1]
    try:
        tests = importlib.import_module(f"test_checks_{chapter}")
    except ModuleNotFoundError as e:
        if e.name != f"test_checks_{chapter}":
            raise
        return {}
    return getattr(tests, "SOLUTIONS", {})


def discover(modules, solutions_of=_solutions_of):
    """``({"6.1 lstm_step": (check, solutions, accepts), ...}, problems)``: the checks defined
    in ``modules`` that can be fed garbage, and one line for each check that cannot (no
    ``accepts`` declared, or no reference solution)."""
    found, problems = {}, []
    for module in modules:
        solutions = solutions_of(module)
        for attr, fn in vars(module).items():
            if not hasattr(fn, "exercise") or getattr(fn, "__module__", None) != module.__name__:
                continue
            name = f"{fn.exercise} {attr}"
            where = f"{module.__name__}.{attr} (exercise {fn.exercise})"
            if not getattr(fn, "accepts", None):
                problems.append(f"{where} declares no kinds of answer: add accepts=(...) to its "
                                f"@check, words from {sorted(ANSWER_KINDS)}")
            if attr not in solutions:
                problems.append(f"{where} has no reference solution: add {attr!r} to SOLUTIONS "
                                f"in tests/test_checks_{module.__name__.rsplit('.', 1)[1]}.py")
            elif getattr(fn, "accepts", None):
                found[name] = (fn, tuple(solutions[attr]), fn.accepts)
    return found, problems


CHECKS, PROBLEMS = discover(chapter_check_modules())


def test_every_check_declares_what_it_accepts_and_has_a_solution():
    assert not PROBLEMS, "\n".join(PROBLEMS)
    assert len(CHECKS) >= 28  # the twelve chapters' checks, at least
    for check, _, _ in CHECKS.values():
        assert len(check.expects) > 20, check.__name__


def test_a_check_without_a_declaration_fails_by_name():
    module = types.ModuleType("rnncourse.checks.ch99")

    @rnncourse.checks.check("99.1", expects="forgotten(x) returning one number, undeclared")
    def forgotten(student_fn):
        return "correct"

    forgotten.__module__ = module.__name__
    module.forgotten = forgotten
    found, problems = discover([module], solutions_of=lambda m: {"forgotten": (abs,)})
    assert not found
    assert len(problems) == 1 and "rnncourse.checks.ch99.forgotten (exercise 99.1)" in problems[0]
    assert "declares no kinds of answer" in problems[0]
    _, problems = discover([module], solutions_of=lambda m: {})
    assert any("no reference solution" in p and "forgotten" in p for p in problems)


def test_a_declaration_with_unknown_words_is_refused_where_it_is_written():
    with pytest.raises(ValueError, match="99.2 typo.*unknown kind"):
        @rnncourse.checks.check("99.2", expects="typo(x) returning one number", accepts=("number",))
        def typo(student_fn):
            return "correct"
    with pytest.raises(ValueError, match="exactly one"):
        rnncourse.checks.check("99.3", accepts=("tensor",))(lambda student_fn: "correct")


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


DERIVED = {  # kind -> (which checks it applies to, by their accepts, how the answer is spoiled)
    "integer dtype": (lambda kinds: "numbers" in kinds and "integers named" not in kinds,
                      lambda out: _map_leaves(out, lambda v: _cast(v, np.int64, torch.int64, int))),
    "boolean dtype": (lambda kinds: "numbers" in kinds,
                      lambda out: _map_leaves(out, lambda v: _cast(v, bool, torch.bool, bool))),
    "complex dtype": (lambda kinds: "numbers" in kinds,
                      lambda out: _map_leaves(out, lambda v: _cast(
                          v, np.complex128, torch.complex128, complex))),
    "NaN inside": (lambda kinds: "numbers" in kinds, lambda out: _map_leaves(out, _nan)),
    "one example's state": (lambda kinds: "batch" in kinds,
                            lambda out: _map_leaves(out, _first_row)),
    "lists instead of tensors": (lambda kinds: "tensor" in kinds,
                                 lambda out: _map_leaves(out, _tolist)),
    "wrong-shape tensors that require grad": (
        lambda kinds: "numbers" in kinds,
        lambda out: _map_leaves(out, lambda v: torch.zeros(2, dtype=torch.float64,
                                                           requires_grad=True))),
    "the tuple without its last value": (lambda kinds: tuple_size(kinds) is not None,
                                         lambda out: type(out)(out[:-1])),
    "the tuple with one value more": (lambda kinds: tuple_size(kinds) is not None,
                                      lambda out: type(out)(list(out) + [out[-1]])),
    "a dict instead of the tuple": (lambda kinds: tuple_size(kinds) is not None,
                                    lambda out: {i: v for i, v in enumerate(out)}),
}
for _i in range(4):
    DERIVED[f"None as value {_i + 1} of the tuple"] = (
        lambda kinds, i=_i: i < (tuple_size(kinds) or 0),
        lambda out, i=_i: type(out)(None if j == i else v for j, v in enumerate(out)))


def _spoiled(solution, spoil):
    def student(*args):
        return spoil(solution(*args))
    return student


def derived_cases():
    for name, (check, solutions, accepts) in CHECKS.items():
        for kind, (applies, _) in DERIVED.items():
            if applies(accepts):
                yield pytest.param(name, kind, id=f"{name}-{kind}")


@pytest.mark.parametrize("name, kind", list(derived_cases()))
def test_spoiled_reference_answers_are_refused_with_what_was_expected(name, kind):
    check, solutions, _ = CHECKS[name]
    spoil = DERIVED[kind][1]
    for i in range(len(solutions)):
        result = check(*_replace(solutions, i, _spoiled(solutions[i], spoil)))
        assert_helpful_failure(result)


def test_none_inside_dict_of_new_params():
    online_step, (online_ok,), _ = CHECKS["3.2 online_step"]

    def student(*args):
        new, ctx, loss = online_ok(*args)
        return {**new, "b_h": None}, ctx, loss
    assert_helpful_failure(online_step(student))


# ---------------------------------------------------------------- precision and gradients

def _in_float32(solution):
    """The solution, computing in float32 (its float inputs cast down)."""
    def student(*args):
        to32 = lambda v: _cast(v, np.float32, torch.float32, lambda x: x)
        return solution(*(_map_leaves(a, to32) for a in args))
    return student


@pytest.mark.parametrize("name", [n for n, (_, _, kinds) in CHECKS.items() if "count" not in kinds])
def test_float32_answers_pass_or_get_a_precision_hint(name):
    check, solutions, _ = CHECKS[name]
    result = check(_in_float32(solutions[0]), *solutions[1:])
    if not result.passed:
        assert_helpful_failure(result)
        assert "float32" in result.message and "float64" in result.message, result.message


@pytest.mark.parametrize("name", ["6.1 lstm_step", "7.1 gru_step"])
def test_float32_where_float64_matters_gets_a_precision_hint(name):
    check, (solution,), _ = CHECKS[name]
    result = check(_in_float32(solution))
    assert not result.passed
    assert "float32 precision" in result.message and "expected float64" in result.message, \
        result.message


@pytest.mark.parametrize("name", [n for n, (_, _, kinds) in CHECKS.items()
                                  # 12.2 requires autograd history back to its inputs (a
                                  # detached answer hides a loop over time in NumPy)
                                  if "count" not in kinds
                                  and n not in ("3.2 online_step", "12.2 scan")])
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

    @rnncourse.checks.check("0.9", expects="f(x) returning an array of shape (3,)",
                            accepts=("numbers",))
    def buggy(fn):
        rnncourse.checks.call(fn, 1.0)
        raise KeyError("oops")

    r = buggy(lambda x: "abc")
    assert not r
    assert r.message.startswith("could not use your answer: expected f(x) returning an array of "
                                "shape (3,), got the string 'abc'")
    assert "the check itself failed" in r.message and "KeyError" in r.message
