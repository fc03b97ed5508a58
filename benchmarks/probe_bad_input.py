"""Probe the public API with bad input and classify what happens (issue 21 item 6).

    python benchmarks/probe_bad_input.py            # every case, then the counts
    python benchmarks/probe_bad_input.py --quiet    # the non-clear cases and the counts

For every case it prints the call, the exception type and message, and a verdict:

- ``clear``: an exception raised by a ``raise`` statement inside rnncourse, with a message of
  at least 20 characters (the package's own words);
- ``raw``: an exception from inside torch, NumPy or Python (a ``KeyError``, an ``IndexError``,
  "mat1 and mat2 shapes cannot be multiplied", ...), or a message shorter than 20 characters;
- ``silent``: no exception, although the input is wrong (a wrong result, or none at all).

It covers the core (``rnncourse/*.py``, ``rnncourse/data``) and the public functions of
chapters 8 to 12, and runs 12 valid inputs that must not be refused. It never asserts: it
prints, and exits with status 1 if any case is not clear or a valid input is refused.

Figures (issue 21 item 6), CPU, torch 2.x:

- at a064ee9, before the fixes: 488 cases: 363 clear, 88 raw torch/Python errors, 37 silent;
  valid inputs refused: 5 of 12;
- after: 488 cases: 488 clear, 0 raw, 0 silent; valid inputs refused: 0 of 12.
"""

from __future__ import annotations

import argparse
import datetime as dt
import linecache
import os
import sys
import traceback

import numpy as np
import torch

import rnncourse as rc
from rnncourse import attention, cells, decode, layers, metrics, models, train, utils
from rnncourse.chapters import ch05, ch07, ch08, ch09, ch10, ch11, ch12
from rnncourse.chapters import ch10_dates as dates
from rnncourse.data import text as dtext
from rnncourse.fast import FastRecurrent

PKG = os.path.dirname(os.path.abspath(rc.__file__))
CASES: list[tuple[str, str, object]] = []


def case(section: str, label: str):
    def register(fn):
        CASES.append((section, label, fn))
        return fn
    return register


def add(section: str, label: str, fn) -> None:
    CASES.append((section, label, fn))


def classify(fn) -> tuple[str, str]:
    try:
        fn()
    except Exception as e:            # noqa: BLE001 (the point is to see every kind)
        frames = traceback.extract_tb(e.__traceback__)
        last = frames[-1] if frames else None
        own = last is not None and os.path.abspath(last.filename).startswith(PKG)
        line = linecache.getline(last.filename, last.lineno).strip() if last else ""
        msg = f"{type(e).__name__}: {e}".replace("\n", " ")
        if own and line.startswith("raise") and len(str(e)) >= 20:
            return "clear", msg
        where = f"{os.path.relpath(last.filename, PKG)}:{last.lineno}" if own else "outside rnncourse"
        return "raw", f"{msg}   [at {where}]"
    return "silent", "no exception"


class _Unclear(Exception):
    pass


def _mentions(fn, word: str):
    """Run ``fn``; its error must mention ``word`` (what was expected for this mistake)."""
    try:
        fn()
    except Exception as e:        # noqa: BLE001
        if word not in str(e):
            raise _Unclear(f"the message does not mention {word!r}: {type(e).__name__}: {e}") from None
        raise


# ------------------------------------------------------------------ shared objects
torch.manual_seed(0)
X3 = torch.randn(2, 5, 3)


def tiny_fit(**kw):
    x = torch.randn(16, 3)
    y = torch.randn(16, 1)
    base = dict(epochs=1, progress=False)
    base.update(kw)
    model = base.pop("model", torch.nn.Linear(3, 1))
    data = base.pop("data", (x, y))
    return train.fit(model, data, **base)


# ------------------------------------------------------------------ layers.Recurrent / cells
S = "layers"
add(S, "Recurrent('nope', 3, 4)", lambda: layers.Recurrent("nope", 3, 4))
add(S, "Recurrent('lstm', 3, []) no layers", lambda: layers.Recurrent("lstm", 3, []))
add(S, "Recurrent('lstm', 3, 4.0) float hidden size", lambda: layers.Recurrent("lstm", 3, 4.0))
add(S, "FastRecurrent('lstm', 3, [4, 0])", lambda: FastRecurrent("lstm", 3, [4, 0]))
add(S, "FastRecurrent('gru', 3, [4, -2])", lambda: FastRecurrent("gru", 3, [4, -2]))
add(S, "Recurrent('rnn', 3, [4, 0]) (from scratch)", lambda: layers.Recurrent("rnn", 3, [4, 0]))
add(S, "Recurrent('lstm', 0, 4)", lambda: layers.Recurrent("lstm", 0, 4))
add(S, "FastRecurrent('lstm', 3.5, 4)", lambda: FastRecurrent("lstm", 3.5, 4))
add(S, "FastRecurrent('leaky', 3, 4)", lambda: FastRecurrent("leaky", 3, 4))
add(S, "Recurrent('lstm', 3, [4, 5], residual=True)",
    lambda: layers.Recurrent("lstm", 3, [4, 5], residual=True))
add(S, "Recurrent([LSTMCell(3,5), LSTMCell(4,2)]) cells do not chain",
    lambda: layers.Recurrent([cells.LSTMCell(3, 5), cells.LSTMCell(4, 2)]))
add(S, "Recurrent(['a string'])", lambda: layers.Recurrent(["a string"]))
add(S, "Recurrent(LSTMCell, bidirectional=True) without a pair",
    lambda: layers.Recurrent(cells.LSTMCell(3, 4), bidirectional=True))
add(S, "FastRecurrent('lstm', 3, 4, tau=2)",
    lambda: FastRecurrent("lstm", 3, 4, tau=2))
for tag, L in (("scratch", layers.Recurrent), ("fast", FastRecurrent)):
    add(S, f"[{tag}] lstm forward x 2-D", lambda L=L: L("lstm", 3, 4)(torch.randn(2, 3)))
    add(S, f"[{tag}] lstm forward x wrong features", lambda L=L: L("lstm", 3, 4)(torch.randn(2, 5, 2)))
    add(S, f"[{tag}] lstm forward x float64", lambda L=L: L("lstm", 3, 4)(X3.double()))
    add(S, f"[{tag}] lstm forward x int64 ids", lambda L=L: L("lstm", 3, 4)(torch.ones(2, 5, 3, dtype=torch.long)))
    add(S, f"[{tag}] lstm forward x a list", lambda L=L: L("lstm", 3, 4)([[1.0, 2.0, 3.0]]))
    add(S, f"[{tag}] lstm forward empty time", lambda L=L: L("lstm", 3, 4)(torch.randn(2, 0, 3)))
    add(S, f"[{tag}] gru states not a list", lambda L=L: L("gru", 3, 4)(X3, torch.zeros(2, 4)))
    add(S, f"[{tag}] gru state wrong batch", lambda L=L: L("gru", 3, 4)(X3, [torch.zeros(3, 4)]))
    add(S, f"[{tag}] gru state wrong width", lambda L=L: L("gru", 3, 4)(X3, [torch.zeros(2, 5)]))
    add(S, f"[{tag}] gru state 3-D", lambda L=L: L("gru", 3, 4)(X3, [torch.zeros(1, 2, 4)]))
    add(S, f"[{tag}] gru state float64", lambda L=L: L("gru", 3, 4)(X3, [torch.zeros(2, 4, dtype=torch.float64)]))
    add(S, f"[{tag}] gru state on the meta device", lambda L=L: L("gru", 3, 4)(X3, [torch.zeros(2, 4, device="meta")]))
    add(S, f"[{tag}] gru state a list of numbers", lambda L=L: L("gru", 3, 4)(X3, [[0.0] * 4]))
    add(S, f"[{tag}] lstm state only h", lambda L=L: L("lstm", 3, 4)(X3, [torch.zeros(2, 4)]))
    add(S, f"[{tag}] lstm state (h, c) c wrong width", lambda L=L: L("lstm", 3, 4)(X3, [(torch.zeros(2, 4), torch.zeros(2, 3))]))
    add(S, f"[{tag}] bidirectional gru single state tensor",
        lambda L=L: L("gru", 3, 4, bidirectional=True)(X3, [torch.zeros(2, 4)]))
    add(S, f"[{tag}] bidirectional lstm single (h, c)",
        lambda L=L: L("lstm", 3, 4, bidirectional=True)(X3, [(torch.zeros(2, 4), torch.zeros(2, 4))]))
    add(S, f"[{tag}] two layers, one state", lambda L=L: L("gru", 3, [4, 4])(X3, [torch.zeros(2, 4)]))
add(S, "set_forget_bias on a GRU", lambda: layers.set_forget_bias(layers.Recurrent("gru", 3, 4), 1.0))
add(S, "set_forget_bias value 'one'", lambda: layers.set_forget_bias(layers.Recurrent("lstm", 3, 4), "one"))
add(S, "set_forget_bias on nn.LSTM", lambda: layers.set_forget_bias(torch.nn.LSTM(3, 4), 1.0))
add(S, "run_cell x 2-D", lambda: layers.run_cell(cells.RNNCell(3, 4), torch.randn(2, 3)))
add(S, "Recurrent.from_torch of a batch_first=False layer", lambda: layers.Recurrent.from_torch(torch.nn.GRU(3, 4)))
add(S, "[scratch] forward on a batch of 0", lambda: layers.Recurrent("gru", 3, 4)(torch.randn(0, 5, 3)))
add(S, "[fast] forward on a batch of 0", lambda: FastRecurrent("gru", 3, 4)(torch.randn(0, 5, 3)))
add(S, "[fast] record=True (the fused layer hides its gates)", lambda: FastRecurrent("lstm", 3, 4)(X3, record=True))
add(S, "Recurrent(LSTMCell, 3, 4): a class, not a kind or a cell", lambda: layers.Recurrent(cells.LSTMCell, 3, 4))
add(S, "Recurrent.from_torch(nn.Linear)", lambda: layers.Recurrent.from_torch(torch.nn.Linear(3, 4)))
add(S, "Recurrent.from_torch(nn.LSTMCell)", lambda: layers.Recurrent.from_torch(torch.nn.LSTMCell(3, 4)))
S = "cells"
add(S, "RNNCell(0, 4)", lambda: cells.RNNCell(0, 4))
add(S, "RNNCell(3, 4, nonlinearity='sigmoid!')", lambda: cells.RNNCell(3, 4, nonlinearity="sigmoid!"))
add(S, "RNNCell forward x wrong width", lambda: cells.RNNCell(3, 4)(torch.randn(2, 5), torch.zeros(2, 4)))
add(S, "RNNCell forward h wrong batch", lambda: cells.RNNCell(3, 4)(torch.randn(2, 3), torch.zeros(3, 4)))
add(S, "LSTMCell forward state a tensor", lambda: cells.LSTMCell(3, 4)(torch.randn(2, 3), torch.zeros(2, 4)))
add(S, "SkipRNNCell(3, 4, delay=0)", lambda: ch05.SkipRNNCell(3, 4, delay=0))
add(S, "LeakyRNNCell(3, 4, tau=0)", lambda: ch05.LeakyRNNCell(3, 4, tau=0))
add(S, "make_cell('nope', 3, 4)", lambda: cells.make_cell("nope", 3, 4))
add(S, "param_count('lstm', 3, 'four')", lambda: cells.param_count("lstm", 3, "four"))

# ------------------------------------------------------------------ models
S = "models"
add(S, "SequenceRegressor('lstm', 3, 4, 0)", lambda: models.SequenceRegressor("lstm", 3, 4, 0))
add(S, "TimeDelayMLP(0)", lambda: models.TimeDelayMLP(0))
add(S, "ElmanNetwork(1, 4)(x 3-D wrong features)", lambda: models.ElmanNetwork(1, 4, 1)(torch.randn(2, 5, 3)))
add(S, "LastStepClassifier('rnn', 2)", lambda: models.LastStepClassifier("rnn", 2))
add(S, "SequenceRegressor forward x 2-D",
    lambda: models.SequenceRegressor("lstm", 3, 4, 1)(torch.randn(2, 3)))

# ------------------------------------------------------------------ train
S = "train"
add(S, "fit optimizer without lr + lr_schedule",
    lambda: tiny_fit(model=(m := torch.nn.Linear(3, 1)),
                     optimizer=torch.optim.Optimizer(m.parameters(), {}), lr_schedule="cosine"))
add(S, "fit NaN in the inputs (the advice must not be the learning rate)", lambda: _nan_data())
add(S, "fit NaN in the validation data",
    lambda: tiny_fit(val_data=(torch.full((4, 3), float("nan")), torch.randn(4, 1))))


def _nan_data():
    try:
        tiny_fit(data=(torch.full((16, 3), float("nan")), torch.randn(16, 1)))
    except train.TrainingDiverged as e:
        if "learning rate" in str(e) and "not a learning-rate" not in str(e):
            raise AssertionError(f"wrong advice: {e}") from None
        raise


class _NaNGrad(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.w = torch.nn.Parameter(torch.zeros(1))

    def forward(self, x):
        return x[:, :1] * torch.sqrt(self.w) * 0.0


add(S, "fit NaN gradients at the last update", lambda: tiny_fit(model=_NaNGrad()))
add(S, "fit epochs=0", lambda: tiny_fit(epochs=0))
add(S, "fit lr=-1", lambda: tiny_fit(lr=-1.0))
add(S, "fit lr='fast'", lambda: tiny_fit(lr="fast"))
add(S, "fit batch_size=0", lambda: tiny_fit(batch_size=0))
add(S, "fit optimizer='adam'", lambda: tiny_fit(optimizer="adam"))
add(S, "fit loss_fn='mse'", lambda: tiny_fit(loss_fn="mse"))
add(S, "fit data not a pair", lambda: tiny_fit(data=torch.randn(16, 3)))
add(S, "fit data numpy", lambda: tiny_fit(data=(np.zeros((16, 3)), np.zeros((16, 1)))))
add(S, "fit data different lengths", lambda: tiny_fit(data=(torch.randn(16, 3), torch.randn(15, 1))))
add(S, "fit targets would broadcast", lambda: tiny_fit(data=(torch.randn(16, 3), torch.randn(16))))
add(S, "fit float64 inputs", lambda: tiny_fit(data=(torch.randn(16, 3).double(), torch.randn(16, 1))))
add(S, "fit chunk_length=0 on sequences",
    lambda: tiny_fit(model=models.SequenceRegressor("rnn", 3, 4, 1), data=(X3, torch.randn(2, 5, 1)),
                     chunk_length=0))
add(S, "fit max_updates=0", lambda: tiny_fit(max_updates=0))
add(S, "fit max_seconds=-1", lambda: tiny_fit(max_seconds=-1))
add(S, "fit lr_schedule='linear'", lambda: tiny_fit(lr_schedule="linear"))
add(S, "fit lr_schedule returning -1", lambda: tiny_fit(lr_schedule=lambda u: -1.0))
add(S, "fit clip_norm=0", lambda: tiny_fit(clip_norm=0))
add(S, "fit clip_value=-1", lambda: tiny_fit(clip_value=-1))
add(S, "fit val_data not a pair", lambda: tiny_fit(val_data=torch.randn(4, 3)))
add(S, "fit model without parameters", lambda: tiny_fit(model=torch.nn.Identity()))
add(S, "fit lengths with wrong count", lambda: tiny_fit(
    model=models.SequenceRegressor("rnn", 3, 4, 1), data=(X3, torch.randn(2, 5, 1)), lengths=[3]))
add(S, "fit loss_fn=None with a model that computes no loss",
    lambda: tiny_fit(model=torch.nn.Linear(3, 1), loss_fn=None))
add(S, "fit loss returns a vector", lambda: tiny_fit(loss_fn=lambda o, y: (o - y) ** 2))
add(S, "fit seed='abc'", lambda: tiny_fit(seed="abc"))
add(S, "fit device='tpu:0'", lambda: tiny_fit(device="tpu:0"))
add(S, "fit device='cuda' (no GPU here)" if not torch.cuda.is_available() else "fit device='cuda:99'",
    lambda: tiny_fit(device="cuda" if not torch.cuda.is_available() else "cuda:99"))
add(S, "fit int64 targets with the MSE loss",
    lambda: tiny_fit(data=(torch.randn(16, 3), torch.zeros(16, 1, dtype=torch.long))))
add(S, "fit int64 targets without the feature axis",
    lambda: tiny_fit(data=(torch.randn(16, 3), torch.zeros(16, dtype=torch.long))))
add(S, "fit loss_fn=None with a SequenceRegressor",
    lambda: tiny_fit(model=models.SequenceRegressor("rnn", 3, 4, 1), loss_fn=None,
                     data=(X3, torch.randn(2, 5, 1))))
add(S, "evaluate data not a pair", lambda: train.evaluate(torch.nn.Linear(3, 1), torch.randn(4, 3)))
add(S, "chunks chunk_length=-1", lambda: list(train.chunks(X3, X3, -1)))
add(S, "detach_state of a str", lambda: train.detach_state("h"))
add(S, "lr_factor('linear')", lambda: train.lr_factor("linear", 0, 10))
add(S, "clip_gradients max_norm='big'", lambda: train.clip_gradients([], max_norm="big"))
add(S, "bucketed_order pool=0", lambda: train.bucketed_order(torch.ones(4, dtype=torch.long), 2,
                                                             torch.Generator(), pool=0))

# ------------------------------------------------------------------ metrics / utils
S = "metrics/utils"
add(S, "nmse shapes differ", lambda: metrics.nmse(np.zeros(5), np.zeros(4)))
add(S, "nmse of a string", lambda: metrics.nmse("abc", np.zeros(3)))
add(S, "sequence_cross_entropy targets float", lambda: metrics.sequence_cross_entropy(torch.randn(2, 5, 4), torch.randn(2, 5)))
add(S, "sequence_cross_entropy 2-D logits", lambda: metrics.sequence_cross_entropy(torch.randn(2, 4), torch.zeros(2, dtype=torch.long)))
add(S, "accuracy of a string model", lambda: metrics.accuracy("model", torch.randn(2, 3), torch.zeros(2)))
add(S, "device('tpu')", lambda: utils.device("tpu"))
add(S, "set_seed('abc')", lambda: utils.set_seed("abc"))
add(S, "count_params of a list", lambda: utils.count_params([1, 2]))

# ------------------------------------------------------------------ attention
S = "attention"
Q, K = torch.randn(2, 4), torch.randn(2, 6, 5)
Wq, Wk, v = torch.randn(3, 4), torch.randn(3, 5), torch.randn(3)
add(S, "query wrong width for W_q", lambda: attention.additive_attention(torch.randn(2, 7), K, Wq, Wk, v))
add(S, "keys wrong width for W_k", lambda: attention.additive_attention(Q, torch.randn(2, 6, 8), Wq, Wk, v))
add(S, "v wrong length", lambda: attention.additive_attention(Q, K, Wq, Wk, torch.randn(2)))
add(S, "W_q and W_k disagree on A", lambda: attention.additive_attention(Q, K, torch.randn(2, 4), Wk, v))
add(S, "W_q 1-D", lambda: attention.additive_attention(Q, K, torch.randn(4), Wk, v))
add(S, "v 2-D", lambda: attention.additive_attention(Q, K, Wq, Wk, torch.randn(3, 1)))
add(S, "W_k a list", lambda: attention.additive_attention(Q, K, Wq, [[0.0] * 5] * 3, v))
add(S, "query float64, keys float32", lambda: attention.additive_attention(Q.double(), K, Wq, Wk, v))
add(S, "projected_keys wrong A", lambda: attention.additive_attention(Q, K, Wq, Wk, v, projected_keys=torch.randn(2, 6, 7)))
add(S, "projected_keys a list", lambda: attention.additive_attention(Q, K, Wq, Wk, v, projected_keys=[1, 2]))
add(S, "query 1-D", lambda: attention.additive_attention(torch.randn(4), K, Wq, Wk, v))
add(S, "keys batch differs", lambda: attention.additive_attention(Q, torch.randn(3, 6, 5), Wq, Wk, v))
add(S, "mask not bool", lambda: attention.additive_attention(Q, K, Wq, Wk, v, mask=torch.ones(2, 6)))
add(S, "mask all False", lambda: attention.additive_attention(Q, K, Wq, Wk, v, mask=torch.zeros(2, 6, dtype=torch.bool)))
add(S, "AdditiveAttention(4,5,3) query width 7", lambda: attention.AdditiveAttention(4, 5, 3)(torch.randn(2, 7), K))
add(S, "AdditiveAttention(4,5,3) keys width 8", lambda: attention.AdditiveAttention(4, 5, 3)(Q, torch.randn(2, 6, 8)))
add(S, "AdditiveAttention(4,5,3) float64 query", lambda: attention.AdditiveAttention(4, 5, 3)(Q.double(), K.double()))
add(S, "AdditiveAttention.project_keys wrong width", lambda: attention.AdditiveAttention(4, 5, 3).project_keys(torch.randn(2, 6, 8)))
add(S, "AdditiveAttention.project_keys 2-D", lambda: attention.AdditiveAttention(4, 5, 3).project_keys(torch.randn(2, 5)))
add(S, "AdditiveAttention(0, 5, 3)", lambda: attention.AdditiveAttention(0, 5, 3))

# ------------------------------------------------------------------ decode
S = "decode"


def _step(tokens, state, V=7):
    return torch.log_softmax(torch.randn(tokens.shape[0], V), -1), state


START = torch.zeros(3, dtype=torch.long)
add(S, "beam_search end_token=9 with 7 tokens", lambda: decode.beam_search(_step, START, None, 5, 9))
add(S, "beam_search end_token=-1", lambda: decode.beam_search(_step, START, None, 5, -1))
add(S, "greedy end_token=9 with 7 tokens", lambda: decode.greedy(_step, START, None, 5, 9))
add(S, "greedy end_token=-1", lambda: decode.greedy(_step, START, None, 5, -1))
add(S, "sample end_token=7", lambda: decode.sample(_step, START, None, 5, end_token=7))
add(S, "greedy end_token numpy 9", lambda: decode.greedy(_step, START, None, 5, np.int64(9)))
add(S, "greedy end_token 2.0", lambda: decode.greedy(_step, START, None, 5, 2.0))
add(S, "beam_search end_token=None", lambda: decode.beam_search(_step, START, None, 5, None))
add(S, "greedy state batch 2 for 3 starts (indexed)",
    lambda: decode.beam_search(_step, START, torch.zeros(2, 4), 5, 1))
add(S, "greedy step returns probabilities",
    lambda: decode.greedy(lambda t, s: (torch.softmax(torch.randn(t.shape[0], 7), -1), s), START, None, 5))
add(S, "sample step returns NaN",
    lambda: decode.sample(lambda t, s: (torch.full((t.shape[0], 7), float("nan")), s), START, None, 5))
add(S, "greedy step returns one tensor", lambda: decode.greedy(lambda t, s: torch.zeros(3, 7), START, None, 5))
add(S, "greedy step wrong batch", lambda: decode.greedy(lambda t, s: (torch.zeros(2, 7), s), START, None, 5))
add(S, "greedy start_tokens float", lambda: decode.greedy(_step, torch.zeros(3), None, 5))
add(S, "greedy start_tokens 2-D", lambda: decode.greedy(_step, torch.zeros(3, 1, dtype=torch.long), None, 5))
add(S, "greedy start_tokens list", lambda: decode.greedy(_step, [0, 0], None, 5))
add(S, "greedy max_len=0", lambda: decode.greedy(_step, START, None, 0))
add(S, "greedy step not callable", lambda: decode.greedy("step", START, None, 5))
add(S, "beam_search beam_width=0", lambda: decode.beam_search(_step, START, None, 5, 1, beam_width=0))
add(S, "beam_search alpha=-1", lambda: decode.beam_search(_step, START, None, 5, 1, alpha=-1))
add(S, "sample temperature=-1", lambda: decode.sample(_step, START, None, 5, temperature=-1))
add(S, "sample top_p=0", lambda: decode.sample(_step, START, None, 5, top_p=0))
add(S, "sample top_k=0", lambda: decode.sample(_step, START, None, 5, top_k=0))
add(S, "sampling_distribution logits a list", lambda: decode.sampling_distribution([1.0, 2.0]))
add(S, "sampling_distribution NaN logits", lambda: decode.sampling_distribution(torch.tensor([float("nan"), 1.0])))
add(S, "index_state of a str", lambda: decode.index_state("s", torch.tensor([0])))
add(S, "strip tokens 1-D", lambda: decode.strip(torch.zeros(3, dtype=torch.long), 0))
add(S, "strip end_token a str", lambda: decode.strip(torch.zeros(2, 3, dtype=torch.long), "end"))

# ------------------------------------------------------------------ data
S = "data.text"
V = dtext.CharVocab("hello world")
add(S, "CharVocab('')", lambda: dtext.CharVocab(""))
add(S, "CharVocab([1, 2])", lambda: dtext.CharVocab([1, 2]))
add(S, "encode unknown character", lambda: V.encode("hex"))
add(S, "encode a list", lambda: V.encode(["h"]))
add(S, "decode id 99", lambda: V.decode([99]))
add(S, "decode id -1", lambda: V.decode([-1]))
add(S, "decode 2-D tensor", lambda: V.decode(torch.zeros(2, 2, dtype=torch.long)))
add(S, "decode float ids", lambda: V.decode([1.0]))
add(S, "decode a str", lambda: V.decode("hel"))
add(S, "split_text fraction 1.5", lambda: dtext.split_text("abcdefgh", 1.5))
add(S, "split_text too short", lambda: dtext.split_text("abc"))
add(S, "streams n_streams=0", lambda: dtext.streams(torch.arange(10), 0))
add(S, "streams 2-D ids", lambda: dtext.streams(torch.zeros(2, 5), 1))
add(S, "streams too few ids", lambda: dtext.streams(torch.arange(3), 5))
S = "data"
add(S, "lagged lags empty", lambda: rc.data.lagged(np.arange(10.0), []))
add(S, "lagged lag too long", lambda: rc.data.lagged(np.arange(10.0), [20]))
add(S, "pulses n=0", lambda: rc.data.pulses(0))
add(S, "first_input_recall delay=-1", lambda: rc.data.tasks.first_input_recall(4, -1))
add(S, "mackey_glass n_steps=0", lambda: ch05.mackey_glass(0))
add(S, "read_shipped('nope')", lambda: rc.data.read_shipped("nope"))
S = "chapters.ch10_dates"
add(S, "write_date of a str", lambda: dates.write_date("2026-11-22", "d month yyyy"))
add(S, "write_date unknown format", lambda: dates.write_date(dt.date(2026, 1, 1), "yyyy"))
add(S, "write_date weekday='mid'", lambda: dates.write_date(dt.date(2026, 1, 1), "d month yyyy", "mid"))
add(S, "date_pairs n=0", lambda: dates.date_pairs(0))
add(S, "date_pairs split='val'", lambda: dates.date_pairs(2, split="val"))
add(S, "date_pairs weekday_prob='half'", lambda: dates.date_pairs(2, weekday_prob="half"))
add(S, "date_pairs weekday_prob=2", lambda: dates.date_pairs(2, weekday_prob=2))
add(S, "date_pairs formats a str", lambda: dates.date_pairs(2, formats="dd/mm/yyyy"))
add(S, "date_pairs filler=(3, 1)", lambda: dates.date_pairs(2, filler=(3, 1)))
add(S, "date_pairs seed='x'", lambda: dates.date_pairs(2, seed="x"))
add(S, "encode_pairs target with '/'", lambda: dates.encode_pairs([("22/11/2026", "2026/11/22")]))
add(S, "encode_pairs not pairs", lambda: dates.encode_pairs(["22/11/2026"]))
add(S, "encode_pairs target too long", lambda: dates.encode_pairs([("22/11/2026", "2026-11-221")]))
add(S, "encode_inputs uppercase", lambda: dates.encode_inputs(["Nov 22"]))
add(S, "encode_inputs a str", lambda: dates.encode_inputs("nov 22"))
add(S, "encode_inputs length too short", lambda: dates.encode_inputs(["nov 22"], length=3))
add(S, "decode_outputs token 99", lambda: dates.decode_outputs([[3, 99]]))
add(S, "decode_outputs token -1", lambda: dates.decode_outputs([[3, -1]]))
add(S, "decode_outputs 1-D tensor", lambda: dates.decode_outputs(torch.tensor([3, 4])))
add(S, "decode_outputs float tokens", lambda: dates.decode_outputs([[3.0, 4.0]]))
add(S, "input_lengths of a list", lambda: dates.input_lengths([[1, 2, 0]]))

# ------------------------------------------------------------------ chapter 8
S = "ch08"
lm = ch08.CharLM(5, 8)
add(S, "sample temperature=-1", lambda: ch08.sample(lm, torch.zeros(1, 2, dtype=torch.long), 3, temperature=-1.0))
add(S, "sample temperature=0", lambda: ch08.sample(lm, torch.zeros(1, 2, dtype=torch.long), 3, temperature=0))
add(S, "sample temperature='hot'", lambda: ch08.sample(lm, torch.zeros(1, 2, dtype=torch.long), 3, temperature="hot"))
add(S, "sample float prompt", lambda: ch08.sample(lm, torch.zeros(1, 2), 3))
add(S, "sample 1-D prompt", lambda: ch08.sample(lm, torch.zeros(2, dtype=torch.long), 3))
add(S, "sample prompt id 9 with 5 chars", lambda: ch08.sample(lm, torch.full((1, 2), 9), 3))
add(S, "sample n_steps=0", lambda: ch08.sample(lm, torch.zeros(1, 2, dtype=torch.long), 0))
add(S, "sample model not a CharLM", lambda: ch08.sample("model", torch.zeros(1, 2, dtype=torch.long), 3))
add(S, "CharLM(1)", lambda: ch08.CharLM(1))
add(S, "lookup_task n=0", lambda: ch08.lookup_task(0, 5))
add(S, "lookup_task symbols=1", lambda: ch08.lookup_task(4, 5, symbols=1))
add(S, "reviews n=0", lambda: ch08.reviews(0))
add(S, "bayes_bound delay=-1", lambda: ch08.bayes_bound(ch08.reviews(4), -1))
add(S, "delay_targets delay=1.5", lambda: ch08.delay_targets(ch08.reviews(4), 1.5))
add(S, "gradient_by_depth kind='nope'", lambda: ch08.gradient_by_depth("nope", depths=(1,), width=4, length=4))
_uni = rc.fast.FastRecurrent("lstm", 4, [16])(torch.zeros(2, 6, 4))[0]       # (2, 6, 16), even
add(S, "readout_features both ends, left-to-right outputs", lambda: ch08.readout_features(_uni, "both ends", bidirectional=False))
add(S, "readout_features both ends, odd width", lambda: ch08.readout_features(torch.zeros(2, 6, 5), "both ends", bidirectional=True))
add(S, "train_classifier on Reviews", lambda: ch08.train_classifier(ch08.ManyToOne(20, 4, 4), ch08.reviews(8)))
add(S, "readout_run on Reviews", lambda: ch08.readout_run("last step", 0, ch08.reviews(8), ch08.reviews(8)))
add(S, "arc_accuracy on Reviews", lambda: ch08.arc_accuracy(ch08.ManyToOne(20, 4, 4), ch08.reviews(3)))

# ------------------------------------------------------------------ chapter 9
S = "ch09"
small = dtext.CharVocab("abcdefgh")
corpus = ch09.Corpus("abcdefgh" * 40, small, small.encode("abcdefgh" * 30), small.encode("abcdefgh" * 10))
lm9 = ch09.CharLM(len(small), 4, 8)
add(S, "train chunk_length=0", lambda: ch09.train(lm9, corpus, updates=1, chunk_length=0, progress=False))
add(S, "train chunk_length=-3", lambda: ch09.train(lm9, corpus, updates=1, chunk_length=-3, progress=False))
add(S, "train updates=0", lambda: ch09.train(lm9, corpus, updates=0, progress=False))
add(S, "train n_streams=0", lambda: ch09.train(lm9, corpus, updates=1, n_streams=0, progress=False))
add(S, "train corpus a str", lambda: ch09.train(lm9, "text", updates=1, progress=False))
add(S, "ngram_cross_entropy order=0", lambda: ch09.ngram_cross_entropy(corpus.train_ids, corpus.val_ids, 8, 0))
add(S, "ngram_cross_entropy vocab_size below the ids", lambda: ch09.ngram_cross_entropy(corpus.train_ids, corpus.val_ids, 5, 2))
add(S, "ngram_cross_entropy val shorter than the order", lambda: ch09.ngram_cross_entropy(corpus.train_ids, corpus.val_ids[:2], 8, 3))
add(S, "ngram_cross_entropy alpha=0", lambda: ch09.ngram_cross_entropy(corpus.train_ids, corpus.val_ids, 8, 2, alpha=0))
add(S, "cosine_schedule total=0", lambda: ch09.cosine_schedule(0))
add(S, "cosine_schedule floor=2", lambda: ch09.cosine_schedule(10, floor=2))
add(S, "cosine_schedule warmup=-1", lambda: ch09.cosine_schedule(10, warmup=-1))
add(S, "generate unknown prompt character", lambda: ch09.generate(lm9, small, "xyz", 3))
add(S, "generate empty prompt", lambda: ch09.generate(lm9, small, "", 3))
add(S, "generate length=0", lambda: ch09.generate(lm9, small, "ab", 0))
add(S, "generate temperature=-1", lambda: ch09.generate(lm9, small, "ab", 3, temperature=-1))
add(S, "generate model with more outputs than the vocab",
    lambda: ch09.generate(ch09.CharLM(40, 4, 8), small, "ab", 20, seed=1))
add(S, "CharLM forward float ids", lambda: lm9(torch.zeros(2, 3)))
add(S, "CharLM(0)", lambda: ch09.CharLM(0))

# ------------------------------------------------------------------ chapter 10
S = "ch10"
pairs = dates.date_pairs(8, seed=0)
dx, dy = dates.encode_pairs(pairs)
add(S, "train updates=0", lambda: ch10.train("fixed", (dx, dy), updates=0, hidden=4, embedding=4))
add(S, "train no examples", lambda: ch10.train("fixed", (dx[:0], dy[:0]), updates=1))
add(S, "train batch_size=0", lambda: ch10.train("fixed", (dx, dy), updates=1, batch_size=0))
add(S, "train updates not a multiple", lambda: ch10.train("fixed", (dx, dy), updates=3, batch_size=4))
add(S, "train kind='transformer'", lambda: ch10.train("transformer", (dx, dy), updates=1, batch_size=8))
add(S, "train data not a pair", lambda: ch10.train("fixed", dx, updates=1))
add(S, "make_model kind='nope'", lambda: ch10.make_model("nope"))
add(S, "scores wrong length", lambda: ch10.scores(dy[:3], dy))
add(S, "scores one row for all", lambda: ch10.scores(dy[0], dy))
add(S, "scores a list", lambda: ch10.scores(dy.tolist(), dy))
add(S, "translate float inputs", lambda: ch10.translate(ch10.make_model("fixed", hidden=4, embedding=4), dx.float()))
add(S, "translate 1-D inputs", lambda: ch10.translate(ch10.make_model("fixed", hidden=4, embedding=4), dx[0]))
add(S, "translate beam_width=0", lambda: ch10.translate(ch10.make_model("fixed", hidden=4, embedding=4), dx, beam_width=0))
add(S, "reverse_padded lengths too long", lambda: ch10.reverse_padded(dx, torch.full((8,), 99)))
add(S, "attention_mass_outside wrong width", lambda: ch10.attention_mass_outside("on 1 may", torch.ones(3, 4)))
add(S, "error_after_error shapes differ", lambda: ch10.error_after_error(dy[:3], dy))
add(S, "by_length edges a number", lambda: ch10.by_length([1, 2], [True, False], 5))

# ------------------------------------------------------------------ chapter 11
S = "ch11"
obj = dict(colour="red", shape="circle", size="small", row=0, col=1)
add(S, "render unknown shape", lambda: ch11.render([dict(obj, shape="hexagon")]))
add(S, "render unknown colour", lambda: ch11.render([dict(obj, colour="purple")]))
add(S, "render unknown size", lambda: ch11.render([dict(obj, size="huge")]))
add(S, "render row outside the grid", lambda: ch11.render([dict(obj, row=5)]))
add(S, "render missing key", lambda: ch11.render([{"colour": "red"}]))
add(S, "render one dict instead of a list", lambda: ch11.render(obj))
add(S, "render noise=-1", lambda: ch11.render([obj], noise=-1))
add(S, "decode_tokens id 99", lambda: ch11.decode_tokens([3, 99]))
add(S, "decode_tokens id -1", lambda: ch11.decode_tokens([3, -1]))
add(S, "encode unknown word", lambda: ch11.encode("a purple circle"))
add(S, "bleu a str for a list", lambda: _mentions(lambda: ch11.bleu("a red circle", ["a red circle"]), "list"))
add(S, "bleu lengths differ", lambda: ch11.bleu(["a"], ["a", "b"]))
add(S, "shapes n=0", lambda: ch11.shapes(0))
add(S, "shapes split='val'", lambda: ch11.shapes(2, split="val"))
add(S, "generate 3-D images", lambda: ch11.generate(ch11.Captioner(channels=4, feature=8, hidden=8), torch.rand(2, 24, 24)))
add(S, "Captioner inject='nope'", lambda: ch11.Captioner(inject="nope"))
add(S, "relation of strings", lambda: ch11.relation("a", "b"))
add(S, "caption_scores lengths differ", lambda: ch11.caption_scores(["a"], []))
add(S, "clips n=0", lambda: ch11.clips(0))

# ------------------------------------------------------------------ chapter 12
S = "ch12"
a5, b5 = torch.rand(2, 5, 3), torch.randn(2, 5, 3)
add(S, "scan shapes differ", lambda: ch12.scan(a5, b5[:, :4]))
add(S, "scan h0 wrong shape", lambda: ch12.scan(a5, b5, torch.zeros(2, 4)))
add(S, "scan a list", lambda: ch12.scan([1.0], [2.0]))
add(S, "linear_recurrence_loop shapes differ", lambda: ch12.linear_recurrence_loop(a5, b5[:1]))
add(S, "log_space_scan shapes differ", lambda: ch12.log_space_scan(a5.log(), b5[:, :2]))
add(S, "scan_steps(0)", lambda: ch12.scan_steps(0))
add(S, "scan_work(-1)", lambda: ch12.scan_work(-1))
add(S, "MinGRU(3, 4) x wrong width", lambda: ch12.MinGRU(3, 4)(torch.randn(2, 5, 6)))
add(S, "MinGRU mode='nope'", lambda: ch12.MinGRU(3, 4, mode="nope"))
add(S, "DiagonalSSM(0)", lambda: ch12.DiagonalSSM(0))
add(S, "TokenModel kind='nope'", lambda: ch12.TokenModel("nope", 5))
add(S, "selective_copying length too short", lambda: ch12.selective_copying(2, length=5, n_tokens=4))
add(S, "copy_loss targets longer than the sequence", lambda: ch12.copy_loss(torch.randn(2, 3, 5), torch.zeros(2, 4, dtype=torch.long)))
add(S, "SelfAttention(0)", lambda: ch12.SelfAttention(0))
add(S, "attention_macs(0, 4)", lambda: ch12.attention_macs(0, 4))
add(S, "Hopfield(0)", lambda: ch12.Hopfield(0))
add(S, "bar_images size=0", lambda: ch12.bar_images(2, size=0))
add(S, "PixelRNN complete known_rows=99", lambda: ch12.PixelRNN(4, 8).complete(ch12.bar_images(2, size=4), 99))

# ------------------------------------------------------------------ checks
S = "checks"
add(S, "checks.ch01.parameter_counts given one function",
    lambda: _check_blames_itself(lambda: rc.checks.ch01.parameter_counts(lambda L, H: 1)))


def _check_blames_itself(fn):
    result = fn()
    text = str(getattr(result, "message", result))
    if "report this to your instructor" in text:
        raise _Blame(text)
    if getattr(result, "passed", False):
        return result
    raise_clear(text)


class _Blame(Exception):
    pass


def raise_clear(text):
    """A check that returns a failing result with a message is the clear outcome."""
    raise _CheckFailed(text)


class _CheckFailed(Exception):
    pass




# ------------------------------------------------------------------ more of the core
S = "core"
from rnncourse import gradients, pulse, tables, timeseries  # noqa: E402
from rnncourse.chapters import ch04 as numpy_rnn  # noqa: E402  (the NumPy RNN of chapter 4)

add(S, "gradient_norms_by_lag x 2-D", lambda: gradients.gradient_norms_by_lag(cells.RNNCell(3, 4), torch.randn(2, 3)))
add(S, "gradient_norms_by_lag cell a str", lambda: gradients.gradient_norms_by_lag("rnn", X3))
add(S, "gradient_norms_by_lag direction wrong size", lambda: gradients.gradient_norms_by_lag(cells.RNNCell(3, 4), X3, direction=torch.ones(3)))
add(S, "log_slope of 1 value", lambda: gradients.log_slope([1.0]))
add(S, "log_slope with a zero norm", lambda: gradients.log_slope([1.0, 0.0, 0.1]))
add(S, "log_slope base=1", lambda: gradients.log_slope([1.0, 0.1, 0.01], base=1))
add(S, "pulse.run kind='nope'", lambda: pulse.run("nope", 4, seeds=(0,), epochs=1, n_train=4, n_test=4, length=10))
add(S, "pulse.run seeds=()", lambda: pulse.run("lstm", 4, seeds=(), epochs=1, n_train=4, n_test=4, length=10))
add(S, "pulse.run forget_bias on a GRU", lambda: pulse.run("gru", 4, seeds=(0,), epochs=1, n_train=4, n_test=4, length=10, forget_bias=1.0))
add(S, "tables.mean_std of nothing", lambda: tables.mean_std([]))
add(S, "tables.format_mean_std of strings", lambda: tables.format_mean_std(["a", "b"]))
add(S, "tables.run_seeds seeds=[]", lambda: tables.run_seeds(lambda s: {"a": 1.0}, []))
add(S, "tables.results_table rows a list", lambda: tables.results_table([1, 2]))
add(S, "numpy_rnn.Params wrong shapes", lambda: numpy_rnn.Params(np.zeros((4, 3)), np.zeros((4, 5)), np.zeros(4), np.zeros((1, 4)), np.zeros(1)))
_P = None


def _params():
    return numpy_rnn.Params(np.zeros((4, 3)), np.zeros((4, 4)), np.zeros(4), np.zeros((2, 4)), np.zeros(2))


add(S, "numpy_rnn.forward x wrong width", lambda: numpy_rnn.forward(_params(), np.zeros((2, 5, 7))))
add(S, "numpy_rnn.forward h0 wrong shape", lambda: numpy_rnn.forward(_params(), np.zeros((2, 5, 3)), h0=np.zeros(3)))
add(S, "numpy_rnn.loss_and_gradients loss='hinge'", lambda: numpy_rnn.loss_and_gradients(_params(), np.zeros((2, 5, 3)), np.zeros((2, 5, 2)), loss="hinge"))
add(S, "numpy_rnn.cross_entropy class 5 of 2", lambda: numpy_rnn.loss_and_gradients(_params(), np.zeros((2, 5, 3)), np.full((2, 5), 5), loss="cross_entropy"))
add(S, "numpy_rnn.mse targets wrong shape", lambda: numpy_rnn.loss_and_gradients(_params(), np.zeros((2, 5, 3)), np.zeros((2, 5, 3))))
add(S, "numpy_rnn.numerical_gradient eps=0", lambda: numpy_rnn.numerical_gradient(lambda p: 0.0, _params(), eps=0))
add(S, "numpy_rnn.operation_counts(0, 4, 1)", lambda: numpy_rnn.operation_counts(0, 4, 1))
add(S, "timeseries.Standardizer.fit of one value", lambda: timeseries.Standardizer.fit([1.0]))
add(S, "timeseries.fit_ar shapes differ", lambda: timeseries.fit_ar(np.zeros((5, 2)), np.zeros(4)))
add(S, "timeseries.predict_ar w wrong length", lambda: timeseries.predict_ar(np.zeros((5, 2)), np.zeros(3), 0.0))
add(S, "timeseries.check_periods reversed", lambda: timeseries.check_periods({"train": (1900, 1800)}))
add(S, "cells.param_count('lstm', 3, [4, 0])", lambda: cells.param_count("lstm", 3, [4, 0]))
add(S, "models.TimeDelayMLP forward wrong width", lambda: models.TimeDelayMLP(5)(torch.randn(2, 4)))
add(S, "models.LastStepClassifier(rnn, 0)", lambda: models.LastStepClassifier(layers.Recurrent("rnn", 3, 4), 0))
add(S, "utils.to_numpy of a str", lambda: utils.to_numpy("abc"))
add(S, "metrics.nmse with NaN", lambda: metrics.nmse(np.array([1.0, np.nan]), np.zeros(2)))
add(S, "metrics.nmse of a constant target", lambda: metrics.nmse(np.ones(4), np.zeros(4)))

# ------------------------------------------------------------------ whole-number arguments
# every count below given 0, -1, 2.5, "3", None and True (a bool is not a count)
S = "counts"
_SMALL_CORPUS_LM = ch09.CharLM(8, 4, 8)
COUNTS = {
    "ch08.lookup_task(n)": lambda v: ch08.lookup_task(v, 5),
    "ch08.lookup_task(length)": lambda v: ch08.lookup_task(4, v),
    "ch08.lookup_task(k)": lambda v: ch08.lookup_task(4, 5, k=v),
    "ch08.reviews(n)": lambda v: ch08.reviews(v),
    "ch09.generate(length)": lambda v: ch09.generate(_SMALL_CORPUS_LM, small, "ab", v),
    "ch09.generate(n)": lambda v: ch09.generate(_SMALL_CORPUS_LM, small, "ab", 3, n=v),
    "ch11.shapes(n)": lambda v: ch11.shapes(v),
    "ch11.clips(frames)": lambda v: ch11.clips(2, frames=v),
    "ch12.selective_copying(n_tokens)": lambda v: ch12.selective_copying(2, n_tokens=v),
    "ch12.bar_images(n)": lambda v: ch12.bar_images(v),
    "dates.date_pairs(n)": lambda v: dates.date_pairs(v),
    "data.streams(n_streams)": lambda v: dtext.streams(torch.arange(20), v),
    "fit(epochs)": lambda v: tiny_fit(epochs=v),
    "fit(batch_size)": lambda v: tiny_fit(batch_size=v) if v is not None else _none_is_default(),
    "decode.greedy(max_len)": lambda v: decode.greedy(_step, START, None, v),
    "decode.beam_search(beam_width)": lambda v: decode.beam_search(_step, START, None, 3, 1, beam_width=v),
    "Recurrent(hidden)": lambda v: layers.Recurrent("gru", 3, v),
    "AdditiveAttention(attention_size)": lambda v: attention.AdditiveAttention(4, 5, v),
}


def _none_is_default():
    raise _CheckFailed("batch_size=None is the documented full batch: valid, counted as clear")


for name, call in COUNTS.items():
    for bad in (0, -1, 2.5, "3", None, True):
        add(S, f"{name} = {bad!r}", lambda c=call, b=bad: c(b))

# ------------------------------------------------------------------ tensors of the wrong kind
S = "tensors"
TENSOR_CALLS = {
    "Recurrent(x)": lambda t: layers.Recurrent("lstm", 3, 4)(t),
    "FastRecurrent(x)": lambda t: FastRecurrent("lstm", 3, 4)(t),
    "ch09.CharLM(x)": lambda t: lm9(t),
    "ch12.scan(a, b)": lambda t: ch12.scan(t, t),
    "ch12.MinGRU(x)": lambda t: ch12.MinGRU(3, 4)(t),
    "decode.greedy(start_tokens)": lambda t: decode.greedy(_step, t, None, 3),
    "dates.input_lengths(x)": lambda t: dates.input_lengths(t),
    "ch10.scores(pred, y)": lambda t: ch10.scores(t, dy),
    "metrics.sequence_cross_entropy(logits, y)": lambda t: metrics.sequence_cross_entropy(t, torch.zeros(2, 5, dtype=torch.long)),
    "attention.additive_attention(query)": lambda t: attention.additive_attention(t, K, Wq, Wk, v),
}
for name, call in TENSOR_CALLS.items():
    for label, bad in (("a list", [[1.0, 2.0]]), ("None", None), ("a NumPy array", np.zeros((2, 5, 3))),
                       ("a 0-d tensor", torch.tensor(1.0)), ("a 1-d tensor", torch.zeros(4))):
        add(S, f"{name} given {label}", lambda c=call, b=bad: c(b))

# ------------------------------------------------------------------ valid inputs must work
VALID: list[tuple[str, object]] = [
    ("CharVocab.decode(np.array([1, 0]))", lambda: V.decode(np.array([1, 0]))),
    ("CharVocab.decode([np.int64(1)])", lambda: V.decode([np.int64(1)])),
    ("Recurrent('gru', 3, np.int64(4))", lambda: layers.Recurrent("gru", 3, np.int64(4))),
    ("FastRecurrent('gru', 3, (4, 4)) with states", lambda: FastRecurrent("gru", 3, (4, 4))(X3, [torch.zeros(2, 4)] * 2)),
    ("bidirectional fast lstm with a pair of (h, c)", lambda: FastRecurrent("lstm", 3, 4, bidirectional=True)(
        X3, [((torch.zeros(2, 4), torch.zeros(2, 4)), (torch.zeros(2, 4), torch.zeros(2, 4)))])),
    ("decode.greedy end_token numpy int", lambda: decode.greedy(_step, START, None, 3, np.int64(1))),
    ("decode.beam_search dict state", lambda: decode.beam_search(_step, START, {"h": torch.zeros(3, 2)}, 3, 1)),
    ("fit with an optimizer without lr, no schedule",
     lambda: tiny_fit(model=(m := torch.nn.Linear(3, 1)), optimizer=_NoLr(m.parameters()))),
    ("dates.decode_outputs of a tensor", lambda: dates.decode_outputs(dy)),
    ("ch11.render of a shipped scene", lambda: ch11.render(ch11.shapes(1).objects[0])),
    ("ch11.decode_tokens of a tensor", lambda: ch11.decode_tokens(ch11.shapes(1).tokens[0])),
    ("ch10.translate of a few dates", lambda: ch10.translate(ch10.make_model("attention", hidden=4, embedding=4, attention=4), dx[:2], beam_width=2)),
]


class _NoLr(torch.optim.Optimizer):
    def __init__(self, params):
        super().__init__(params, defaults={})

    @torch.no_grad()
    def step(self):
        for g in self.param_groups:
            for p in g["params"]:
                p.add_(p.grad, alpha=-0.01)


# ------------------------------------------------------------------ run
def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quiet", action="store_true", help="print only the cases that are not clear")
    args = ap.parse_args()
    torch.set_num_threads(1)
    counts = {"clear": 0, "raw": 0, "silent": 0}
    by_section: dict[str, dict[str, int]] = {}
    for section, label, fn in CASES:
        verdict, msg = classify(fn)
        if msg.startswith("_CheckFailed: "):          # a check returned a failing message
            verdict, msg = ("clear" if len(msg) > 34 else "raw"), msg[len("_CheckFailed: "):]
        elif msg.startswith(("_Blame: ", "_Unclear: ")):
            verdict = "raw"
        elif msg.startswith("AssertionError: "):
            verdict = "silent"
        counts[verdict] += 1
        by_section.setdefault(section, {"clear": 0, "raw": 0, "silent": 0})[verdict] += 1
        if not args.quiet or verdict != "clear":
            print(f"{verdict:6s} [{section}] {label}\n         {msg[:300]}")
    print()
    print(f"{'section':14s} {'cases':>5s} {'clear':>5s} {'raw':>5s} {'silent':>6s}")
    for section, c in by_section.items():
        print(f"{section:14s} {sum(c.values()):5d} {c['clear']:5d} {c['raw']:5d} {c['silent']:6d}")
    refused = 0
    print("\nvalid inputs (must run):")
    for label, fn in VALID:
        verdict, msg = classify(fn)
        ok = verdict == "silent"
        refused += not ok
        print(f"  {'ok' if ok else 'REFUSED':7s} {label}" + ("" if ok else f"\n          {msg[:300]}"))
    total = sum(counts.values())
    print(f"\nbad input: {total} cases: {counts['clear']} clear, {counts['raw']} raw torch/Python "
          f"errors, {counts['silent']} silent; valid inputs refused: {refused} of {len(VALID)}")
    return 0 if counts["clear"] == total and not refused else 1


if __name__ == "__main__":
    sys.exit(main())
