"""Chapter 9's headline results: the LSTM against the n-gram tables, where it beats them,
the state carried at validation, interpretable units and the sampling cuts.

Every claim re-runs the chapter's own code (``rnncourse.chapters.ch09``): the book's recipe
(``ch09.RECIPE``, 3600 updates at budget 1) for one seed, then the same measurements as the
notebook. One training serves all the claims of a seed and budget (cached). At a budget below
0.1 (the smoke test) the measurements use only the first 20,000 validation characters.

Each seed and budget trains for minutes, so the runs can be done in parallel processes first:
with ``RNNCOURSE_CLAIMS_CACHE=dir`` set, every run's numbers are also written to (and read back
from) ``dir/ch09-<seed>-<budget>-<recipe hash>.json``, and

    cd benchmarks && RNNCOURSE_CLAIMS_CACHE=/tmp/c python -m claims.ch09 100 2   # seed 100, budget 2

fills one entry; ``check_claims.py`` with the same variable then prints the table from them.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import sys

import numpy as np
import torch

from rnncourse import data, metrics, train as rc_train
from rnncourse.chapters import ch09

from . import claim


@functools.lru_cache(maxsize=1)
def _corpus():
    return ch09.load_corpus()


@functools.lru_cache(maxsize=2)
def _kn(n_val: int):
    """The plain and the modified Kneser-Ney tables of orders 1-7 on the first ``n_val``
    validation characters (they do not depend on the seed)."""
    c = _corpus()
    return ch09.kneser_ney_losses(c.train_ids, c.val_ids[:n_val], len(c.vocab), 7,
                                  modified="both")


def _n_val(budget: float) -> int:
    return len(_corpus().val_ids) if budget >= 0.1 else 20_000


def _best_abs_r(states, feature):
    z = (states - states.mean(0)) / (states.std(0) + 1e-9)
    f = (feature - feature.mean()) / feature.std()
    return float(np.abs(z.T @ f / len(f)).max())


def _cache_file(seed: int, budget: float) -> str | None:
    folder = os.environ.get("RNNCOURSE_CLAIMS_CACHE")
    if not folder:
        return None
    recipe = hashlib.sha256(json.dumps(ch09.RECIPE, sort_keys=True).encode()).hexdigest()[:10]
    return os.path.join(folder, f"ch09-{seed}-{budget:g}-{recipe}.json")


@functools.lru_cache(maxsize=4)
def _run(seed: int, budget: float) -> dict[str, float]:
    path = _cache_file(seed, budget)
    if path and os.path.exists(path):
        with open(path) as f:
            out = json.load(f)
        if "mkn7" not in out:        # an entry written before the modified table was added:
            out["mkn7"] = float(_kn(_n_val(budget))["modified"][7].mean())   # seed-independent
        return out
    out = _measure(seed, budget)
    if path:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as f:
            json.dump(out, f)
    return out


def _measure(seed: int, budget: float) -> dict[str, float]:
    c = _corpus()
    V = len(c.vocab)
    n_val = _n_val(budget)
    val_ids = c.val_ids[:n_val]
    model, history = ch09.train_book_model(c, seed=seed, scale=budget)
    out = {"lstm": history.val_loss[-1]}
    tables = _kn(n_val)
    kn = tables["plain"]
    out["kn6"] = float(kn[6].mean())
    out["mkn7"] = float(tables["modified"][7].mean())
    # where the state beats the table: first characters of lines against all others
    char_loss, hidden = ch09.read_text(model, val_ids, n_streams=16)
    n = len(char_loss)
    t = np.arange(6, n)
    t = t[(t - 1) % (n // 16) >= 64]
    text = c.vocab.decode(val_ids[: n + 1])
    first = np.array([text[i - 1] == "\n" for i in t])
    lstm_at, table_at = char_loss[t - 1], kn[6][t - 6]
    out["lead_first_of_line"] = float(table_at[first].mean() - lstm_at[first].mean())
    out["lead_elsewhere"] = float(table_at[~first].mean() - lstm_at[~first].mean())
    # the carried state at validation (exercise ex-ch09-state)
    vx, vy = data.streams(val_ids, 16)
    T = vx.shape[1] // 64 * 64
    carried = rc_train.evaluate(model, (vx[:, :T], vy[:, :T]), metrics.sequence_cross_entropy,
                                chunk_length=64)
    reset = rc_train.evaluate(model, (vx[:, :T].reshape(-1, 64), vy[:, :T].reshape(-1, 64)),
                              metrics.sequence_cross_entropy, stateful=True)
    out["reset_minus_carried"] = reset - carried
    # an interpretable unit: inside square brackets, against an untrained model of the same shape
    chars = np.array(list(c.vocab.decode(val_ids[: len(char_loss)])))
    inside = ((np.cumsum(chars == "[") - np.cumsum(chars == "]")) > 0).astype(float)
    nl = np.flatnonzero(chars == "\n")
    last_nl = np.concatenate([[-1], nl])[np.searchsorted(nl, np.arange(len(chars)), "right")]
    line_pos = (np.arange(len(chars)) - last_nl).astype(float)
    torch.manual_seed(seed + 1)
    control = val_ids[: min(32_768, len(chars)) + 1]      # as the notebook: 32,768 characters
    _, hidden0 = ch09.read_text(ch09.CharLM(V, 32, 256), control, n_streams=1)
    out["bracket_r"] = _best_abs_r(hidden, inside)
    out["bracket_r_untrained"] = _best_abs_r(hidden0, inside[: len(hidden0)])
    out["line_r"] = _best_abs_r(hidden, line_pos)
    out["line_r_untrained"] = _best_abs_r(hidden0, line_pos[: len(hidden0)])
    # sampling: the real-word fraction of 4 samples of 300 characters per method
    words = ch09.known_words(c)
    for key, kw in (("words_T0.5", dict(temperature=0.5)), ("words_T1", dict(temperature=1.0)),
                    ("words_topk5", dict(temperature=1.0, top_k=5)),
                    ("words_top_p0.9", dict(temperature=1.0, top_p=0.9))):
        texts = ch09.generate(model, c.vocab, "ROMEO.\n", 300, n=4, seed=seed + 1, **kw)
        out[key] = float(np.mean([ch09.real_word_fraction(t, words) for t in texts]))
    return out


def _pick(seed, budget, keys):
    r = _run(seed, budget)
    return {"budget": float(budget), **{k: r[k] for k in keys}}


def _longer(v) -> bool:
    """Whether these values come from twice the book's budget or more (the prose states some
    results separately for 3600 and 7200 updates)."""
    return bool(v["budget"].min() >= 2)


@claim(chapter=9, sentence="at 3600 updates the LSTM ends between the tables: below the plain "
       "Kneser-Ney 6-gram and above the modified Kneser-Ney 7-gram (the best table) at every seed; "
       "at twice the budget it is below both at every seed", book_seeds=(0,),
       budget="3600 updates of 8 x 64 characters",
       holds=lambda v: (v["lstm"] < v["mkn7"]).all() if _longer(v)
       else ((v["lstm"] < v["kn6"]) & (v["lstm"] > v["mkn7"])).all())
def lstm_against_tables(seed: int, budget: float) -> dict[str, float]:
    return _pick(seed, budget, ("lstm", "kn6", "mkn7"))


@claim(chapter=9, sentence="at 3600 updates the LSTM ends below 1.53 nats/char at every seed "
       "(at or under 1.50 at the book's seed and one of three others); at twice the budget at or "
       "under 1.50 at every seed", book_seeds=(0,),
       budget="3600 updates of 8 x 64 characters",
       holds=lambda v: (v["lstm"] <= 1.50).all() if _longer(v) else (v["lstm"] < 1.53).all())
def lstm_target(seed: int, budget: float) -> dict[str, float]:
    return _pick(seed, budget, ("lstm",))


@claim(chapter=9, sentence="the LSTM beats the plain 6-gram by more than 0.25 nats on the first "
       "character of a line; at 3600 updates on every other character the two are within 0.04, "
       "at twice the budget the LSTM is ahead there too (by more than 0.03)", book_seeds=(0,),
       budget="3600 updates of 8 x 64 characters",
       holds=lambda v: (v["lead_first_of_line"] > 0.25).all()
       and ((v["lead_elsewhere"] > 0.03).all() if _longer(v)
            else (np.abs(v["lead_elsewhere"]) < 0.04).all()))
def lead_at_line_starts(seed: int, budget: float) -> dict[str, float]:
    return _pick(seed, budget, ("lead_first_of_line", "lead_elsewhere"))


@claim(chapter=9, sentence="resetting the state every 64 validation characters costs between "
       "0.05 and 0.3 nats/char (the exercise's 'in between')", book_seeds=(0,),
       budget="3600 updates of 8 x 64 characters",
       holds=lambda v: ((v["reset_minus_carried"] > 0.05) & (v["reset_minus_carried"] < 0.3)).all())
def carried_state(seed: int, budget: float) -> dict[str, float]:
    return _pick(seed, budget, ("reset_minus_carried",))


@claim(chapter=9, sentence="a unit tracks the position in the line (|r| > 0.6) and one the "
       "inside of square brackets (|r| > 0.3), each far above the best unit of an untrained "
       "model (by > 0.25 and > 0.2)", book_seeds=(0,),
       budget="3600 updates of 8 x 64 characters",
       holds=lambda v: (v["line_r"] > 0.6).all() and (v["bracket_r"] > 0.3).all()
       and (v["line_r"] > v["line_r_untrained"] + 0.25).all()
       and (v["bracket_r"] > v["bracket_r_untrained"] + 0.2).all())
def interpretable_units(seed: int, budget: float) -> dict[str, float]:
    return _pick(seed, budget, ("line_r", "line_r_untrained", "bracket_r", "bracket_r_untrained"))


@claim(chapter=9, sentence="top-k (k = 5) and nucleus (p = 0.9) sampling at T = 1 write more "
       "real words than plain sampling at T = 1", book_seeds=(0,),
       budget="3600 updates of 8 x 64 characters",
       holds=lambda v: v["words_topk5"].mean() > v["words_T1"].mean()
       and v["words_top_p0.9"].mean() > v["words_T1"].mean())
def sampling_cuts(seed: int, budget: float) -> dict[str, float]:
    return _pick(seed, budget, ("words_T0.5", "words_T1", "words_topk5", "words_top_p0.9"))


if __name__ == "__main__":           # fill the cache for one seed and budget (see the docstring)
    torch.set_num_threads(1)
    print(_run(int(sys.argv[1]), float(sys.argv[2])))
