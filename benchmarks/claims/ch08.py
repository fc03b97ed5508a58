"""Chapter 8's headline results (deep and bidirectional RNNs), re-run from rnncourse.chapters.ch08."""

from __future__ import annotations

import torch

from rnncourse.chapters import ch08

from . import claim, scaled

_DATA: dict = {}


def _lookup(updates: int):
    """The chapter's lookup-task data for ``updates`` updates of 128 (cached per size)."""
    if updates not in _DATA:
        _DATA[updates] = (ch08.lookup_task(128 * updates, 16, k=5, seed=1),
                          ch08.lookup_task(2000, 16, k=5, seed=2))
    return _DATA[updates]


def _depth(seed, budget, configs):
    updates = scaled(300, budget)
    train, test = _lookup(updates)
    out = {}
    for name, (depth, residual, width, compute_factor) in configs.items():
        r = ch08.depth_run(depth, residual, seed, train, test, width=width, updates=updates,
                           total_updates=int(round(updates * compute_factor)))
        out[f"{name} (updates)"] = r["equal updates"]
        out[f"{name} (compute)"] = r["equal compute"]
    return out


def _depth_holds(v) -> bool:
    upd = {k[:-len(" (updates)")]: a.mean() for k, a in v.items() if k.endswith(" (updates)")}
    cmp = {k[:-len(" (compute)")]: a.mean() for k, a in v.items() if k.endswith(" (compute)")}
    stacks = ("2 layers", "3 layers", "4 layers")
    always = (min(cmp[n] for n in stacks) > cmp["1 layer"] + 0.05
              and cmp["1 layer, 62"] > max(cmp[n] for n in stacks + ("4 residual",)))
    if v["budget"].min() > 1:            # the prose: with more updates the wide layer catches up
        return always                    # and the stacks all come close to 1
    return (always
            and min(upd[n] for n in stacks) > max(upd["1 layer"], upd["1 layer, 62"]) + 0.1
            and upd["3 layers"] > upd["2 layers"] + 0.02 and upd["4 layers"] > upd["3 layers"]
            and cmp["4 layers"] < min(cmp["2 layers"], cmp["3 layers"])
            and cmp["4 residual"] > max(cmp["2 layers"], cmp["3 layers"]))


@claim(chapter=8, sentence="at 300 updates every stack (2, 3 and 4 layers) beats both single "
       "layers, three layers beat two and four beat three (at 600 the wide one catches up: the "
       "prose says so); at equal compute (1200 layer-updates: 1200, 600, 400, 300 updates) the "
       "narrow single layer stays below the stacks, the plain 4-layer stack a little below the "
       "2- and 3-layer ones and the residual one a little above them (at this budget), while "
       "the parameter-matched single layer of 62 units, given 1200 updates, ends above them all",
       book_seeds=(0, 1, 2), budget="300 updates of 128 lookup sequences (k = 5)",
       holds=_depth_holds)
def depth_beats_width(seed: int, budget: float) -> dict[str, float]:
    out = _depth(seed, budget, {"1 layer": (1, False, 24, 4), "1 layer, 62": (1, False, 62, 4),
                                "2 layers": (2, False, 24, 2), "3 layers": (3, False, 24, 4 / 3),
                                "4 layers": (4, False, 24, 1), "4 residual": (4, True, 24, 1)})
    return {**out, "budget": budget}    # (what the predicate needs to know: see _depth_holds)


@claim(chapter=8, sentence="residual connections help at depth 4: the residual 4-layer stack "
       "ends above the plain one (300 updates each)", book_seeds=(0, 1, 2),
       budget="300 updates of 128 lookup sequences (k = 5)",
       holds=lambda v: v["4 residual (updates)"].mean() > v["4 plain (updates)"].mean())
def residual_at_depth_4(seed: int, budget: float) -> dict[str, float]:
    return _depth(seed, budget, {"4 plain": (4, False, 24, 1), "4 residual": (4, True, 24, 1)})


def _smaller(n: int, budget: float) -> int:
    """Below the book's budget (the smoke test's tiny one) the data shrinks, not only the epochs."""
    return n if budget >= 1 else scaled(n, budget) + 32


def _taggers(seed, budget):
    train, test = ch08.reviews(_smaller(2000, budget), seed=1), ch08.reviews(2000, seed=2)
    out = {"bound": ch08.bayes_bound(test, 0), "bound 1 late": ch08.bayes_bound(test, 1)}
    for name, kw in (("bidirectional", dict(bidirectional=True)), ("left-to-right", {}),
                     ("1 late", dict(delay=1)), ("2 late", dict(delay=2))):
        _, acc, _ = ch08.train_tagger(train, test, epochs=scaled(4, budget), batch_size=32,
                                      lr=0.02, seed=seed, **kw)
        out[name] = acc["modifiers"]
    return out


@claim(chapter=8, sentence="the left-to-right tagger sits near its Bayes bound (0.75) on the "
       "modifiers, the one answering one step late near its higher bound (0.92), the "
       "bidirectional one and the one answering two steps late reach 0.99",
       book_seeds=(0, 1, 2), budget="4 epochs over 2000 reviews",
       holds=lambda v: abs(v["left-to-right"].mean() - 0.75) < 0.04
       and v["left-to-right"].max() < 0.765
       and abs(v["1 late"].mean() - v["bound 1 late"].mean()) < 0.03
       and v["1 late"].max() < v["bound 1 late"].mean() + 0.015
       and v["bidirectional"].min() >= 0.99
       and v["2 late"].mean() >= 0.99)
def taggers_and_bound(seed: int, budget: float) -> dict[str, float]:
    return _taggers(seed, budget)


@claim(chapter=8, sentence="a bidirectional character model's teacher-forced loss is under a "
       "tenth of the left-to-right one's, and its samples have far fewer real words",
       book_seeds=(0, 1, 2), budget="2 epochs over 1000 reviews",
       holds=lambda v: (v["bi loss"] < 0.1 * v["uni loss"]).all()
       and (v["bi valid"] < v["uni valid"] - 0.15).all() and v["uni valid"].min() > 0.85)
def language_model_trap(seed: int, budget: float) -> dict[str, float]:
    r = ch08.lm_trap(seed, epochs=scaled(2, budget), n_reviews=_smaller(1000, budget))
    return {"uni loss": r["left-to-right"]["loss"], "bi loss": r["bidirectional"]["loss"],
            "uni valid": r["left-to-right"]["valid"], "bi valid": r["bidirectional"]["valid"]}


@claim(chapter=8, sentence="at initialisation the gradient at the first layer of a 16-layer "
       "plain tanh stack is orders of magnitude below a single layer's; with residual "
       "connections it does not shrink", book_seeds=(0, 1, 2), budget="(no training)",
       holds=lambda v: v["plain 16/1"].max() < 1e-2 and v["residual 16/1"].min() > 1)
def gradient_through_depth(seed: int, budget: float) -> dict[str, float]:
    g = ch08.gradient_by_depth("rnn", (1, 16), width=32, length=16, seeds=(seed,))
    return {"plain 16/1": float(g[(16, False)][0] / g[(1, False)][0]),
            "residual 16/1": float(g[(16, True)][0] / g[(1, True)][0])}


_SMALL: dict = {}


@claim(chapter=8, sentence="exercise ex-ch08-budget: with a table of 256 entries (k = 4) and "
       "passes of 100 updates, at equal compute the single layer (four passes) reaches 0.99 and "
       "is at least as accurate as the plain 4-layer stack (one pass); at this budget the stack "
       "is still below it, at twice the budget both reach the top (the prose says so); given "
       "170 updates instead of 100 (about the single layer's time where a deep update costs "
       "2.4 shallow ones) the stack reaches 0.99 too",
       book_seeds=(0, 1, 2), budget="passes of 100 updates of 128 lookup sequences (k = 4)",
       holds=lambda v: v["1 layer, 4 passes"].min() > 0.99
       and v["1 layer, 4 passes"].mean() >= v["4 layers, 1 pass"].mean() - 0.002
       and v["4 layers, 1.7 passes"].mean() > 0.99)
def small_table_single_layer(seed: int, budget: float) -> dict[str, float]:
    updates = scaled(100, budget)
    if updates not in _SMALL:
        _SMALL[updates] = (ch08.lookup_task(128 * updates, 16, k=4, seed=1),
                           ch08.lookup_task(2000, 16, k=4, seed=2))
    train, test = _SMALL[updates]
    single = ch08.depth_run(1, False, seed, train, test, updates=updates,
                            total_updates=4 * updates)
    stack = ch08.depth_run(4, False, seed, train, test, updates=updates,
                           total_updates=int(round(1.7 * updates)))
    return {"1 layer, 4 passes": single["equal compute"], "4 layers, 1 pass": stack["equal updates"],
            "4 layers, 1.7 passes": stack["equal compute"]}


def _arcs(budget):
    """The many-to-one section's data: 1024 training reviews (fewer at the smoke test's tiny
    budget), 2000 test reviews and 2000 validation reviews."""
    return (ch08.arc_reviews(_smaller(1024, budget), seed=1), ch08.arc_reviews(2000, seed=2),
            ch08.arc_reviews(2000, seed=3))


def _wrong_readouts_at_chance(v) -> bool:
    ok = v["both ends"].min() >= 0.99
    for name in ("last step", "left-to-right"):
        ok = (ok and v[f"{name} closing"].min() > 0.97
              and abs(v[f"{name} opening"].mean() - 0.5) < 0.03
              and v[f"{name} opening"].max() < 0.55 and v[name].max() < 0.55
              and v["both ends"].mean() > v[name].mean() + 0.4)
    return ok


@claim(chapter=8, sentence="many-to-one on the arc reviews (the label depends on the first and "
       "the last token): the bidirectional LSTM read out from both ends [h->_T; h<-_1] labels "
       "at least 99% of the arcs with every seed; the same model read out from its last step "
       "[h->_T; h<-_T], and the left-to-right LSTM, get the closing verdict right (> 0.97) and "
       "the opening one at chance (mean within 0.03 of 0.5, every seed below 0.55), so at most "
       "0.55 of the arcs (with more updates this changes: readout_budget_dependence)",
       book_seeds=(0, 1, 2), budget="2 epochs over 1024 reviews (64 updates of 32)",
       holds=_wrong_readouts_at_chance)
def readout_decides_many_to_one(seed: int, budget: float) -> dict[str, float]:
    train, test, _ = _arcs(budget)
    out = {}
    for readout in ch08.READOUTS:
        r = ch08.readout_run(readout, seed, train, test, epochs=scaled(2, budget))
        out[readout] = r["arc"]
        if readout != "both ends":
            out[f"{readout} opening"], out[f"{readout} closing"] = r["opening"], r["closing"]
    return out


_LRS = (0.003, 0.01, 0.03, 0.1)


@claim(chapter=8, sentence="the many-to-one readout result is not the learning rate's doing: "
       "on validation reviews, at learning rate 0.003, 0.01, 0.03 or 0.1, neither the last-step "
       "readout nor the left-to-right LSTM gets past 0.55 of the arcs, while the both-ends "
       "readout reaches 0.99 at its best rate",
       book_seeds=(0, 1, 2), budget="2 epochs over 1024 reviews (64 updates of 32)",
       holds=lambda v: v["last step, best rate"].max() < 0.55
       and v["left-to-right, best rate"].max() < 0.55 and v["both ends, best rate"].min() >= 0.99)
def readout_not_the_learning_rate(seed: int, budget: float) -> dict[str, float]:
    train, _, val = _arcs(budget)
    return {f"{readout}, best rate": max(
        ch08.readout_run(readout, seed, train, val, epochs=scaled(2, budget), lr=lr)["arc"]
        for lr in _LRS) for readout in ch08.READOUTS}


def _budget_holds(v) -> bool:
    """At the book's budget, 256 and 512 updates: the prose's sentences. At a longer one (512
    and 1024 updates at budget 2) what more updates should not undo: the last-step readout
    labels every arc at both, and the left-to-right LSTM gets there with some seed."""
    last, ltr = (v["last step, 4x"], v["last step, 8x"]), v["left-to-right, 8x"]
    if v["budget"].min() > 1:
        return min(last[0].min(), last[1].min()) > 0.99 and ltr.max() > 0.95
    return (last[0].max() > 0.9 and last[0].min() < 0.55      # 256: with some seeds, not all
            and last[1].min() > 0.99                          # 512: with every seed
            and ltr.max() > 0.95 and ltr.min() < 0.8)         # 512: left to right, some only


@claim(chapter=8, sentence="the many-to-one readout result depends on the budget: with four "
       "times the book's updates (256) the last-step readout labels over 0.9 of the arcs with "
       "some seed and under 0.55 with another; with eight times (512) it labels over 0.99 with "
       "every seed, while the left-to-right LSTM is over 0.95 with some seed and under 0.8 with "
       "another (at budget 2, 512 and 1024 updates: the last-step readout over 0.99 at both "
       "with every seed, the left-to-right LSTM over 0.95 at 1024 with some seed)",
       book_seeds=(0, 1, 2), budget="8 and 16 epochs over 1024 reviews (256 and 512 updates)",
       holds=_budget_holds)
def readout_budget_dependence(seed: int, budget: float) -> dict[str, float]:
    train, test, _ = _arcs(budget)
    out = {"budget": budget}
    for readout in ("last step", "left-to-right"):
        for name, epochs in (("4x", 8), ("8x", 16)):
            out[f"{readout}, {name}"] = ch08.readout_run(
                readout, seed, train, test, epochs=scaled(epochs, budget))["arc"]
    return out


def _one_verdict_holds(v) -> bool:
    ok = v["closing only, both ends"].min() > 0.97 and v["opening only, both ends"].min() >= 0.99
    for name in ("last step", "left-to-right"):
        ok = (ok and v[f"closing only, {name}"].min() > 0.97
              and v[f"opening only, {name}"].max() < 0.55)
    return ok


@claim(chapter=8, sentence="exercise ex-ch08-ends, part 1: trained on one verdict alone (two "
       "classes, the chapter's recipe), all three models learn the closing verdict (over 0.97 "
       "with every seed); the opening verdict, only the readout from both ends (at least 0.99 "
       "with every seed), the last-step readout and the left-to-right LSTM staying below 0.55",
       book_seeds=(0, 1, 2), budget="2 epochs over 1024 reviews (64 updates of 32)",
       holds=_one_verdict_holds)
def one_verdict_alone(seed: int, budget: float) -> dict[str, float]:
    from rnncourse.utils import set_seed

    train, test, _ = _arcs(budget)
    out = {}
    for which, label in (("opening", lambda y: y // 2), ("closing", lambda y: y % 2)):
        one = ch08.ArcReviews(train.tokens, label(train.labels), train.generator)
        for readout in ch08.READOUTS:
            set_seed(seed)
            model = ch08.ManyToOne(len(train.generator.vocab), 16, 2, readout)
            ch08.train_classifier(model, one, epochs=scaled(2, budget), seed=seed)
            with torch.no_grad():
                right = model(test.x).argmax(-1) == label(test.labels)
            out[f"{which} only, {readout}"] = float(right.float().mean())
    return out
