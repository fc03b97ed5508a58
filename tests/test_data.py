"""Shipped sunspots, lagged inputs, pulses."""

import numpy as np
import pytest
import torch

import rnncourse as rc
from rnncourse import data


def test_sunspots_has_309_yearly_values():
    years, values = rc.data.sunspots()
    assert years.shape == values.shape == (309,)
    assert years[0] == 1700 and years[-1] == 2008
    assert np.all(np.diff(years) == 1)
    assert values.dtype == np.float64 and np.all(values >= 0)
    # a few well-known values of the classic yearly series
    assert values[years == 1700][0] == 5.0
    assert values[years == 1957][0] == pytest.approx(190.2)


def test_shipped_file_is_verified(monkeypatch):
    monkeypatch.setitem(data.SHA256, "sunspots.csv", "0" * 64)
    with pytest.raises(ValueError, match="SHA-256"):
        rc.data.sunspots()
    with pytest.raises(KeyError, match="not a shipped data file"):
        data.read_shipped("nope.csv")


def test_lagged_builds_rows_and_targets():
    s = np.arange(20.0)
    X, y, t = rc.data.lagged(s, [1, 2, 6], return_index=True)
    assert X.shape == (14, 3) and y.shape == (14,)
    assert t[0] == 6
    np.testing.assert_array_equal(X[0], [5.0, 4.0, 0.0])
    np.testing.assert_array_equal(y, s[6:])
    X2, y2 = rc.data.lagged(list(s), (1,))
    assert X2.shape == (19, 1)


@pytest.mark.parametrize(
    "series, lags, message",
    [
        (np.arange(10.0), [12], "at least 13 values"),
        (np.ones((5, 2)), [1], "1-D series"),
        (np.array([]), [1], "empty series"),
        (np.arange(10.0), [], "at least one lag"),
        (np.arange(10.0), [0], "positive int"),
        (np.arange(10.0), [1.5], "positive int"),
        (np.arange(10.0), [1, 1], "must not repeat"),
        (np.array([1.0, np.nan, 2.0]), [1], "NaN"),
    ],
)
def test_lagged_rejects_bad_input(series, lags, message):
    with pytest.raises(ValueError, match=message):
        rc.data.lagged(series, lags)


def _squares(row):
    """(start, end, height) of every square of one input row; end is exclusive."""
    edges = np.flatnonzero(np.diff(np.r_[0.0, row, 0.0]) != 0)
    return [(a, b, row[a]) for a, b in zip(edges[::2], edges[1::2])]


@pytest.mark.parametrize("seed", [0, 3])
def test_pulses_targets_are_the_triangles_of_the_squares_and_keep_their_spacing(seed):
    x, y = rc.data.pulses(50, length=100, seed=seed)
    assert x.shape == y.shape == (50, 100, 1) and x.dtype == torch.float32
    xs, ys = x[..., 0].numpy().astype(np.float64), y[..., 0].numpy().astype(np.float64)
    n_squares = 0
    for row_x, row_y in zip(xs, ys):
        squares = _squares(row_x)
        assert squares, "every sequence has at least one pulse"
        expected = np.zeros(100)
        for k, (start, end, height) in enumerate(squares):
            width = end - start
            assert np.all(row_x[start:end] == height), "a square has one height"
            assert 0.1 - 1e-6 <= abs(height) <= 1 + 1e-6
            if end < 100:                       # a square cut by the end has no full width
                assert 2 <= width <= 10
            t = np.arange(end, min(end + 2 * width + 1, 100))
            expected[t] = height * (1 - np.abs(t - end - width) / width)  # peak at end + width
            if k + 1 < len(squares):            # the spacing rule: 2 w of quiet after a square
                assert squares[k + 1][0] >= end + 2 * width, (start, end, squares[k + 1])
        np.testing.assert_allclose(row_y, expected, atol=1e-6)
        n_squares += len(squares)
    assert n_squares > 150                      # the test saw many pulses, not a few


def test_pulses_are_seeded_and_inverse_is_swapped_and_reversed():
    x1, y1 = rc.data.pulses(5, seed=7)
    x2, y2 = rc.data.pulses(5, seed=7)
    assert torch.equal(x1, x2) and torch.equal(y1, y2)
    assert not torch.equal(x1, rc.data.pulses(5, seed=8)[0])
    xi, yi = rc.data.pulses(5, seed=7, inverse=True)
    assert torch.equal(xi, y1.flip(1)) and torch.equal(yi, x1.flip(1))


@pytest.mark.parametrize("kwargs, message", [
    (dict(n=0), "n must be a positive int"),
    (dict(n=2, length=10), "length must be at least"),
    (dict(n=2, min_width=5, max_width=3), "must not exceed"),
])
def test_pulses_rejects_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        rc.data.pulses(**kwargs)


def test_every_shipped_file_is_packaged_and_documented():
    """Each file of data.SHA256 exists, matches its hash, is in the wheel (pyproject's
    package-data patterns) and has its SHA-256 in SOURCES.md."""
    import fnmatch

    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.10 (requirements.txt installs tomli there)
        import tomli as tomllib

    from conftest import ROOT

    patterns = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"][
        "package-data"]["rnncourse.data"]
    sources = (ROOT / "rnncourse" / "data" / "SOURCES.md").read_text()
    for name, digest in data.SHA256.items():
        assert data.read_shipped(name)
        assert any(fnmatch.fnmatch(name, p) for p in patterns), (name, patterns)
        assert f"`{name}`" in sources or f"## {name}" in sources, name
        assert digest in sources, name
