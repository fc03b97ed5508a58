"""The chapter 12 checks pass on the solutions and fail helpfully on the stubs and typical mistakes."""

import numpy as np
import pytest
import torch

from rnncourse.chapters import ch12 as chapter
from rnncourse.checks import ch12


# ---- exercise 12.1: the associative operator -------------------------------------------------

def combine_ok(first, second):
    (a1, b1), (a2, b2) = first, second
    return a2 * a1, a2 * b1 + b2


def test_combine_passes_on_the_solution_and_on_the_package():
    for fn in (combine_ok, lambda *a: chapter.combine(*a)):
        result = ch12.combine(fn)
        assert result, str(result)
        assert "associative" in str(result)
    assert "package's own" in ch12.combine(chapter.combine).message   # the reference is refused


def test_combine_stub_reports_not_implemented():
    def stub(first, second):
        raise NotImplementedError()

    result = ch12.combine(stub)
    assert not result and "not implemented yet" in str(result) and "NOT YET" in str(result)


@pytest.mark.parametrize("fn, words", [
    (lambda p, q: (p[0] * q[0], p[0] * q[1] + p[1]), "order is reversed"),
    (lambda p, q: (p[0] * q[0], p[1] + q[1]), "not b1 + b2"),
    (lambda p, q: (p[0] * q[0], q[0] * (p[1] + q[1])), "a2 (b1 + b2)"),
    (lambda p, q: (p[0] + q[0], q[0] * p[1] + q[1]), "added the slopes"),
])
def test_combine_names_the_mistake(fn, words):
    result = ch12.combine(fn)
    assert not result
    assert words in str(result), str(result)


@pytest.mark.parametrize("fn, words", [
    (lambda p, q: (q[0] * p[1] + q[1], q[0] * p[0]), "pair is in the wrong order: expected (a, b)"),
    (lambda p, q: (q[0], q[0] * p[1] + q[1]), "slope is a2 alone"),
    (lambda p, q: (p[0], q[0] * p[1] + q[1]), "slope is a1 alone"),
    (lambda p, q: (q[0] * p[0], p[0] * p[1] + q[1]), "multiplied by its own slope"),
])
def test_combine_names_more_slips(fn, words):
    result = ch12.combine(fn)
    assert not result and words in str(result), str(result)


@pytest.mark.parametrize("fn, words", [
    (lambda p, q: (q[0] * p[0], q[0] * p[1] + p[0] * q[1]), "a2 b1 + a1 b2"),
    (lambda p, q: (q[0] * p[0], q[0] * p[1]), "offset is missing"),
])
def test_combine_names_the_offset_slips(fn, words):
    result = ch12.combine(fn)
    assert not result and words in str(result), str(result)


def test_combine_other_failures_are_explained():
    result = ch12.combine(lambda p, q: q[0] * p[1] + q[1])          # b only
    assert not result and "pair (a, b)" in str(result)

    def in_place(p, q):
        out = combine_ok(p, q)
        p[0].mul_(2)
        return out

    result = ch12.combine(in_place)
    assert not result and "in place" in str(result)
    result = ch12.combine(lambda p, q: (torch.zeros(4, 6, dtype=torch.float64),) * 2)
    assert not result and "largest difference" in str(result)


# ---- exercise 12.2: a scan checked against the loop ------------------------------------------

def scan_ok(a, b):
    T, k = a.shape[1], 1
    while k < T:
        a_left = torch.cat([torch.ones_like(a[:, :k]), a[:, :-k]], dim=1)
        b_left = torch.cat([torch.zeros_like(b[:, :k]), b[:, :-k]], dim=1)
        a, b = a * a_left, a * b_left + b
        k *= 2
    return b


def test_scan_passes_on_the_solution_the_package_and_the_loop():
    for fn in (scan_ok, lambda *a: chapter.scan(*a)):
        result = ch12.scan(fn)
        assert result, str(result)
        assert "equals the loop" in str(result)
    assert "package's own" in ch12.scan(chapter.scan).message


def _cumprod_cumsum(a, b):
    # the closed form h_t = A_t * cumsum(b / A) with A_t = cumprod(a): right for short
    # sequences, inf / nan once the products underflow (the exercise forbids it)
    A = torch.cumprod(a, dim=1)
    return A * torch.cumsum(b / A, dim=1)


def test_scan_refuses_the_loop_over_time():
    result = ch12.scan(lambda *a: chapter.linear_recurrence_loop(*a))
    assert not result and "loops over time" in str(result), str(result)

    def python_loop(a, b):
        h, out = torch.zeros_like(b[:, 0]), []
        for t in range(a.shape[1]):
            h = a[:, t] * h + b[:, t]
            out.append(h)
        return torch.stack(out, 1)

    result = ch12.scan(python_loop)
    assert not result and "loops over time" in str(result), str(result)


def _numpy_loop(a, b):
    # a loop over time in NumPy: invisible to the count of torch operations
    A, B = a.detach().numpy(), b.detach().numpy()
    H, h = np.zeros_like(B), np.zeros_like(B[:, 0])
    for t in range(A.shape[1]):
        h = A[:, t] * h + B[:, t]
        H[:, t] = h
    return torch.from_numpy(H)


def _numpy_loop_no_detach(a, b):
    A, B = a.numpy(), b.numpy()               # fails once the inputs require gradients
    H, h = np.zeros_like(B), np.zeros_like(B[:, 0])
    for t in range(A.shape[1]):
        h = A[:, t] * h + B[:, t]
        H[:, t] = h
    return torch.from_numpy(H)


def _python_numbers_loop(a, b):
    A, B = a.tolist(), b.tolist()              # nested lists of Python floats
    out = []
    for a_seq, b_seq in zip(A, B):
        h, states = [0.0] * len(b_seq[0]), []
        for a_t, b_t in zip(a_seq, b_seq):     # the loop over time, in Python numbers
            h = [x * y + z for x, y, z in zip(a_t, h, b_t)]
            states.append(h)
        out.append(states)
    return torch.tensor(out, dtype=a.dtype)


@pytest.mark.parametrize("fn", [_numpy_loop, _numpy_loop_no_detach, _python_numbers_loop])
def test_scan_refuses_a_loop_over_time_outside_torch(fn):
    a = torch.rand(2, 30, 3, dtype=torch.float64) * 0.5 + 0.5
    b = torch.randn(2, 30, 3, dtype=torch.float64)
    assert torch.allclose(fn(a, b), scan_ok(a, b))                      # right, but a loop
    result = ch12.scan(fn)
    assert not result and "no autograd history" in str(result), str(result)
    assert "loop over time" in str(result)


def test_scan_names_the_log_space_form_with_negative_b():
    def log_space(a, b):                       # Heinsen's form with real logs
        log_a_star = torch.cumsum(a.log(), 1)
        return torch.exp(log_a_star + torch.logcumsumexp(b.log() - log_a_star, 1))

    result = ch12.scan(log_space)
    assert not result and "real logs of negative numbers are NaN" in str(result), str(result)


def test_scan_refuses_the_cumprod_cumsum_form():
    a = torch.rand(2, 30, 3, dtype=torch.float64) * 0.5 + 0.5
    b = torch.randn(2, 30, 3, dtype=torch.float64)
    assert torch.allclose(_cumprod_cumsum(a, b), scan_ok(a, b))        # right on short sequences
    result = ch12.scan(_cumprod_cumsum)
    assert not result and "cumprod" in str(result), str(result)


def test_scan_stub_reports_not_implemented():
    def stub(a, b):
        raise NotImplementedError()

    result = ch12.scan(stub)
    assert not result and "not implemented yet" in str(result)


def _roll(a, b):
    T, k = a.shape[1], 1
    while k < T:
        a, b = a * a.roll(k, 1), a * b.roll(k, 1) + b
        k *= 2
    return b


def _early(a, b):
    T, k = a.shape[1], 1
    while 2 * k < T:                       # one step short
        a_left = torch.cat([torch.ones_like(a[:, :k]), a[:, :-k]], dim=1)
        b_left = torch.cat([torch.zeros_like(b[:, :k]), b[:, :-k]], dim=1)
        a, b = a * a_left, a * b_left + b
        k *= 2
    return b


def _exclusive(a, b):
    h = scan_ok(a, b)
    return torch.cat([torch.zeros_like(h[:, :1]), h[:, :-1]], 1)


@pytest.mark.parametrize("fn, words", [
    (_exclusive, "shifted by one step"),
    (lambda a, b: scan_ok(b, a), "a and b are swapped"),
    (_roll, "torch.roll wraps"),
    (_early, "one doubling step too early"),
    (lambda a, b: torch.cumprod(a, 1), "products of the a's"),
])
def test_scan_names_the_mistake(fn, words):
    result = ch12.scan(fn)
    assert not result
    assert words in str(result), str(result)


def _scan_slip(slip):
    """The exercise's solution with one slip, written as a student would."""

    def scan(a, b):
        T, k = a.shape[1], 1
        while k < T:
            if slip == "from the right":
                a_left = torch.cat([a[:, k:], torch.ones_like(a[:, :k])], dim=1)
                b_left = torch.cat([b[:, k:], torch.zeros_like(b[:, :k])], dim=1)
            else:
                a_left = torch.cat([torch.ones_like(a[:, :k]), a[:, :-k]], dim=1)
                pad = torch.ones_like if slip == "b padded with ones" else torch.zeros_like
                b_left = torch.cat([pad(b[:, :k]), b[:, :-k]], dim=1)
            if slip == "sequential":
                a = a * a_left
                b = a * b_left + b                 # uses the a just updated
            elif slip == "self first":
                a, b = a * a_left, a_left * b + b_left
            else:
                a, b = a * a_left, a * b_left + b
            k *= 2
        return b

    return scan


def test_scan_slip_helper_is_right_without_a_slip():
    assert ch12.scan(_scan_slip(None))


@pytest.mark.parametrize("slip, words", [
    ("sequential", "b was updated with the new a"),
    ("self first", "combined in the wrong order"),
    ("b padded with ones", "padded with ones"),
    ("from the right", "neighbours come from the right"),
])
def test_scan_names_more_slips(slip, words):
    result = ch12.scan(_scan_slip(slip))
    assert not result and words in str(result), str(result)


def test_scan_other_failures_are_explained():
    result = ch12.scan(lambda a, b: (scan_ok(a, b), a))
    assert not result and "one tensor" in str(result)
    result = ch12.scan(lambda a, b: scan_ok(a.float(), b.float()))
    assert not result and "float32" in str(result)
    result = ch12.scan(lambda a, b: scan_ok(a, b)[:, -1])
    assert not result and "shape" in str(result)

    def in_place(a, b):
        out = scan_ok(a, b)
        b.zero_()
        return out

    result = ch12.scan(in_place)
    assert not result and "in place" in str(result)


def test_tensor_answers_refuse_numpy_arrays():
    from rnncourse.checks import CheckFailed, as_array
    with pytest.raises(CheckFailed, match="expected a torch tensor"):
        as_array(np.zeros(3), "h", tensor=True)


# the reference answers, by check, that tests/test_checks_garbage.py spoils and replaces
SOLUTIONS = {"combine": (combine_ok,), "scan": (scan_ok,)}
