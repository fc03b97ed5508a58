"""rc.plots helpers draw what they are given; rc.checks never crashes and explains failures."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402

import rnncourse as rc  # noqa: E402
from rnncourse.checks import CheckResult, call, check, compare, fail  # noqa: E402


def test_plot_series_draws_lines_and_spans():
    t = np.arange(10)
    ax = rc.plots.plot_series(t, {"a": t, "b": torch.arange(10.0)}, spans=[(2, 4, "test")],
                              title="T", ylabel="y")
    assert len(ax.lines) == 2 and ax.get_title() == "T" and ax.get_xlabel() == "t"
    with pytest.raises(ValueError, match="has 3 values"):
        rc.plots.plot_series(t, {"a": t[:3]})
    with pytest.raises(ValueError, match="at least one"):
        rc.plots.plot_series(t, {})
    plt.close("all")


def test_plot_history_and_sequences():
    h = rc.train.History(loss=[1.0, 0.5, 0.2])
    ax = rc.plots.plot_history({"m": h, "raw": [2.0, 1.0]})
    assert len(ax.lines) == 2 and ax.get_yscale() == "log"
    x, y = rc.data.pulses(4)
    fig = rc.plots.plot_sequences(x, y, {"pred": y * 0.5}, n=2, title="P")
    assert len(fig.axes) == 2 and len(fig.axes[0].lines) == 3
    plt.close("all")


@check("0.1")
def _square_check(fn):
    got = call(fn, np.arange(3.0))
    compare(got, np.arange(3.0) ** 2, "square(x)",
            mistakes={"You doubled x instead of squaring it.": 2 * np.arange(3.0)})
    return "squares correctly"


def test_check_passes_and_fails_with_helpful_messages():
    ok = _square_check(lambda x: x ** 2)
    assert ok and isinstance(ok, CheckResult) and "PASSED" in str(ok)

    def stub(x):
        raise NotImplementedError()

    r = _square_check(stub)
    assert not r and "not implemented yet" in str(r) and "NOT YET" in repr(r)
    r = _square_check(lambda x: 2 * x)
    assert not r and "doubled" in r.message
    r = _square_check(lambda x: x ** 3)
    assert not r and "largest difference" in r.message
    r = _square_check(lambda x: (x ** 2)[:2])
    assert not r and "shape" in r.message
    r = _square_check(lambda x: None)
    assert not r and "return" in r.message
    r = _square_check(lambda x: 1 / 0)
    assert not r and "ZeroDivisionError" in r.message
    r = _square_check(lambda x: np.full(3, np.nan))
    assert not r and "NaN" in r.message
    r = _square_check(42)
    assert not r and "expected a function" in r.message


def test_compare_detects_transpose_and_reshape():
    e = np.arange(6.0).reshape(2, 3)

    @check("0.2")
    def c(got):
        compare(got, e, "W")
        return "ok"

    assert "transpose" in c(e.T).message
    assert "right values but shape" in c(e.reshape(6)).message
    assert c(e)


def test_a_bug_in_a_check_is_reported_as_such():
    @check("0.3")
    def broken(fn):
        raise KeyError("oops")

    r = broken(None)
    assert not r and "the check itself failed" in r.message
    assert r.message.startswith("could not use your answer: expected ")


def test_fail_helper():
    @check("0.4")
    def c():
        fail("nope")

    assert c().message == "nope"


def test_a_check_refuses_the_packages_own_functions():
    import functools

    @check("9.9")
    def doubled(fn):
        compare(call(fn, 2.0), 4.0, "doubled(2)")
        return "right"

    assert doubled(lambda x: 2 * x)
    for own in (rc.metrics.nmse, functools.partial(rc.metrics.nmse), rc.chapters.ch01.recursive_filter,
                rc.cells.RNNCell(1, 1).forward):
        r = doubled(own)
        assert not r and "package's own rc." in r.message and "write it yourself" in r.message
    assert str(doubled(lambda x: 2 * x)).startswith("PASSED") and str(doubled(own)).startswith("NOT YET")


def test_describe_figure_reads_titles_and_labels_without_mathtext():
    import matplotlib.pyplot as plt

    fig, (a, b, c) = plt.subplots(1, 3)
    a.set(title="A cliff", xlabel="weight w", ylabel=r"$\|\partial L / \partial h_t\|$")
    b.set_xlabel(r"lag $T - t$")
    c.imshow([[0, 1]])
    fig.colorbar(c.images[0], ax=c)
    fig.suptitle("Two effects")
    text = rc.plots.describe_figure(fig)
    assert text == ("Figure: Two effects. Panel 1: A cliff: |partial L / partial h_t| against "
                    "weight w. Panel 2: lag T - t.")          # empty axes and the colour bar skipped
    plt.close(fig)
    bare, _ = plt.subplots()
    assert rc.plots.describe_figure(bare) == "Figure: a figure without titles or axis labels."
    plt.close(bare)


def test_figure_png_is_twice_the_resolution_shown_at_its_size_with_its_description():
    import io

    import matplotlib.pyplot as plt
    from PIL import Image

    fig, ax = plt.subplots(figsize=(4, 3), dpi=100)
    ax.plot([0, 1], [1, 0])
    ax.set(title="Line", xlabel="x", ylabel="y")
    data, meta = rc.plots.figure_png(fig)
    with Image.open(io.BytesIO(data)) as im:
        assert im.text[rc.plots.DESCRIPTION_KEY] == "Figure: Line: y against x."
        assert im.size == (2 * meta["width"] + im.size[0] % 2, 2 * meta["height"] + im.size[1] % 2)
    assert 300 < meta["width"] <= 420 and 220 < meta["height"] <= 330   # about 4 x 3 inches at 100 dpi
    plt.close(fig)


def test_book_style_registers_the_png_formatter_in_ipython():
    pytest.importorskip("IPython")
    import matplotlib.pyplot as plt
    from IPython.core.interactiveshell import InteractiveShell
    from matplotlib.figure import Figure

    shell = InteractiveShell.instance()
    try:
        rc.plots.book_style()
        formatter = shell.display_formatter.formatters["image/png"]
        assert formatter.lookup_by_type(Figure) is rc.plots.figure_png
        assert plt.rcParams["font.size"] == rc.plots.BOOK_RC["font.size"]
    finally:
        InteractiveShell.clear_instance()
        plt.rcdefaults()


def test_require_prints_a_passing_check_once_and_returns_nothing(capsys):
    """nbgrader reads a graded cell's result as a partial score: require leaves none."""
    from rnncourse.checks import CheckResult, require
    ok = CheckResult("0.1", True, "all right")
    assert require(ok) is None
    assert capsys.readouterr().out.count("all right") == 1
    with pytest.raises(AssertionError, match="not yet"):
        require(CheckResult("0.1", False, "not yet"))
