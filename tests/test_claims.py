"""The claims registry (benchmarks/claims): the runner's logic, and every registered claim run
once at a tiny budget, so a claim that no longer runs fails here rather than in a long run."""

import sys

import numpy as np
import pytest

from conftest import ROOT

sys.path.insert(0, str(ROOT / "benchmarks"))

import claims  # noqa: E402
from claims import Claim, registry, run_claim, scaled  # noqa: E402

TINY = 0.02   # budget multiplier for the smoke run: every loop at least one step


def test_scaled():
    assert scaled(150, 1) == 150 and scaled(150, 2) == 300 and scaled(150, 0.001) == 1
    with pytest.raises(ValueError, match="positive multiplier"):
        scaled(10, 0)


def test_run_claim_decides_over_seeds_and_reports_errors():
    c = Claim(0, "toy", "the value is below 1", lambda seed, budget: {"v": seed / 10 / budget},
              lambda m: m["v"].mean() < 1, (0,))
    good = run_claim(c, [1, 2, 3], 1.0)
    assert good.holds and np.allclose(good.values["v"], [0.1, 0.2, 0.3])
    assert "v 0.2 ± 0.1" in good.summary()
    assert not run_claim(c, [20, 30], 1.0).holds
    assert run_claim(c, [20, 30], 10.0).holds          # a longer budget changes the verdict
    boom = Claim(0, "boom", "s", lambda seed, budget: 1 / 0, lambda m: True, (0,))
    bad = run_claim(boom, [0], 1.0)
    assert not bad.holds and "ZeroDivisionError" in bad.error
    nan = Claim(0, "nan", "s", lambda seed, budget: {"v": float("nan")}, lambda m: True, (0,))
    assert not run_claim(nan, [0], 1.0).holds           # NaN never holds


def test_register_twice_is_an_error():
    def twice(seed, budget):
        return {"v": 0.0}
    claims.claim(chapter=99, sentence="s", holds=lambda m: True)(twice)
    def twice(seed, budget):  # noqa: F811  (another function with the same name)
        return {"v": 1.0}
    with pytest.raises(ValueError, match="registered twice"):
        claims.claim(chapter=99, sentence="s", holds=lambda m: True)(twice)
    del claims._REGISTRY[(99, "twice")]


@pytest.mark.parametrize("c", registry(), ids=lambda c: f"ch{c.chapter:02d}-{c.name}")
def test_claim_runs_at_a_tiny_budget(c, one_thread):
    out = run_claim(c, c.book_seeds[:1], TINY)
    assert not out.error, out.error
    assert out.values and all(np.isfinite(v).all() for v in out.values.values())
    assert c.sentence and c.book_seeds


def test_ch08_readout_claims_are_recorded_as_they_read_now():
    """benchmarks/results/claims_ch08.txt holds the runner's output for the many-to-one readout
    claims the prose quotes: each one's sentence as registered now, and "holds" at the book's
    seeds, at seeds 100-102 and at twice the budget (change a claim: re-run it, re-record)."""
    text = (ROOT / "benchmarks/results/claims_ch08.txt").read_text()
    by_name = {c.name: c for c in registry() if c.chapter == 8}
    for name in ("readout_decides_many_to_one", "readout_not_the_learning_rate",
                 "readout_budget_dependence", "one_verdict_alone"):
        block = text.split(f"ch08 {name}  [")[1].split("\n\n")[0]
        assert block.startswith("holds, "), block[:40]
        assert f"  claim: {by_name[name].sentence}\n" in block
        rows = block.splitlines()[2:]
        assert [r.split("]")[0].strip() for r in rows] == [
            "book seeds [0, 1, 2", "seeds [100, 101, 102", "seeds [100, 101, 102"], rows
        assert all(" holds " in r for r in rows) and "budget x2" in rows[2], rows
