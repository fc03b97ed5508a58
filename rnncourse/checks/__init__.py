"""Exercise checks: a clear pass / fail message, never a crash.

A chapter's checks live in ``rnncourse/checks/chNN.py`` and are called from the notebooks as
``rc.checks.ch02.nmse(my_nmse)``. Each check returns a :class:`CheckResult`, which prints as
one line (PASSED or NOT YET, in words every font can show, plus a hint) and is truthy only if
the exercise is solved.

Writing a check:

.. code-block:: python

    @check("2.1", expects="nmse(y, y_hat, variance) returning one number", accepts=("numbers",))
    def nmse(student_fn):
        got = call(student_fn, y, y_hat, var)          # runs the student's code safely
        as_number(got, "nmse")                         # one number, or "expected ..."
        compare(got, expected, "NMSE",
                mistakes={"you divided by N only, not by the variance": y_wrong})
        return "your NMSE matches the reference"       # the success message

Inside a check, :func:`call` turns a ``NotImplementedError`` into "not implemented yet" and
any other exception of the student's code into a readable failure; :func:`compare` fails with
a message that names the likely mistake (a transposed matrix, a wrong shape, one of the
``mistakes`` given).

Every check states what it expects (``@check("6.1", expects="lstm_step(x, ...) returning
...")``) and declares the kinds of answer it accepts (``accepts=("numbers", "tuple of 2",
"batch", "tensor")``, words from :data:`ANSWER_KINDS`), from which the tests build its garbage
answers. A student's return value is never used before it is validated: :func:`unpack`
(a tuple of ``n`` values), :func:`as_array` (numbers of a given shape), :func:`as_number` (one
number) and :func:`whole_number` (a count) fail with :func:`reject`, and the decorator adds
"expected <what the check expects>" to those messages. An exception that a check did not
foresee still gives the student "could not use your answer: expected ..., got ..."; it also
says "the check itself failed", so that a real bug in a check stays visible (the tests feed
every check a list of garbage answers and assert that none reaches that branch).
"""

from __future__ import annotations

import contextvars
import functools
import inspect
import traceback
from dataclasses import dataclass
from typing import Callable

import numpy as np
import torch

from ..utils import to_numpy

__all__ = ["CheckResult", "CheckFailed", "BadAnswer", "check", "require", "call", "compare", "fail",
           "reject", "describe", "unpack", "as_array", "as_number", "whole_number", "ANSWER_KINDS",
           "tuple_size"]


PASSED, NOT_YET = "PASSED", "NOT YET"   # words, not emoji: every font renders them


@dataclass(frozen=True)
class CheckResult:
    """The outcome of one exercise check."""

    exercise: str
    passed: bool
    message: str

    def __bool__(self) -> bool:
        return self.passed

    def __str__(self) -> str:
        mark = PASSED if self.passed else NOT_YET
        return f"{mark} (exercise {self.exercise}): {self.message}"

    __repr__ = __str__


def require(result) -> None:
    """Raise ``AssertionError`` with the check's message unless ``result`` passed.

    The checks never raise, so that a student notebook runs to the end; an autograder needs
    the opposite. nbgrader's test cells (written by ``rnncourse_tools.colab.nbgrader_notebook``)
    call ``rc.checks.require(rc.checks.ch06.lstm_step(lstm_step))``: a passing check prints its
    line once and scores, a failing one raises with the hint that the student also sees. It returns
    nothing, so the cell has no result for nbgrader to read as a partial score.
    """
    if not isinstance(result, CheckResult):
        raise TypeError(f"require expects the CheckResult that a check returns, got "
                        f"{type(result).__name__}: call it as rc.checks.require(rc.checks.chNN.name(...))")
    if not result.passed:
        raise AssertionError(str(result))
    print(result)


class CheckFailed(Exception):
    """Raised inside a check to fail it with a helpful message."""


class BadAnswer(CheckFailed):
    """The student's answer does not have the form the check expects; the check's ``expects``
    text is added to the message."""


class _NotImplemented(Exception):
    pass


# what the student's code returned last, for the decorator's last-resort message
_last_answer: contextvars.ContextVar = contextvars.ContextVar("_last_answer")
_NOTHING = object()


def fail(message: str):
    """Fail the running check with ``message`` (a wrong answer of the right form)."""
    raise CheckFailed(message)


def reject(message: str):
    """Fail the running check because the answer does not have the expected form; the
    decorator appends "expected <the check's expects>"."""
    raise BadAnswer(message)


def _is_tensor(a) -> bool:
    return isinstance(a, torch.Tensor)


def describe(value, depth: int = 0) -> str:
    """A short description of any value, in words a student understands."""
    if value is None:
        return "None"
    if isinstance(value, (bool, np.bool_)):
        return f"the bool {bool(value)}"
    if isinstance(value, str):
        text = value if len(value) <= 30 else value[:27] + "..."
        return f"the string {text!r}"
    if isinstance(value, (int, float, complex, np.number)):
        return f"the {type(value).__name__} {value!r}"
    if _is_tensor(value):
        grad = ", requiring grad" if value.requires_grad else ""
        return f"a tensor of shape {tuple(value.shape)} ({str(value.dtype).replace('torch.', '')}{grad})"
    if isinstance(value, np.ndarray):
        return f"an array of shape {value.shape} ({value.dtype})"
    if isinstance(value, dict):
        keys = [str(k) for k in list(value)[:6]]
        return f"a dict with keys [{', '.join(keys)}{', ...' if len(value) > 6 else ''}]"
    if isinstance(value, (tuple, list)):
        kind = type(value).__name__
        count = f"a {kind} of {len(value)} item{'s' if len(value) != 1 else ''}"
        if depth > 0 or len(value) > 4 or not value:
            return count
        return f"{count} ({', '.join(describe(v, depth + 1) for v in value)})"
    if callable(value):
        return f"the function {getattr(value, '__name__', type(value).__name__)}"
    return f"a {type(value).__name__}"


def _arguments_fit(fn: Callable, args, kwargs) -> str | None:
    """Why ``fn`` cannot be called with these arguments, or None if it can (or we cannot tell)."""
    try:
        signature = inspect.signature(fn)
    except (TypeError, ValueError):
        return None
    try:
        signature.bind(*args, **kwargs)
    except TypeError as e:
        name = getattr(fn, "__name__", "your function")
        if name == "<lambda>":
            name = "lambda"
        return f"your function {name}{signature} cannot be called with {len(args)} arguments ({e})"
    return None


def _package_function(fn) -> str:
    """``"rc.x.y"`` if ``fn`` (or the function a bound method or partial wraps) is defined in
    rnncourse itself, else ``""``: a check must not pass on the reference it compares with."""
    import functools

    inner = fn
    while isinstance(inner, functools.partial):
        inner = inner.func
    inner = getattr(inner, "__func__", inner)
    module = getattr(inner, "__module__", "") or ""
    if module == "rnncourse" or module.startswith("rnncourse."):
        name = getattr(inner, "__qualname__", getattr(inner, "__name__", "function"))
        return f"{module.replace('rnncourse', 'rc', 1)}.{name}"
    return ""


def call(fn: Callable, *args, **kwargs):
    """Call the student's function; report its exceptions as failures, not crashes."""
    if not callable(fn):
        reject(f"expected a function, got {describe(fn)}; pass the function itself, "
               "without calling it (no parentheses)")
    own = _package_function(fn)
    if own:
        fail(f"you passed the package's own {own}; the exercise is to write it yourself "
             "(define your function in the notebook and pass that)")
    wrong = _arguments_fit(fn, args, kwargs)
    if wrong:
        reject(wrong)
    try:
        value = fn(*args, **kwargs)
    except NotImplementedError as e:
        stub = traceback.extract_tb(e.__traceback__)[-1].name   # the function that raised
        if stub == getattr(fn, "__name__", stub) or stub.startswith("<"):  # <lambda>, <genexpr>
            raise _NotImplemented from None
        raise BadAnswer(
            f"your function calls {stub}(), which is still a stub (it raises "
            f"NotImplementedError): solve the exercise that writes {stub} first, or call the "
            "package's version of it") from None
    except Exception as e:  # the student's code raised: show it as feedback
        where = traceback.extract_tb(e.__traceback__)[-1]
        raise BadAnswer(
            f"your code raised {type(e).__name__}: {e} (line {where.lineno}: {where.line!r})"
        ) from None
    _last_answer.set(value)
    return value


def _numbers(a, what: str) -> np.ndarray:
    """``a`` as a numpy array of its own numeric dtype; rejects what is not numbers."""
    if a is None:
        reject(f"{what}: your code returned None; did you forget `return`?")
    if isinstance(a, (str, bytes)):
        reject(f"{what} is {describe(a)}, not numbers")
    if isinstance(a, dict):
        reject(f"{what} is {describe(a)}, not numbers")
    try:
        if _is_tensor(a):
            a = to_numpy(a.resolve_conj(), dtype=None)
        arr = np.asarray(a)
        if arr.dtype == object:
            arr = np.asarray(a, dtype=np.float64)
    except Exception:  # ragged lists, tensors requiring grad inside lists, None inside, ...
        reject(f"{what} is {describe(a)}, which cannot be read as numbers")
    if arr.dtype.kind == "b":
        reject(f"{what} holds booleans (True/False), not numbers")
    if arr.dtype.kind == "c":
        reject(f"{what} holds complex numbers; the answer is real (did you forget .abs() "
               "or .real somewhere?)")
    if arr.dtype.kind not in "iuf":
        reject(f"{what} is {describe(a)}, not numbers")
    return arr


def _to_numpy(a, what: str) -> np.ndarray:
    """``a`` as a float64 numpy array, or a failure saying why it is not numbers."""
    return _numbers(a, what).astype(np.float64)


def _shape_hint(shape: tuple, expected: tuple) -> str:
    if len(expected) == 2 and shape == expected[1:]:
        return (f"; expected shape {expected}: all {expected[0]} rows, not one (a batch of states "
                "has one row per example)")
    return f"; expected shape {expected}"


_LOW_PRECISION = ("float16", "bfloat16", "float32")


def _dtype_name(a) -> str:
    return str(getattr(a, "dtype", "")).replace("torch.", "")


def as_array(value, what: str, *, shape: tuple | None = None, tensor: bool = False,
             floats: bool = True, finite: bool = True) -> np.ndarray:
    """The student's ``value`` as a float64 numpy array, or a failure naming the expected form.

    ``shape`` is the required shape; ``tensor=True`` refuses lists, tuples and NumPy arrays
    (the exercise returns a tensor); ``floats=True`` refuses integer arrays (the answer has fractions).
    """
    if tensor and isinstance(value, (list, tuple)):
        reject(f"{what} is {describe(value)}; expected a tensor (return the tensor itself, "
               "or torch.stack the pieces)")
    if tensor and isinstance(value, np.ndarray):
        reject(f"{what} is {describe(value)}; expected a torch tensor (compute it with torch "
               "operations, so that autograd can follow, or convert with torch.from_numpy)")
    arr = _numbers(value, what)
    if floats and arr.dtype.kind in "iu":
        reject(f"{what} holds integers ({arr.dtype}), so the fractions were lost; expected "
               "floating-point numbers (create arrays with floats, e.g. np.zeros(n), not dtype=int)")
    arr = arr.astype(np.float64)
    if shape is not None and arr.shape != tuple(shape):
        reject(f"{what} has shape {arr.shape}" + _shape_hint(arr.shape, tuple(shape)))
    if finite and not np.all(np.isfinite(arr)):
        reject(f"{what} contains NaN or infinite values; expected finite numbers")
    return arr


def as_number(value, what: str, *, finite: bool = True) -> float:
    """The student's ``value`` as one float, or a failure naming the expected form."""
    if isinstance(value, (list, tuple, dict, str, bytes)) or value is None:
        reject(f"{what} returned {describe(value)}; expected one number"
               + ("; did you forget `return`?" if value is None else ""))
    arr = _numbers(value, what)
    if arr.size != 1:
        reject(f"{what} returned {describe(value)}; expected one number")
    number = float(arr.reshape(()))
    if finite and not np.isfinite(number):
        reject(f"{what} returned {number}; expected a finite number")
    return number


def unpack(value, n: int, what: str, names: tuple[str, ...] | None = None, *,
           form: str | None = None) -> tuple:
    """The student's ``value`` as a tuple of ``n`` values, none of them None.

    ``what`` names the function, ``names`` the values ("h_new", "c_new"); the failure says
    "lstm_step should return the pair (h_new, c_new), got ...". ``form`` replaces "the pair".
    """
    form = form or {2: "the pair", 3: "the triple"}.get(n, f"the {n} values")
    form += f" ({', '.join(names)})" if names else ""
    if not isinstance(value, (tuple, list)) or len(value) != n:
        reject(f"{what} should return {form}, got {describe(value)}")
    for i, v in enumerate(value):
        if v is None:
            name = names[i] if names else f"value {i + 1}"
            reject(f"{what} returned None as {name} in {form}; did you forget to compute it "
                   "or to return it?")
    return tuple(value)


def compare(got, expected, what: str, *, rtol: float = 1e-5, atol: float = 1e-8,
            mistakes: dict | None = None) -> None:
    """Fail unless ``got`` matches ``expected``, naming the likely mistake if it does not.

    ``mistakes`` maps a hint ("the gate order is wrong: ...") to what that mistake produces;
    the first one that ``got`` matches is reported. An answer that is not numbers, holds
    booleans or complex numbers, holds integers where the reference has fractions, or holds
    NaN is rejected with a message naming the expected form.
    """
    raw = _numbers(got, what)
    e = np.asarray(_to_numpy(expected, what))
    if raw.dtype.kind in "iu" and not np.all(e == np.round(e)):
        reject(f"{what} holds integers ({raw.dtype}), so the fractions were lost; expected "
               "floating-point numbers")
    g = raw.astype(np.float64)
    if e.ndim == 0 and g.size == 1:  # one number, perhaps as a one-element array
        g = g.reshape(())
    if g.shape != e.shape:
        if g.ndim == 2 and g.T.shape == e.shape and np.allclose(g.T, e, rtol=rtol, atol=atol):
            fail(f"{what} has shape {g.shape} but should be {e.shape}: it is the transpose of "
                 "the right answer")
        if g.size == e.size and np.allclose(g.reshape(e.shape), e, rtol=rtol, atol=atol):
            fail(f"{what} has the right values but shape {g.shape}; expected shape {e.shape}")
        fail(f"{what} has shape {g.shape}" + _shape_hint(g.shape, e.shape))
    if not np.all(np.isfinite(g)):
        reject(f"{what} contains NaN or infinite values; expected finite numbers")
    if np.allclose(g, e, rtol=rtol, atol=atol):
        return
    for hint, value in (mistakes or {}).items():
        v = _to_numpy(value, what)
        if v.shape == g.shape and np.allclose(g, v, rtol=rtol, atol=atol):
            fail(f"{what} is not right. {hint}")
    err = float(np.max(np.abs(g - e)))
    scale = max(1.0, float(np.max(np.abs(e)))) if e.size else 1.0
    low = _dtype_name(got)
    if low in _LOW_PRECISION:
        close = np.allclose(g, e, rtol=1e-3 if low != "float32" else 1e-4, atol=1e-3 * scale)
        fail(f"{what} is {'right only to' if close else 'not right, and it has'} {low} "
             f"precision (largest difference {err:.3g}); expected float64 values: keep the "
             "inputs' dtype (no .float(), no dtype=torch.float32 or np.float32)")
    if raw.dtype.kind == "f" and not np.all(e == np.round(e)) and err <= 1e-5 * scale:
        # right to float32 precision, not to float64's (counts are exempt)
        fail(f"{what} is close, but only to about float32 precision (largest difference "
             f"{err:.3g}); expected float64 precision: did part of your computation use float32 "
             "(.float(), np.float32, dtype=torch.float32)?")
    fail(f"{what} is not right: the largest difference from the reference is {err:.3g}")


def whole_number(value, what: str) -> int:
    """The student's answer as an int, or a failure saying why it is not a count."""
    if value is None:
        reject(f"{what} returned None; did you forget `return`?")
    if isinstance(value, (str, bytes, list, tuple, dict)):
        reject(f"{what} should return a number, got {describe(value)}; expected a whole number "
               "(return the number itself, not text or a list)")
    try:
        arr = _numbers(value, what)
        if arr.size != 1:
            raise ValueError
        number = float(arr.reshape(()))
    except (CheckFailed, ValueError):
        reject(f"{what} should return a number, got {describe(value)}; expected a whole number")
    if not np.isfinite(number) or number != int(number):
        reject(f"{what} returned {value!r}, which is not a whole number; expected a count")
    return int(number)


def _with_expectation(message: str, expects: str) -> str:
    if not expects or "expected" in message.lower():
        return message  # the message already says what was expected
    if message.endswith((".", "?", "!")):
        return f"{message} Expected {expects}."
    return f"{message}; expected {expects}"


def _expects_from_doc(fn: Callable) -> str:
    doc = (inspect.getdoc(fn) or "").split("\n\n")[0].replace("\n", " ").replace("``", "")
    if ":" in doc and doc.lower().startswith("exercise"):
        doc = doc.split(":", 1)[1]
    return doc.strip().rstrip(".")


# The kinds of answer a check accepts, declared with ``@check(..., accepts=(...))``. Every
# check names one kind of value and may add the forms around it; the garbage-answer tests
# (tests/test_checks_garbage.py) read the declaration to choose which spoiled answers to feed it.
ANSWER_KINDS = {
    # the value: exactly one of these
    "numbers": "floating-point numbers (one number, an array or a tensor): integer, boolean and "
               "complex answers are refused",
    "count": "whole numbers (a count, or token ids): an integer answer is right",
    "text": "a string",
    # the forms around it: any of these
    "tuple of N": "a tuple or list of N values (N = 2, 3, ...), e.g. \"tuple of 2\" for a pair",
    "tensor": "torch tensors: a list or a NumPy array is refused",
    "batch": "states with one row per example, shape (batch, H)",
    "integers named": "an integer answer is a typical mistake that the check names (instead of "
                      "refusing its dtype)",
}
_VALUE_KINDS = ("numbers", "count", "text")


def tuple_size(accepts) -> int | None:
    """N if a check's ``accepts`` holds "tuple of N", else None."""
    for kind in accepts or ():
        if kind.startswith("tuple of "):
            return int(kind[len("tuple of "):])
    return None


def _checked_accepts(accepts, name: str) -> tuple[str, ...] | None:
    """``accepts`` as a tuple of known kinds, or a ValueError naming the check."""
    if accepts is None:
        return None  # undeclared: works in a notebook, fails tests/test_checks_garbage.py
    if isinstance(accepts, str):
        accepts = (accepts,)
    accepts = tuple(accepts)
    unknown = [k for k in accepts if k not in ANSWER_KINDS and not (
        isinstance(k, str) and k.startswith("tuple of ") and k[9:].isdigit() and int(k[9:]) >= 2)]
    if unknown:
        raise ValueError(f"check {name}: unknown kind(s) of answer {unknown} in accepts; "
                         f"expected kinds from {sorted(ANSWER_KINDS)}")
    values = [k for k in accepts if k in _VALUE_KINDS]
    if len(values) != 1:
        raise ValueError(f"check {name}: accepts={accepts} names {len(values)} of the value kinds "
                         f"{_VALUE_KINDS}; expected exactly one")
    if sum(k.startswith("tuple of ") for k in accepts) > 1:
        raise ValueError(f"check {name}: accepts={accepts} names two tuple sizes; expected one")
    return accepts


def check(exercise: str, expects: str | None = None, accepts=None):
    """Decorator that turns a function raising :class:`CheckFailed` into a safe check.

    ``expects`` says, in a student's words, what the check expects (the call it makes and
    the form of the result); without it, the first paragraph of the check's docstring is
    used. ``accepts`` declares, from :data:`ANSWER_KINDS`, the kinds of answer the student's
    function returns, e.g. ``("numbers", "tuple of 2", "tensor")``; the garbage-answer tests
    find every check and feed it the wrong answers that fit its declaration (a check without
    one fails those tests). The wrapped function returns a :class:`CheckResult`; it never
    raises. An unforeseen exception gives "could not use your answer: expected ..., got ..."
    and says that the check itself failed, so a bug in a check stays visible.
    """

    def decorate(fn: Callable) -> Callable[..., CheckResult]:
        what_expected = expects if expects is not None else _expects_from_doc(fn)
        declared = _checked_accepts(accepts, f"{exercise} {fn.__name__}")

        signature = inspect.signature(fn)

        @functools.wraps(fn)
        def wrapper(*args, **kwargs) -> CheckResult:
            try:                  # a missing or extra answer is the student's slip, not the check's
                signature.bind(*args, **kwargs)
            except TypeError as e:
                names = [n for n, p in signature.parameters.items() if p.default is p.empty
                         and p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
                return CheckResult(
                    exercise, False,
                    f"this check takes {len(names)} answer(s), {', '.join(names)}, in that order: "
                    f"call {fn.__name__}({', '.join(names)}); you gave {len(args) + len(kwargs)} "
                    f"({e}). Expected {what_expected or 'your answers'}.")
            token = _last_answer.set(_NOTHING)
            try:
                message = fn(*args, **kwargs)
            except _NotImplemented:
                return CheckResult(exercise, False, "not implemented yet: replace "
                                   "`raise NotImplementedError()` with your code and run again")
            except BadAnswer as e:
                return CheckResult(exercise, False, _with_expectation(str(e), what_expected))
            except CheckFailed as e:
                return CheckResult(exercise, False, str(e))
            except Exception as e:  # unforeseen: maybe odd garbage, maybe a bug in the check
                answer = _last_answer.get()
                got = describe(answer) if answer is not _NOTHING else (
                    ", ".join(describe(a) for a in args) or "nothing")
                return CheckResult(
                    exercise, False,
                    f"could not use your answer: expected {what_expected or 'another answer'}, "
                    f"got {got}; the check itself failed on it ({type(e).__name__}: {e}), so if "
                    "your answer has the expected form, please report this to your instructor")
            finally:
                _last_answer.reset(token)
            return CheckResult(exercise, True, message or "correct")

        wrapper.exercise = exercise
        wrapper.expects = what_expected
        wrapper.accepts = declared
        return wrapper

    return decorate


# -- the chapters' checks: ch01.py, ch02.py, ... load when first used -------------------------
# rc.checks.ch05 imports rnncourse/checks/ch05.py the first time it is asked for (PEP 562), so
# that importing the package loads no chapter code, and a new chapter's checks module is found
# without being listed here.

import importlib  # noqa: E402
import pkgutil  # noqa: E402
import re  # noqa: E402


def _chapter_modules() -> list[str]:
    """The chapters' check modules in this folder: ``["ch01", "ch02", ...]``."""
    return sorted(m.name for m in pkgutil.iter_modules(__path__) if re.fullmatch(r"ch\d\d", m.name))


def __getattr__(name: str):
    if re.fullmatch(r"ch\d\d", name) and name in _chapter_modules():
        return importlib.import_module(f"{__name__}.{name}")
    hint = (f"; the chapters with checks are {', '.join(_chapter_modules())}"
            if re.fullmatch(r"ch\d+", name) else "")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}{hint}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_chapter_modules()))
