"""The pulse-converter experiment (chapters 6, 7): counts, errors, the lecture table."""

import pytest
import torch

import rnncourse as rc
from rnncourse.pulse import LECTURE, PulseResult, run, table


@pytest.mark.parametrize("key", sorted(LECTURE, key=str))
def test_lecture_weights_are_what_the_models_have(key):
    kind, hidden, inverse = key
    weights, _ = LECTURE[key]
    assert rc.count_params(rc.models.FastSequenceRegressor(kind, 1, list(hidden), 1)) == weights


def test_run_trains_and_reports_a_normalised_error():
    torch.set_num_threads(1)
    r = run("lstm", 5, seeds=(0, 1), n_train=100, n_test=40, epochs=20, lr=0.03, batch_size=20,
            progress=False)
    assert isinstance(r, PulseResult) and r.params == 146 and r.lecture == (146, 0.08)
    assert len(r.errors) == len(r.models) == len(r.histories) == 2
    assert all(0 < e < 1.0 for e in r.errors), r.errors  # better than predicting zero
    assert r.histories[0].loss[-1] < r.histories[0].loss[0]
    assert r.std >= 0 and min(r.errors) <= r.mean <= max(r.errors)
    # the error is test MSE over the variance of the test targets
    x, y = rc.data.pulses(40, seed=1)
    with torch.no_grad():
        pred = r.models[0](x)
    assert r.errors[0] == pytest.approx(float(((pred - y) ** 2).mean() / y.var(unbiased=False)), rel=1e-5)


def test_run_is_repeatable_and_from_scratch_matches_counts():
    torch.set_num_threads(1)
    kw = dict(seeds=(3,), n_train=20, n_test=20, length=40, epochs=3, progress=False)
    assert run("rnn", [5], **kw).errors == run("rnn", [5], **kw).errors
    slow = run("lstm", [5, 3], fast=False, **kw)
    assert slow.params == 252 and slow.label == "LSTM 5 then 3"


def test_table_lists_lecture_figures():
    r = PulseResult("rnn", [10], False, 131, errors=[0.2, 0.3])
    text = table([r, PulseResult("gru", [7], True, 999, errors=[0.5])])
    assert "simple RNN 10" in text and "0.250 +- 0.050 (n=2)" in text and "0.27" in text
    assert "GRU 7 (inverse)" in text


def test_run_refuses_no_seeds():
    with pytest.raises(ValueError, match="seed"):
        run("lstm", 5, seeds=())
