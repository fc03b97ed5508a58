"""Chapter 2's headline results (notebooks/02_time_delay_mlp.md), re-run with the chapter's code.

Budget 1 is the chapter's: Adam (AdamW for weight decay), lr 0.01, full batch, 600 steps.
The book's seeds are 0-9 for the test-period networks and 0-2 for the validation block.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from rnncourse import timeseries as ts

from . import claim, scaled

T1, T2 = "test 1921-1955", "test 1956-1979"


def _sd(v):
    return v.std(ddof=1) if len(v) > 1 else 0.0


@lru_cache(maxsize=None)
def _linear(lags: tuple) -> dict:
    split = ts.sunspot_split(lags=lags)
    w, b = ts.fit_ar(*split["train"][:2])
    var = ts.series_variance()
    return {k: ts.metrics.nmse(y, ts.predict_ar(X, w, b), var) for k, (X, y, _) in split.items()}


def _ar12() -> dict:
    return _linear(tuple(range(1, 13)))


@lru_cache(maxsize=None)
def _net(seed: int, budget: float, hidden: int, weight_decay: float) -> dict:
    split = ts.sunspot_split(ts.LAGS)
    return ts.train_time_delay(split, seed, hidden=hidden, epochs=scaled(600, budget), lr=0.01,
                               weight_decay=weight_decay)[1]


@claim(chapter=2, sentence="the 5-4-1 network is lower on average than AR(12) on the training years "
       "and on 1921-1955 by more than its spread over seeds, and than the linear model on the same "
       "five lags by more than three times that spread; on 1956-1979 it is higher than both",
       book_seeds=tuple(range(10)), budget="600 Adam steps at lr 0.01",
       holds=lambda v: all(v[f"mlp {p}"].mean() < v[f"ar12 {p}"].mean() - _sd(v[f"mlp {p}"])
                           and v[f"mlp {p}"].mean() < v[f"lin5 {p}"].mean() - 3 * _sd(v[f"mlp {p}"])
                           for p in ("train", "t1"))
       and v["mlp t2"].mean() > v["lin5 t2"].mean() > v["ar12 t2"].mean())
def mlp_beats_ar12(seed: int, budget: float) -> dict[str, float]:
    m, a, lin = _net(seed, budget, 4, 0.0), _ar12(), _linear(ts.LAGS)
    return {"mlp train": m["train"], "ar12 train": a["train"], "lin5 train": lin["train"],
            "mlp t1": m[T1], "ar12 t1": a[T1], "lin5 t1": lin[T1],
            "mlp t2": m[T2], "ar12 t2": a[T2], "lin5 t2": lin[T2]}


def _se(v):
    return _sd(v) / np.sqrt(len(v)) if len(v) > 1 else float("nan")


@claim(chapter=2, sentence="both networks average about 0.10 on 1921-1955 (0.09-0.115), above the "
       "published network's 0.086 by more than three standard errors of the mean (about level with "
       "the TAR model's 0.097, which is not tested: the sentence claims no difference)",
       book_seeds=tuple(range(10)), budget="600 Adam steps at lr 0.01",
       holds=lambda v: all(0.09 < v[k].mean() < 0.115 and v[k].mean() > 0.086 + 3 * _se(v[k])
                           for k in ("5-4-1 t1", "5-8-1 t1")))
def about_a_tenth(seed: int, budget: float) -> dict[str, float]:
    return {"5-4-1 t1": _net(seed, budget, 4, 0.0)[T1], "5-8-1 t1": _net(seed, budget, 8, 0.1)[T1]}


@claim(chapter=2, sentence="the 5-8-1 network with weight decay fits the training years better than "
       "the 5-4-1, is within the spread of it on 1921-1955, and is lower on 1956-1979 on average "
       "(by how many standard errors depends on the seeds: compare the '5-4-1 t2' and '5-8-1 t2' "
       "rows)",
       book_seeds=tuple(range(10)), budget="600 Adam steps at lr 0.01",
       holds=lambda v: (v["5-8-1 train"].mean() < v["5-4-1 train"].mean()
                        and abs(v["5-8-1 t1"].mean() - v["5-4-1 t1"].mean())
                        < max(_sd(v["5-8-1 t1"]), _sd(v["5-4-1 t1"]))
                        and v["5-8-1 t2"].mean() < v["5-4-1 t2"].mean()))
def larger_net(seed: int, budget: float) -> dict[str, float]:
    a, b = _net(seed, budget, 4, 0.0), _net(seed, budget, 8, 0.1)
    return {"5-4-1 train": a["train"], "5-8-1 train": b["train"], "5-4-1 t1": a[T1],
            "5-8-1 t1": b[T1], "5-4-1 t2": a[T2], "5-8-1 t2": b[T2]}


def _validation_holds(v) -> bool:
    five = [k for k in v if k.startswith("5-")]
    means = np.array([v[k].mean() for k in five])
    sds = np.array([_sd(v[k]) for k in five])
    return bool(means.max() - means.min() < 2 * sds.mean()
                and v["12-8-1, weight decay 0.1"].mean() > means.max() + sds.max())


@claim(chapter=2, sentence="on the validation block (1901-1920), three seeds each, the five-lag "
       "variants cannot be ranked (their means span less than twice their mean std; which has the "
       "lowest mean changes with the seeds, see the rows) and twelve lags are worse than all of "
       "them by more than the largest std",
       book_seeds=(0, 1, 2), budget="600 Adam steps at lr 0.01", holds=_validation_holds)
def validation_block(seed: int, budget: float) -> dict[str, float]:
    val = ts.validation_scores(seeds=[seed], epochs=scaled(600, budget))
    return {k: float(v[0]) for k, v in val.items()}


@lru_cache(maxsize=None)
def _model(seed: int, budget: float):
    split = ts.sunspot_split(ts.LAGS)
    return ts.train_time_delay(split, seed, epochs=scaled(600, budget), lr=0.01)[0]


@claim(chapter=2, sentence="iterated forecasts from 1921-1969: the error more than doubles from 1 to "
       "2 years ahead and is 2.5-4 times the 1-year error at 3 years, for AR(12) and the MLP, stays below the "
       "training mean's, and the MLP is not better than AR(12) at horizons 1-3; after 3 years AR(12)'s "
       "error grows slowly (11 years: less than 1.4 times its 3-year error) while the MLP's keeps "
       "growing, to more than 1.3 times AR(12)'s at 11 years",
       book_seeds=tuple(range(10)), budget="600 Adam steps at lr 0.01",
       holds=lambda v: all(v[f"{m} h2"].mean() > 2 * v[f"{m} h1"].mean()
                           and 2.5 * v[f"{m} h1"].mean() < v[f"{m} h3"].mean() < 4 * v[f"{m} h1"].mean()
                           and v[f"{m} max/const"].mean() < 1 for m in ("ar", "mlp"))
       and all(v[f"mlp h{k}"].mean() > v[f"ar h{k}"].mean() for k in (1, 2, 3))
       and v["ar h11"].mean() < 1.4 * v["ar h3"].mean()
       and v["mlp h11"].mean() > 1.3 * v["ar h11"].mean())
def iterated_errors_grow(seed: int, budget: float) -> dict[str, float]:
    import torch
    years, values = ts.data.sunspots()
    var = ts.series_variance()
    starts, horizon = np.arange(1921, 1970), 11
    truth = np.stack([values[years >= s][:horizon] for s in starts])
    split, split12 = ts.sunspot_split(ts.LAGS), ts.sunspot_split(range(1, 13))
    w, b = ts.fit_ar(*split12["train"][:2])
    scale = ts.Standardizer.fit(split["train"][1])
    model = _model(seed, budget)

    def mlp(X):
        with torch.no_grad():
            return scale.inverse(model(torch.tensor(scale.transform(X), dtype=torch.float32)).numpy())

    const = ((truth - split["train"][1].mean()) ** 2).mean(0) / var
    out = {}
    for name, f, lags in (("ar", lambda X: ts.predict_ar(X, w, b), range(1, 13)),
                          ("mlp", mlp, ts.LAGS)):
        e = ((ts.iterated_forecast(f, lags, starts, horizon) - truth) ** 2).mean(0) / var
        out.update({f"{name} h1": e[0], f"{name} h2": e[1], f"{name} h3": e[2], f"{name} h11": e[10],
                    f"{name} max/const": float((e / const).max())})
    return out
