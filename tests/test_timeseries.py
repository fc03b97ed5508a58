"""rnncourse.timeseries: the sunspot split, the AR fit, the seed runner and the NMSE table."""

import numpy as np
import pytest
import torch

import rnncourse as rc
from rnncourse import tables, timeseries as ts
from rnncourse.chapters import ch03


def test_split_years_and_sizes():
    split = ts.sunspot_split()
    assert list(split) == ["train", "test 1921-1955", "test 1956-1979"]
    (Xtr, ytr, yrs_tr), (X1, y1, yrs1), (X2, y2, yrs2) = split.values()
    assert (yrs_tr[0], yrs_tr[-1], len(ytr)) == (1712, 1920, 209)
    assert (yrs1[0], yrs1[-1], len(y1)) == (1921, 1955, 35)
    assert (yrs2[0], yrs2[-1], len(y2)) == (1956, 1979, 24)
    assert Xtr.shape == (209, 5)
    years, values = rc.data.sunspots()
    # the row for the target year 1800 holds x(1799), x(1798), x(1797), x(1794), x(1788)
    i = int(np.where(yrs_tr == 1800)[0][0])
    v = dict(zip(years, values))
    assert ytr[i] == v[1800]
    assert list(Xtr[i]) == [v[1799], v[1798], v[1797], v[1794], v[1788]]


def test_split_rejects_bad_input():
    with pytest.raises(ValueError, match="no target"):
        ts.sunspot_split(lags=[13], periods={"train": (1712, 1712)})
    with pytest.raises(ValueError, match="first <= last"):
        ts.sunspot_split(periods={"train": (1920, 1712)})
    with pytest.raises(ValueError, match="both years and values"):
        ts.sunspot_split(years=np.arange(10))
    with pytest.raises(ValueError, match="consecutive"):
        ts.sunspot_split(lags=[1], periods={"train": (3, 5)}, years=np.array([0, 1, 2, 4, 5, 6]),
                         values=np.arange(6.0))
    with pytest.raises(ValueError, match="positive int"):
        ts.sunspot_split(lags=[0])


def test_fit_ar_recovers_known_coefficients():
    rng = np.random.default_rng(0)
    x = np.zeros(3000)
    for t in range(2, len(x)):
        x[t] = 5 + 0.6 * x[t - 1] - 0.3 * x[t - 2] + 0.1 * rng.standard_normal()
    X, y = rc.data.lagged(x, [1, 2])
    w, b = ts.fit_ar(X, y)
    np.testing.assert_allclose(w, [0.6, -0.3], atol=0.02)
    assert abs(b - 5) < 0.2
    np.testing.assert_allclose(ts.predict_ar(X, w, b), X @ w + b)


def test_fit_ar_equals_normal_equations():
    rng = np.random.default_rng(1)
    X, y = rng.standard_normal((50, 3)), rng.standard_normal(50)
    w, b = ts.fit_ar(X, y)
    A = np.hstack([X, np.ones((50, 1))])
    np.testing.assert_allclose(np.r_[w, b], np.linalg.solve(A.T @ A, A.T @ y), atol=1e-10)


def test_fit_ar_rejects_bad_input():
    with pytest.raises(ValueError, match="more examples"):
        ts.fit_ar(np.ones((3, 3)), np.ones(3))
    with pytest.raises(ValueError, match=r"X \(n, p\)"):
        ts.fit_ar(np.ones(5), np.ones(5))
    with pytest.raises(ValueError, match="NaN"):
        ts.fit_ar(np.array([[1.0], [np.nan], [2.0]]), np.ones(3))
    with pytest.raises(ValueError, match="w"):
        ts.predict_ar(np.ones((4, 2)), np.ones(3), 0.0)


def test_ar12_on_the_sunspots_is_the_known_baseline():
    split = ts.sunspot_split(lags=range(1, 13))
    w, b = ts.fit_ar(*split["train"][:2])
    var = ts.series_variance()
    scores = {k: rc.metrics.nmse(y, ts.predict_ar(X, w, b), var) for k, (X, y, _) in split.items()}
    assert 0.10 < scores["train"] < 0.14
    assert 0.10 < scores["test 1921-1955"] < 0.14
    assert 0.30 < scores["test 1956-1979"] < 0.38


def test_standardizer_round_trip_and_errors():
    s = ts.Standardizer.fit([1.0, 2.0, 3.0])
    np.testing.assert_allclose(s.inverse(s.transform([5.0, -1.0])), [5.0, -1.0])
    assert abs(float(np.mean(s.transform([1.0, 2.0, 3.0])))) < 1e-12
    with pytest.raises(ValueError, match="zero spread"):
        ts.Standardizer.fit([2.0, 2.0])
    with pytest.raises(ValueError, match="at least 2"):
        ts.Standardizer.fit([2.0])


def test_series_variance_is_that_of_the_record_1700_1979():
    years, values = rc.data.sunspots()
    assert abs(ts.series_variance() - np.var(values[years <= 1979])) < 1e-9
    assert abs(ts.series_variance() - 1495.6) < 0.1           # not the 1700-2008 variance (1631)
    assert abs(ts.series_variance(values) - np.var(values)) < 1e-9
    with pytest.raises(ValueError):
        ts.series_variance([1.0])


def test_train_time_delay_learns_and_is_repeatable():
    split = ts.sunspot_split()
    _, a, pred = ts.train_time_delay(split, seed=3, epochs=150, lr=0.02)
    _, b, _ = ts.train_time_delay(split, seed=3, epochs=150, lr=0.02)
    assert a == b
    assert a["train"] < 0.2 and a["test 1921-1955"] < 0.3
    assert pred["test 1956-1979"].shape == (24,)
    with pytest.raises(ValueError, match="train"):
        ts.train_time_delay({"test": split["test 1921-1955"]}, seed=0)


def test_elman_sequences_align_with_the_split():
    seq = ch03.elman_sequences()
    assert seq["x"].shape == seq["y"].shape == (268, 1)
    assert seq["target_years"][0] == 1712 and seq["target_years"][-1] == 1979
    assert seq["n_train"] == 209
    assert torch.equal(seq["x"][1:], seq["y"][:-1])  # input x(t-1), target x(t)
    with pytest.raises(ValueError):
        ch03.elman_sequences(first_input_year=1930)


@pytest.mark.parametrize("mode", ["online", "detached", "bptt"])
def test_train_elman_modes(mode):
    _, scores, pred = ch03.train_elman(0, mode=mode, epochs=10, lr=0.02)
    assert set(scores) == set(ts.PERIODS)
    assert all(np.isfinite(v) and v < 3 for v in scores.values())
    assert pred["test 1921-1955"].shape == (35,)


@pytest.mark.parametrize("detach", [True, False])
def test_seed_batch_matches_the_elman_network_and_autograd(detach):
    """The stacked networks (and the written-out BPTT) give each network's own outputs and
    gradients, as autograd computes them through ElmanNetwork's step loop (float64)."""
    from rnncourse.models import ElmanNetwork
    torch.manual_seed(0)
    nets = [ElmanNetwork(1, 4).double() for _ in range(3)]
    x = torch.randn(3, 25, 1, dtype=torch.float64)
    batch = ch03._SeedBatch(nets, detach_context=detach).double()
    out = batch(x)
    grads = torch.autograd.grad(ch03._per_net_mse(out, 0 * out.detach()), list(batch.parameters()))
    for k, m in enumerate(nets):
        ref = m(x[k:k + 1], detach_context=detach)[0]
        torch.testing.assert_close(out[k:k + 1], ref, rtol=0, atol=1e-12)
        ref_grads = torch.autograd.grad((ref ** 2).mean(), [m.cell.weight_x, m.cell.weight_h,
                                        m.cell.bias, m.readout.weight, m.readout.bias])
        for g, r in zip(grads, ref_grads):
            torch.testing.assert_close(g[k], r, rtol=0, atol=1e-12)


def test_train_elman_seeds_trains_each_seed_as_alone_and_records_curves():
    together = ch03.train_elman_seeds([0, 1], mode="bptt", epochs=20, lr=0.02, record_every=5)
    alone = ch03.train_elman(1, mode="bptt", epochs=20, lr=0.02)
    for p in ts.PERIODS:
        assert together["runs"][1][1][p] == pytest.approx(alone[1][p], rel=1e-4)
        assert together["curve"][p].shape == (2, 5)
        assert together["curve"][p][1, -1] == pytest.approx(alone[1][p], rel=1e-4)
    np.testing.assert_array_equal(together["curve"]["step"], [0, 5, 10, 15, 20])
    with pytest.raises(ValueError, match="mode"):
        ch03.train_elman_seeds([0], mode="online")
    with pytest.raises(ValueError, match="seed"):
        ch03.train_elman_seeds([], mode="bptt")


def test_train_time_delay_budgets_equals_separate_runs():
    split = ts.sunspot_split(ts.LAGS)
    out = ch03.train_time_delay_budgets(split, 3, budgets=(7, 15))
    assert list(out) == [7, 15]
    for n in (7, 15):
        assert out[n] == ts.train_time_delay(split, 3, epochs=n)[1]
    with pytest.raises(ValueError, match="increasing"):
        ch03.train_time_delay_budgets(split, 0, budgets=(15, 7))


def test_sine_task_and_models():
    task = ch03.sine_task()
    assert task["bound"] == pytest.approx(0.5 * np.sin(2 * np.pi / 20) ** 2)
    mse, pred = ch03.sine_elman([0, 1], task, epochs=5)
    assert mse.shape == (2,) and pred.shape == (2, 500)
    mse1, pred1 = ch03.sine_window_mlp(0, task, [1], epochs=5)
    assert np.isfinite(mse1) and len(pred1) == 500
    with pytest.raises(ValueError, match="n_train"):
        ch03.sine_task(steps=10, n_train=20)


def test_train_elman_rejects_bad_mode():
    with pytest.raises(ValueError, match="mode"):
        ch03.train_elman(0, mode="rtrl")


def test_run_seeds_and_summarise():
    out = tables.run_seeds(lambda s: (None, {"a": float(s), "b": 2.0 * s}), [1, 2, 3])
    np.testing.assert_allclose(out["a"], [1, 2, 3])
    assert tables.mean_std(out["b"]) == pytest.approx((4.0, 2.0))
    assert tables.mean_std([0.5]) == (0.5, 0.0)
    with pytest.raises(ValueError, match="at least one seed"):
        tables.run_seeds(lambda s: {}, [])
    with pytest.raises(ValueError, match="periods"):
        tables.run_seeds(lambda s: {"a": 1.0} if s == 0 else {"b": 1.0}, [0, 1])
    with pytest.raises(TypeError):
        tables.run_seeds(lambda s: 1.0, [0])


def test_nmse_table_formats_numbers_spreads_and_text():
    table = tables.results_table({
        "AR(12)": {"train": 0.1234, "test": 0.2},
        "MLP": {"train": np.array([0.1, 0.3]), "test": np.array([0.2, 0.2])},
        "paper": {"train": "0.082", "test": None},
    }, note="NMSE")
    text = str(table)
    assert "0.123" in text and "0.200 ± 0.141" in text and "n/a" in text and "NMSE" in text
    assert "<table>" in table._repr_html_() and "&" not in "".join(c for r in table.rows for c in r[1])
    with pytest.raises(ValueError, match="not columns"):
        tables.results_table({"a": {"x": 1.0}}, columns=["y"])
    with pytest.raises(ValueError):
        tables.results_table({})


def test_predicting_the_training_mean_does_not_score_one():
    split, var = ts.sunspot_split(), ts.series_variance()
    mean = split["train"][1].mean()
    scores = {k: rc.metrics.nmse(y, np.full_like(y, mean), var) for k, (_, y, _) in split.items()}
    assert 0.75 < scores["train"] < 0.83 and 1.1 < scores["test 1921-1955"] < 1.2
    assert 2.7 < scores["test 1956-1979"] < 2.9


def test_sunspot_rows_have_the_table_columns_and_the_published_figures():
    rows = ts.sunspot_rows(seeds=[0, 1, 2], epochs=30)
    assert [r["model"] for r in rows][:3] == ["linear AR(12), least squares",
                                              *ts.SUNSPOT_MODELS]
    for r in rows:
        assert set(r) == {"model", "weights", "mean", "std", "n", "published"}
    ar, mlp4, mlp8 = rows[:3]
    assert ar["n"] == 1 and ar["weights"] == 13 and 0.12 < ar["mean"] < 0.14
    assert mlp4["weights"] == 29 and mlp8["weights"] == 57 and mlp4["n"] == 3
    split = ts.sunspot_split()
    again = [ts.train_time_delay(split, s, epochs=30)[1]["test 1921-1955"] for s in (0, 1, 2)]
    assert mlp4["mean"] == pytest.approx(np.mean(again))
    assert mlp4["std"] == pytest.approx(np.std(again, ddof=1))          # the sample std
    published = {r["model"]: r["published"] for r in rows[3:]}
    assert sorted(published.values()) == [0.086, 0.097]
    assert all(r["mean"] is None for r in rows[3:])
    late = ts.sunspot_rows(seeds=[0], period="test 1956-1979", epochs=5)
    assert sorted(r["published"] for r in late[3:]) == [0.28, 0.35]
    with pytest.raises(ValueError, match="period"):
        ts.sunspot_rows(seeds=[0], period="test 1980-2000")
    with pytest.raises(ValueError, match="weight_decay"):
        ts.train_time_delay(split, 0, epochs=1, weight_decay=-1.0)


def test_tables_say_what_they_expect():
    import pytest
    from rnncourse import tables
    with pytest.raises(ValueError, match="mean_std expects numbers"):
        tables.format_mean_std(["a", "b"])
    with pytest.raises(TypeError, match=r"rows as a dict \{name: \{column: value\}\}"):
        tables.results_table([1, 2])


def test_iterated_forecast_feeds_its_predictions_back():
    years = np.arange(1900, 1960)
    values = np.empty(60)
    values[0] = 10.0
    for t in range(1, 60):                       # a series that AR(1) predicts exactly
        values[t] = 0.5 * values[t - 1] + 1.0
    exact = lambda X: 0.5 * X[:, 0] + 1.0
    out = ts.iterated_forecast(exact, [1], [1920, 1930], 5, years=years, values=values)
    np.testing.assert_allclose(out, [values[20:25], values[30:35]])
    # a model that adds 1 each year: its own forecasts become its inputs
    drift = ts.iterated_forecast(lambda X: X[:, 0] + 1.0, [1], [1920], 3, years=years, values=values)
    np.testing.assert_allclose(drift[0], values[19] + np.array([1.0, 2.0, 3.0]))
    with pytest.raises(ValueError, match="history"):
        ts.iterated_forecast(exact, [12], [1905], 2, years=years, values=values)
    with pytest.raises(ValueError, match="expected"):
        ts.iterated_forecast(exact, [1], [1920], 0, years=years, values=values)


def test_validation_scores_never_touch_the_test_years():
    out = ts.validation_scores({"tiny": {"hidden": 2, "weight_decay": 0.0}}, seeds=[0, 1], epochs=3)
    assert list(out) == ["tiny"] and out["tiny"].shape == (2,) and np.all(np.isfinite(out["tiny"]))
    assert ts.VALIDATION_PERIODS["validation"][1] < ts.PERIODS["test 1921-1955"][0]
    with pytest.raises(ValueError, match="validation"):
        ts.validation_scores(periods=ts.PERIODS)
