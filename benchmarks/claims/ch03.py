"""Chapter 3's headline results (notebooks/03_elman.md), re-run with the chapter's own code.

The sunspot models all use one recipe (chapter 2's: Adam, lr 0.01, full batch, 600 steps;
Elman's online loop: 150 epochs of plain steps at lr 0.01); ``budget`` multiplies every
training length. The book's seeds are 0-9 (sunspots) and 0-2 (the sine). The sunspot claims
compare means in standard errors of the difference, so run them at ten new seeds:
``python benchmarks/check_claims.py --chapter 3 --seeds 100 101 102 103 104 105 106 107 108 109``
(with three seeds and a one-std criterion almost any pair of means would count as "level").
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from rnncourse import timeseries as ts
from rnncourse.chapters import ch03

from . import claim, scaled

T1, T2 = "test 1921-1955", "test 1956-1979"
SUNSPOT_SEEDS = tuple(range(10))


def _spread(v):
    return v.std(ddof=1) if len(v) > 1 else 0.0


def _se_gap(a, b) -> float:
    """(mean of a - mean of b) in standard errors of the difference (nan with one seed)."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    if len(a) < 2 or len(b) < 2:
        return float("nan")
    return float((a.mean() - b.mean()) / np.sqrt(a.var(ddof=1) / len(a) + b.var(ddof=1) / len(b)))


GROUPS = (SUNSPOT_SEEDS, tuple(range(100, 110)))
"""Seeds trained together (the book's, and the new seeds 100-109 that these claims are run at):
the chapter's ``train_elman_seeds`` trains each network exactly as alone, only faster."""


@lru_cache(maxsize=None)
def _elman_group(seeds: tuple, budget: float, mode: str) -> dict:
    quarter, steps = scaled(150, budget), scaled(600, budget)
    curve = ch03.train_elman_seeds(seeds, mode=mode, epochs=2 * steps, lr=0.01,
                                   record_every=quarter)["curve"]
    at = {w: list(curve["step"]).index(n) for w, n in
          (("short", quarter), ("long", steps), ("double", 2 * steps))}
    return {seed: {f"{p}@{w}": float(curve[p][k, i]) for p in ("train", T1, T2)
                   for w, i in at.items()}
            for k, seed in enumerate(seeds)}


def _elman_fit(seed: int, budget: float, mode: str) -> dict:
    """One seed of the chapter's fit-trained Elman network, scored after 150, 600 and 1200 steps
    (times the budget): the chapter trains to 1200 and reports 600 and 1200."""
    group = next((g for g in GROUPS if seed in g), (seed,))
    return _elman_group(group, budget, mode)[seed]


@lru_cache(maxsize=None)
def _mlp(seed: int, budget: float) -> dict:
    split = ts.sunspot_split(ts.LAGS)
    return ts.train_time_delay(split, seed, epochs=scaled(600, budget), lr=0.01)[1]


@lru_cache(maxsize=None)
def _online(seed: int, budget: float) -> dict:
    return ch03.train_elman(seed, mode="online", epochs=scaled(150, budget), lr=0.01)[1]


@claim(chapter=3, sentence="after 150 Adam steps full BPTT is ahead of the detached gradient on "
       "the training years and on 1921-1955 by more than two standard errors of the difference",
       book_seeds=SUNSPOT_SEEDS, budget="150 of 600 Adam steps at lr 0.01",
       holds=lambda v: all(_se_gap(v[f"detached {p}"], v[f"bptt {p}"]) > 2 for p in ("train", "t1")))
def bptt_ahead_early(seed: int, budget: float) -> dict[str, float]:
    b, d = _elman_fit(seed, budget, "bptt"), _elman_fit(seed, budget, "detached")
    return {"bptt train": b["train@short"], "detached train": d["train@short"],
            "bptt t1": b[f"{T1}@short"], "detached t1": d[f"{T1}@short"]}


@claim(chapter=3, sentence="trained to 1200 Adam steps (twice the table's budget) the detached "
       "gradient is no longer behind full BPTT on either test period: its mean is lower, or higher "
       "by less than two standard errors of the difference. (After 600 steps this depends on the "
       "seeds: level at the book's seeds 0-9, BPTT still ahead at 100-109; the '@600' values are "
       "printed for that record, the predicate tests 1200.)",
       book_seeds=SUNSPOT_SEEDS, budget="1200 Adam steps at lr 0.01",
       holds=lambda v: all(_se_gap(v[f"detached {p} @1200"], v[f"bptt {p} @1200"]) < 2
                           for p in ("t1", "t2")))
def bptt_level_late(seed: int, budget: float) -> dict[str, float]:
    b, d = _elman_fit(seed, budget, "bptt"), _elman_fit(seed, budget, "detached")
    return {f"{m} {p} {w}": r[f"{P}@{key}"]
            for m, r in (("bptt", b), ("detached", d)) for p, P in (("t1", T1), ("t2", T2))
            for w, key in (("@600", "long"), ("@1200", "double"))}


@claim(chapter=3, sentence="trained to 1200 Adam steps full BPTT reaches a lower training error "
       "than the detached gradient, by more than two standard errors of the difference: the "
       "dropped term buys a lower training error, not only speed",
       book_seeds=SUNSPOT_SEEDS, budget="1200 Adam steps at lr 0.01",
       holds=lambda v: _se_gap(v["detached train"], v["bptt train"]) > 2)
def bptt_lower_training_error(seed: int, budget: float) -> dict[str, float]:
    b, d = _elman_fit(seed, budget, "bptt"), _elman_fit(seed, budget, "detached")
    return {"bptt train": b["train@double"], "detached train": d["train@double"]}


@claim(chapter=3, sentence="on 1956-1979 the detached Elman network is ahead of the time-delay MLP "
       "by more than two standard errors of the difference both after 600 and after 1200 steps "
       "(each model at the same budget), and the BPTT Elman network after 600 steps; (at the "
       "book's seeds BPTT's lead after 1200 steps is under one standard error, which the notebook "
       "asserts)",
       book_seeds=SUNSPOT_SEEDS, budget="600 and 1200 Adam steps at lr 0.01",
       holds=lambda v: (_se_gap(v["mlp t2 @600"], v["detached t2 @600"]) > 2
                        and _se_gap(v["mlp t2 @1200"], v["detached t2 @1200"]) > 2
                        and _se_gap(v["mlp t2 @600"], v["bptt t2 @600"]) > 2))
def elman_beats_mlp_late_period(seed: int, budget: float) -> dict[str, float]:
    b, d = _elman_fit(seed, budget, "bptt"), _elman_fit(seed, budget, "detached")
    return {"mlp t2 @600": _mlp(seed, budget)[T2], "mlp t2 @1200": _mlp(seed, 2 * budget)[T2],
            "detached t2 @600": d[f"{T2}@long"], "detached t2 @1200": d[f"{T2}@double"],
            "bptt t2 @600": b[f"{T2}@long"], "bptt t2 @1200": b[f"{T2}@double"]}


@claim(chapter=3, sentence="on 1921-1955 neither fit-trained Elman network is ahead of the MLP on "
       "average after 600 steps, and neither is behind it by 2.5 standard errors of the "
       "difference or more",
       book_seeds=SUNSPOT_SEEDS, budget="600 Adam steps at lr 0.01",
       holds=lambda v: all(0 < _se_gap(v[f"{k} t1"], v["mlp t1"]) < 2.5 for k in ("bptt", "detached")))
def elman_behind_mlp_t1(seed: int, budget: float) -> dict[str, float]:
    b, d = _elman_fit(seed, budget, "bptt"), _elman_fit(seed, budget, "detached")
    m = _mlp(seed, budget)
    return {"bptt t1": b[f"{T1}@long"], "detached t1": d[f"{T1}@long"], "mlp t1": m[T1]}


@claim(chapter=3, sentence="trained twice as long (1200 steps) BPTT's training error keeps falling "
       "and its 1921-1955 error rises above its value after 600 steps on most seeds",
       book_seeds=SUNSPOT_SEEDS, budget="600 and 1200 Adam steps at lr 0.01",
       holds=lambda v: ((v["t1 @1200"] > v["t1 @600"]).mean() > 0.5
                        and v["train @1200"].mean() < v["train @600"].mean()))
def bptt_overfits_later(seed: int, budget: float) -> dict[str, float]:
    b = _elman_fit(seed, budget, "bptt")
    return {"t1 @600": b[f"{T1}@long"], "t1 @1200": b[f"{T1}@double"],
            "train @600": b["train@long"], "train @1200": b["train@double"]}


@claim(chapter=3, sentence="the online Elman network is behind the time-delay MLP on 1921-1955 on "
       "average, and within 0.02 of AR(12) there",
       book_seeds=SUNSPOT_SEEDS, budget="online 150 epochs at lr 0.01; MLP 600 Adam steps",
       holds=lambda v: (v["online t1"].mean() > v["mlp t1"].mean()
                        and abs(v["online t1"].mean() - v["ar12 t1"].mean()) < 0.02))
def online_behind_mlp(seed: int, budget: float) -> dict[str, float]:
    split12 = ts.sunspot_split(lags=range(1, 13))
    w, b = ts.fit_ar(*split12["train"][:2])
    X, y, _ = split12[T1]
    ar12 = ts.metrics.nmse(y, ts.predict_ar(X, w, b), ts.series_variance())
    return {"online t1": _online(seed, budget)[T1], "mlp t1": _mlp(seed, budget)[T1],
            "ar12 t1": ar12}


@lru_cache(maxsize=None)
def _sine_group(seeds: tuple, budget: float) -> dict:
    task = ch03.sine_task()
    elman = ch03.sine_elman(seeds, task, epochs=scaled(300, budget))[0]
    out = {}
    for k, seed in enumerate(seeds):
        one = ch03.sine_window_mlp(seed, task, [1], epochs=scaled(300, budget))[0]
        two = ch03.sine_window_mlp(seed, task, [1, 2], epochs=scaled(300, budget))[0]
        out[seed] = {"bound": task["bound"], "elman": float(elman[k]),
                     "elman / bound": float(elman[k]) / task["bound"], "mlp x_t": one,
                     "mlp two lags": two}
    return out


@claim(chapter=3, sentence="on the sine, an Elman network (Elman's gradient, Adam) on x_t alone "
       "ends below a third of the bound that no function of x_t can beat, on every seed; the MLP "
       "on x_t sits within 0.01 of the bound",
       book_seeds=(0, 1, 2), budget="300 Adam steps (Elman and MLPs)",
       holds=lambda v: (v["elman / bound"].max() < 1 / 3
                        and (abs(v["mlp x_t"] - v["bound"]) < 0.01).all()))
def sine_needs_a_state(seed: int, budget: float) -> dict[str, float]:
    group = next((g for g in ((0, 1, 2), (100, 101, 102)) if seed in g), (seed,))
    return _sine_group(group, budget)[seed]


ONLINE_LRS = (0.003, 0.01, 0.03)


@claim(chapter=3, sentence="on the validation block (train 1712-1900, score 1901-1920) neither "
       "0.003 nor 0.03 scores better than the online loop's 0.01 by more than the spread over "
       "seeds (the larger sample std of the two), at 150 epochs",
       book_seeds=(0, 1, 2), budget="online, 150 epochs at each learning rate",
       holds=lambda v: all(v[f"val lr {lr}"].mean() > v["val lr 0.01"].mean()
                           - max(_spread(v["val lr 0.01"]), _spread(v[f"val lr {lr}"]))
                           for lr in ONLINE_LRS if lr != 0.01))
def online_lr_on_validation(seed: int, budget: float) -> dict[str, float]:
    """The online loop's setting checked without the test years (chapter 2's validation block)."""
    return {f"val lr {lr}": float(ch03.train_elman(
                seed, mode="online", epochs=scaled(150, budget), lr=lr,
                periods=ts.VALIDATION_PERIODS)[1]["validation"])
            for lr in ONLINE_LRS}
