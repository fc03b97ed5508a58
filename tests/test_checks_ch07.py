"""The chapter 7 checks pass on the solutions and fail helpfully on the stubs and typical mistakes."""

import pytest
import torch

import rnncourse as rc
from rnncourse.cells import GRUCell
from rnncourse.checks import ch07


# ---- exercise 7.1: one GRU step ------------------------------------------------------------

def make_step(convention="cho", reset_after=False, gate_bias=True, candidate_bias=True,
              swap_activations=False, swap_rz=False, reset_after_bias=False, linear_candidate=False,
              reset_in_mix=False, no_mix=False, candidate_untransposed=False):
    """A student's gru_step, right by default, with one of the typical mistakes on request."""

    def gru_step(x, h, W_x, W_h, b):
        H = h.shape[1]
        gate = torch.tanh if swap_activations else torch.sigmoid
        squash = torch.sigmoid if swap_activations else torch.tanh
        W_xr, W_xz, W_xn = W_x.split(H)
        W_hr, W_hz, W_hn = W_h.split(H)
        b_r, b_z, b_n = b.split(H)
        if swap_rz:
            W_xr, W_xz, W_hr, W_hz, b_r, b_z = W_xz, W_xr, W_hz, W_hr, b_z, b_r
        r = gate(x @ W_xr.T + h @ W_hr.T + (b_r if gate_bias else 0))
        z = gate(x @ W_xz.T + h @ W_hz.T + (b_z if gate_bias else 0))
        bn = b_n if candidate_bias else 0
        if candidate_untransposed:               # only the candidate's W_hn untransposed
            W_hn = W_hn.T
        if linear_candidate:                     # the tanh forgotten
            squash = lambda a: a  # noqa: E731
        if reset_in_mix:                         # r on the old state in the mix, not in n
            n = squash(x @ W_xn.T + h @ W_hn.T + bn)
            return z * (r * h) + (1 - z) * n
        if reset_after_bias:
            n = squash(x @ W_xn.T + r * (h @ W_hn.T + bn))
        elif reset_after:
            n = squash(x @ W_xn.T + r * (h @ W_hn.T) + bn)
        else:
            n = squash(x @ W_xn.T + (r * h) @ W_hn.T + bn)
        if no_mix:                               # the candidate returned as the new state
            return n
        return z * h + (1 - z) * n if convention == "cho" else (1 - z) * h + z * n

    return gru_step


def cell_step(x, h, W_x, W_h, b):
    """The reference written with the package's GRUCell (reset before W_hn, one bias per gate)."""
    cell = GRUCell(W_x.shape[1], h.shape[1]).to(x.dtype)
    with torch.no_grad():
        cell.weight_x.copy_(W_x)
        cell.weight_h.copy_(W_h)
        cell.bias.copy_(b)
    return cell(x, h).detach()


def test_gru_step_passes_on_the_solution_and_on_gru_cell():
    for fn in (make_step(), cell_step):
        result = ch07.gru_step(fn)
        assert result, str(result)
        assert "matches the reference" in str(result)


def test_gru_step_stub_reports_not_implemented():
    def stub(x, h, W_x, W_h, b):
        raise NotImplementedError()

    result = ch07.gru_step(stub)
    assert not result and "not implemented yet" in str(result)
    assert "NOT YET" in str(result)


@pytest.mark.parametrize("mistake, words", [
    (dict(convention="chung"), "other convention for z"),
    (dict(reset_after=True), "applied after W_hn"),
    (dict(reset_after_bias=True), "bias inside"),
    (dict(swap_activations=True), "tanh and sigmoid are swapped"),
    (dict(gate_bias=False, candidate_bias=False), "none of b_r, b_z, b_n"),
    (dict(candidate_bias=False), "candidate's bias b_n"),
    (dict(gate_bias=False), "gates' biases b_r and b_z"),
    (dict(swap_rz=True), "r and z are swapped"),
    (dict(linear_candidate=True), "candidate looks linear"),
    (dict(reset_in_mix=True), "applied in the final mix instead of the candidate"),
    (dict(no_mix=True), "You returned the candidate"),
    (dict(candidate_untransposed=True), "candidate's recurrent weights are used untransposed"),
])
def test_gru_step_names_the_mistake(mistake, words):
    result = ch07.gru_step(make_step(**mistake))
    assert not result
    assert words in str(result), str(result)


def test_gru_step_other_failures_are_explained():
    result = ch07.gru_step(lambda x, h, W_x, W_h, b: None)
    assert not result and "returned None" in str(result)
    result = ch07.gru_step(lambda x, h, W_x, W_h, b: (make_step()(x, h, W_x, W_h, b), h))
    assert not result and "not a tuple" in str(result)
    result = ch07.gru_step(lambda x, h, W_x, W_h, b: make_step()(x, h, W_x, W_h, b).T)
    assert not result and "transpose" in str(result)
    result = ch07.gru_step(lambda x, h, W_x, W_h, b: x @ W_x)  # wrong matmul: raises
    assert not result and "your code raised" in str(result)

    def in_place(x, h, W_x, W_h, b):
        out = make_step()(x, h, W_x, W_h, b)
        h.zero_()
        return out

    result = ch07.gru_step(in_place)
    assert not result and "in place" in str(result)
    result = ch07.gru_step(lambda x, h, W_x, W_h, b: torch.zeros_like(h))
    assert not result and "largest difference" in str(result)


# ---- exercise 7.2: time constants after a pulse and at rest ----------------------------------

def after_pulse_and_at_rest(z, x, window):
    tau = 1 / (1 - z)                                   # (time, H)
    quiet = x == 0
    after = torch.zeros_like(quiet)
    for t in range(1, len(x)):
        if quiet[t] and not quiet[t - 1]:               # the first quiet step after a pulse
            after[t:t + window] = True
    after &= quiet
    rest = quiet & ~after
    return tau[after].median(dim=0).values, tau[rest].median(dim=0).values


def _variant(**kw):
    from rnncourse.checks.ch07 import _after_and_rest
    return lambda z, x, window: _after_and_rest(z, x, window, **kw)


def test_after_pulse_and_at_rest_passes_on_the_solution():
    result = ch07.after_pulse_and_at_rest(after_pulse_and_at_rest)
    assert result, str(result)


def test_after_pulse_and_at_rest_stub_reports_not_implemented():
    def stub(z, x, window):
        raise NotImplementedError()

    result = ch07.after_pulse_and_at_rest(stub)
    assert not result and "not implemented yet" in str(result)


@pytest.mark.parametrize("fn, words", [
    (_variant(tau="chung"), "Chung"),
    (lambda z, x, w: after_pulse_and_at_rest(z, x, w)[::-1], "wrong order"),
    (_variant(include_pulse=True), "includes the pulse"),
    (_variant(rest_all_quiet=True), "resting steps include"),
    (_variant(stat="mean"), "median"),
    (_variant(window_plus_one=True), "one step too long"),
    (_variant(late=True), "starts one step late"),
    (_variant(no_cut=True), "new pulse does not end your window"),
    (lambda z, x, w: tuple(v.mean() for v in after_pulse_and_at_rest(z, x, w)), "one value per unit"),
    (lambda z, x, w: (z.mul_(0), z), "in place"),
    (lambda z, x, w: (torch.zeros(z.shape[1], dtype=z.dtype),) * 2, "largest difference"),
])
def test_after_pulse_and_at_rest_names_the_mistake(fn, words):
    result = ch07.after_pulse_and_at_rest(fn)
    assert not result
    assert words in str(result), str(result)


def test_after_pulse_and_at_rest_rejects_garbage():
    result = ch07.after_pulse_and_at_rest(lambda z, x, w: "tau")
    assert not result and "expected" in str(result)
    result = ch07.after_pulse_and_at_rest(lambda z, x, w: 1 / (1 - z))
    assert not result and "two tensors" in str(result)


# the reference answers, by check, that tests/test_checks_garbage.py spoils and replaces
SOLUTIONS = {"gru_step": (make_step(),), "after_pulse_and_at_rest": (after_pulse_and_at_rest,)}
