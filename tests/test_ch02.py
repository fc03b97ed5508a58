"""Chapter 2's module: the paired bootstrap over test years."""

import numpy as np
import pytest

from rnncourse.chapters import ch02


def test_paired_bootstrap_difference_interval_and_top_year():
    y = np.zeros(5)
    a = np.array([1.0, 1.0, 1.0, 1.0, 3.0])          # squared errors 1, 1, 1, 1, 9
    b = np.ones(5)                                    # squared errors 1 everywhere
    r = ch02.paired_bootstrap(y, a, b, variance=2.0, years=[1950, 1951, 1952, 1953, 1954])
    assert r["diff"] == pytest.approx(8 / 2 / 5)      # one year differs by 8, over variance and n
    assert r["top_year"] == 1954 and r["top_share"] == pytest.approx(r["diff"])
    assert 0 <= r["low"] <= r["diff"] <= r["high"] <= 8 / 2   # the resampled means stay in range
    assert r["low"] == 0.0 and 0 < r["p_not_lower"] == 1.0    # a is never lower than b
    again = ch02.paired_bootstrap(y, a, b, variance=2.0, years=[1950, 1951, 1952, 1953, 1954])
    assert again == r                                 # the seeded rng: the same interval


def test_paired_bootstrap_averages_seeds_per_year_and_is_antisymmetric():
    rng = np.random.default_rng(1)
    y = rng.normal(size=30)
    seeds = y + rng.normal(scale=0.5, size=(4, 30))   # (seeds, n)
    b = y + rng.normal(scale=0.3, size=30)
    r = ch02.paired_bootstrap(y, seeds, b, variance=1.0)
    want = (((seeds - y) ** 2).mean(0) - (b - y) ** 2).mean()
    assert r["diff"] == pytest.approx(want)
    flipped = ch02.paired_bootstrap(y, b, seeds, variance=1.0)
    assert flipped["diff"] == pytest.approx(-r["diff"])
    assert flipped["low"] == pytest.approx(-r["high"]) and flipped["high"] == pytest.approx(-r["low"])


@pytest.mark.parametrize("kwargs", [{"pred_a": np.zeros(4)}, {"variance": 0.0},
                                    {"y": np.zeros(1), "pred_a": np.zeros(1), "pred_b": np.zeros(1)},
                                    {"n_boot": 0}])
def test_paired_bootstrap_rejects_bad_input(kwargs):
    args = {"y": np.zeros(3), "pred_a": np.zeros(3), "pred_b": np.zeros(3), "variance": 1.0}
    args.update(kwargs)
    with pytest.raises(ValueError, match="expected"):
        ch02.paired_bootstrap(**args)
