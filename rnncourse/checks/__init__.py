"""Exercise checks: a clear pass / fail message, never a crash.

A chapter's checks live in ``rnncourse/checks/chNN.py`` and are called from the notebooks as
``rc.checks.ch02.nmse(my_nmse)``. Each check returns a :class:`CheckResult`, which prints as
one line (✅ or ❌ plus a hint) and is truthy only if the exercise is solved.

Writing a check:

.. code-block:: python

    @check("2.1")
    def nmse(student_fn):
        got = call(student_fn, y, y_hat, var)          # runs the student's code safely
        compare(got, expected, "NMSE",
                mistakes={"you divided by N only, not by the variance": y_wrong})
        return "your NMSE matches the reference"       # the success message

Inside a check, :func:`call` turns a ``NotImplementedError`` into "not implemented yet" and
any other exception of the student's code into a readable failure; :func:`compare` fails with
a message that names the likely mistake (a transposed matrix, a wrong shape, one of the
``mistakes`` given).
"""

from __future__ import annotations

import functools
import traceback
from dataclasses import dataclass
from typing import Callable

import numpy as np

__all__ = ["CheckResult", "CheckFailed", "check", "call", "compare", "fail", "whole_number"]


@dataclass(frozen=True)
class CheckResult:
    """The outcome of one exercise check."""

    exercise: str
    passed: bool
    message: str

    def __bool__(self) -> bool:
        return self.passed

    def __str__(self) -> str:
        mark = "✅ passed" if self.passed else "❌ not yet"
        return f"{mark} (exercise {self.exercise}): {self.message}"

    __repr__ = __str__


class CheckFailed(Exception):
    """Raised inside a check to fail it with a helpful message."""


class _NotImplemented(Exception):
    pass


def fail(message: str):
    """Fail the running check with ``message``."""
    raise CheckFailed(message)


def call(fn: Callable, *args, **kwargs):
    """Call the student's function; report its exceptions as failures, not crashes."""
    if not callable(fn):
        raise CheckFailed(f"expected a function, got {type(fn).__name__}")
    try:
        return fn(*args, **kwargs)
    except NotImplementedError:
        raise _NotImplemented from None
    except Exception as e:  # the student's code raised: show it as feedback
        where = traceback.extract_tb(e.__traceback__)[-1]
        raise CheckFailed(
            f"your code raised {type(e).__name__}: {e} (line {where.lineno}: {where.line!r})"
        ) from None


def _to_numpy(a, what: str) -> np.ndarray:
    try:
        import torch
        if isinstance(a, torch.Tensor):
            a = a.detach().cpu().numpy()
    except ImportError:  # pragma: no cover
        pass
    if a is None:
        raise CheckFailed(f"{what}: your code returned None; did you forget `return`?")
    try:
        return np.asarray(a, dtype=np.float64)
    except (TypeError, ValueError):
        raise CheckFailed(f"{what}: expected numbers, got {type(a).__name__}") from None


def compare(got, expected, what: str, *, rtol: float = 1e-5, atol: float = 1e-8,
            mistakes: dict | None = None) -> None:
    """Fail unless ``got`` matches ``expected``, naming the likely mistake if it does not.

    ``mistakes`` maps a hint ("the gate order is wrong: ...") to what that mistake produces;
    the first one that ``got`` matches is reported.
    """
    g = _to_numpy(got, what)
    e = np.asarray(_to_numpy(expected, what))
    if g.shape != e.shape:
        if g.ndim == 2 and g.T.shape == e.shape and np.allclose(g.T, e, rtol=rtol, atol=atol):
            fail(f"{what} has shape {g.shape} but should be {e.shape}: it is the transpose of "
                 "the right answer")
        if g.size == e.size and np.allclose(g.reshape(e.shape), e, rtol=rtol, atol=atol):
            fail(f"{what} has the right values but shape {g.shape}; expected shape {e.shape}")
        fail(f"{what} has shape {g.shape}; expected shape {e.shape}")
    if not np.all(np.isfinite(g)):
        fail(f"{what} contains NaN or infinite values")
    if np.allclose(g, e, rtol=rtol, atol=atol):
        return
    for hint, value in (mistakes or {}).items():
        v = _to_numpy(value, what)
        if v.shape == g.shape and np.allclose(g, v, rtol=rtol, atol=atol):
            fail(f"{what} is not right. {hint}")
    err = float(np.max(np.abs(g - e)))
    fail(f"{what} is not right: the largest difference from the reference is {err:.3g}")


def whole_number(value, what: str) -> int:
    """The student's answer as an int, or a failure saying why it is not a count."""
    if value is None:
        fail(f"{what} returned None; did you forget `return`?")
    try:
        number = float(value)
    except (TypeError, ValueError):
        fail(f"{what} should return a number, got {type(value).__name__}")
    if not np.isfinite(number) or number != int(number):
        fail(f"{what} returned {value!r}, which is not a whole number")
    return int(number)


def check(exercise: str):
    """Decorator that turns a function raising :class:`CheckFailed` into a safe check.

    The wrapped function returns a :class:`CheckResult`; it never raises. A bug inside the
    check itself is reported as such, so a student knows it is not their fault.
    """

    def decorate(fn: Callable) -> Callable[..., CheckResult]:
        @functools.wraps(fn)
        def wrapper(*args, **kwargs) -> CheckResult:
            try:
                message = fn(*args, **kwargs)
            except _NotImplemented:
                return CheckResult(exercise, False, "not implemented yet: replace "
                                   "`raise NotImplementedError()` with your code and run again")
            except CheckFailed as e:
                return CheckResult(exercise, False, str(e))
            except Exception as e:  # a bug in the check, not in the student's code
                return CheckResult(exercise, False, f"the check itself failed ({type(e).__name__}: "
                                   f"{e}); please report this to your instructor")
            return CheckResult(exercise, True, message or "correct")

        wrapper.exercise = exercise
        return wrapper

    return decorate


from . import ch01, ch02, ch03, ch04, ch05, ch06, ch07  # noqa: E402  (chapter checks)
