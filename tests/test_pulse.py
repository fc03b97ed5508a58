"""The pulse-converter experiment (chapters 6, 7): counts, errors, the lecture table."""

import numpy as np
import pytest
import torch

import rnncourse as rc
from rnncourse.pulse import LECTURE, PulseResult, run, table


@pytest.mark.parametrize("key", sorted(LECTURE, key=str))
def test_lecture_weights_are_what_the_models_have(key):
    kind, hidden, inverse = key
    weights, _ = LECTURE[key]
    assert rc.count_params(rc.models.SequenceRegressor(kind, 1, list(hidden), 1, fast=True)) == weights


def test_run_trains_and_reports_a_normalised_error(one_thread):
    r = run("lstm", 5, seeds=(0, 1), n_train=100, n_test=40, epochs=20, lr=0.03, batch_size=20,
            progress=False)
    assert isinstance(r, PulseResult) and r.params == 146 and r.lecture == (146, 0.08)
    assert len(r.errors) == len(r.models) == len(r.histories) == 2
    assert all(0 < e < 1.0 for e in r.errors), r.errors  # better than predicting zero
    assert r.histories[0].loss[-1] < r.histories[0].loss[0]
    assert r.mean == pytest.approx(np.mean(r.errors))
    assert r.std == pytest.approx(np.std(r.errors, ddof=1))   # the sample standard deviation
    # the error is test MSE over the variance of the test targets
    x, y = rc.data.pulses(40, seed=1)
    with torch.no_grad():
        pred = r.models[0](x)
    assert r.errors[0] == pytest.approx(float(((pred - y) ** 2).mean() / y.var(unbiased=False)), rel=1e-5)


def test_run_is_repeatable_and_from_scratch_matches_counts(one_thread):
    kw = dict(seeds=(3,), n_train=20, n_test=20, length=40, epochs=3, progress=False)
    assert run("rnn", [5], **kw).errors == run("rnn", [5], **kw).errors
    slow = run("lstm", [5, 3], fast=False, **kw)
    assert slow.params == 252 and slow.label == "LSTM 5 then 3"


def test_table_lists_lecture_figures():
    r = PulseResult("rnn", [10], False, 131, errors=[0.2, 0.3])
    text = str(table([r, PulseResult("gru", [7], True, 999, errors=[0.5])]))
    # mean ± the *sample* standard deviation (ddof = 1): std([0.2, 0.3], ddof=1) = 0.0707
    assert "simple RNN 10" in text and "0.250 ± 0.071" in text and "0.27" in text
    assert "Mean ± sample standard deviation (ddof = 1) over 2 seeds." in text
    assert "GRU 7 (inverse)" in text


def test_run_refuses_no_seeds():
    with pytest.raises(ValueError, match="seed"):
        run("lstm", 5, seeds=())


def test_seed_batch_is_the_separate_models():
    import rnncourse as rc
    from rnncourse.pulse import SeedBatch
    for kind, hs in [("lstm", [5, 3]), ("gru", [4]), ("rnn", [3])]:
        models = []
        for s in range(3):
            rc.set_seed(s)
            models.append(rc.models.SequenceRegressor(kind, 1, hs, 1, fast=True).double())
        batch = SeedBatch(models)
        x = torch.randn(4, 12, 1, dtype=torch.float64)
        y = torch.randn(4, 12, 1, dtype=torch.float64)
        out, loss = batch(x, y)
        ref = torch.cat([m(x) for m in models], -1)
        assert torch.allclose(out, ref, atol=1e-12)
        loss.backward()
        for m in models:
            torch.nn.functional.mse_loss(m(x), y).backward()
        for k, m in enumerate(models):
            for name, p in m.named_parameters():
                if p.requires_grad:
                    g = dict(batch.net.named_parameters())[name].grad
                    rows, cols = batch._index(name, g, p, k)
                    got = g[rows] if cols is None else g[rows, cols]
                    assert torch.allclose(got, p.grad, atol=1e-12), (kind, name)
        for name, p in batch.net.named_parameters():
            if p.requires_grad:
                assert torch.all((1 - batch._masks[name]) * p.grad == 0)
        for a, b in zip(models, batch.unbatch()):
            for (n1, p1), (n2, p2) in zip(a.state_dict().items(), b.state_dict().items()):
                assert n1 == n2 and torch.equal(p1, p2)


def test_run_batched_seeds_and_forget_bias():
    import rnncourse as rc
    r = rc.pulse.run("lstm", [3], seeds=(0, 1, 2), n_train=20, n_test=20, length=30, epochs=2,
                     batch_size=10, clip_norm=None, batch_seeds=True, forget_bias=1.0,
                     lr_schedule="onecycle")
    assert len(r.errors) == 3 and len(r.models) == 3 and r.params == rc.count_params(r.models[0])
    with pytest.raises(ValueError, match="clip"):
        rc.pulse.run("lstm", [3], seeds=(0,), n_train=20, n_test=20, length=30, epochs=1,
                     batch_seeds=True)
    with pytest.raises(ValueError, match="forget_bias"):
        rc.pulse.run("gru", [3], seeds=(0,), n_train=20, n_test=20, length=30, epochs=1,
                     forget_bias=1.0)


def test_run_reports_a_validation_error_on_its_own_data(one_thread):
    kw = dict(seeds=(0,), n_train=30, n_test=20, n_val=25, length=40, epochs=2, progress=False)
    r = run("rnn", [4], **kw)
    assert len(r.val_errors) == 1 and r.val_mean == r.val_errors[0] and r.val_errors != r.errors
    x, y = rc.data.pulses(25, length=40, seed=2)          # validation: data_seed + 2
    with torch.no_grad():
        pred = r.models[0](x)
    assert r.val_errors[0] == pytest.approx(float(((pred - y) ** 2).mean() / y.var(unbiased=False)), rel=1e-5)
    assert run("rnn", [4], **dict(kw, n_val=0)).val_errors == []
    with pytest.raises(ValueError, match="expected n_val"):
        run("rnn", [4], **dict(kw, n_val=-1))


def test_recipe_takes_the_validation_choice_and_the_forget_bias():
    from rnncourse.pulse import RECIPE, TUNED_LR, recipe
    for (kind, hidden, inverse), lr in TUNED_LR.items():
        r = recipe(kind, list(hidden), inverse)
        assert r["lr"] == (RECIPE["lr"] if lr is None else lr)
        assert ("forget_bias" in r) == (kind == "lstm")
        assert {k: v for k, v in r.items() if k not in ("lr", "forget_bias")} == \
            {k: v for k, v in RECIPE.items() if k != "lr"}
    assert recipe("rnn", 7)["lr"] == RECIPE["lr"]          # not tuned: RECIPE's own


def test_search_agrees_with_the_recorded_run():
    """rc.pulse.SEARCH is benchmarks/results/pulse_tuning.txt's validation lines, and TUNED_LR
    takes its lowest validation mean within the grid each model was given."""
    import re
    from pathlib import Path

    from rnncourse.pulse import SEARCH, TUNED_LR

    labels = {"GRU 5 then 3": ("gru", (5, 3), False), "LSTM 5 then 3": ("lstm", (5, 3), False),
              "LSTM 25 (inverse)": ("lstm", (25,), True), "GRU 29 (inverse)": ("gru", (29,), True)}
    text = (Path(__file__).resolve().parents[1] / "benchmarks/results/pulse_tuning.txt").read_text()
    found = {}
    for m in re.finditer(r"^(.+?)\s+lr (\S+)\s+validation (\S+) ± (\S+)", text, re.M):
        found.setdefault(labels[m.group(1).strip()], {})[float(m.group(2))] = \
            (float(m.group(3)), float(m.group(4)))
    assert found == SEARCH
    for key, lr in TUNED_LR.items():
        common = 0.08 if key[2] else 0.32      # the largest rate both models of a pair were given
        grid = {k: v for k, v in SEARCH[key].items() if k <= common}
        assert lr == min(grid, key=lambda k: grid[k][0]), key


def test_chapter_7_quotes_the_recorded_inverse_pair():
    """Chapter 7 quotes the search record's lines for the parameter-matched inverse pair
    (validation and test error at the chosen rate); the record is in the repository, which the
    chapter's test run (a bare folder, as on Colab) does not have, so it is checked here."""
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    text = (root / "benchmarks/results/pulse_tuning.txt").read_text()
    chapter = (root / "notebooks/07_gru.md").read_text()
    assert "GRU 29 (inverse)   2727     0.08       0.075 ± 0.004  0.068 ± 0.004" in text
    assert "LSTM 25 (inverse)  2726     0.08       0.075 ± 0.004  0.069 ± 0.004" in text
    assert "0.068 ± 0.004, beside the LSTM 25's 0.069 ± 0.004" in " ".join(chapter.split())
