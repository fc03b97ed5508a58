"""Character language models, shared by chapter 9 (which builds and studies them) and chapter
12 (which races a minGRU model against the LSTM one on the same text).

- :func:`load_corpus`: the Shakespeare text, its vocabulary and the fixed 90 / 10 split as ids
  (:class:`Corpus`);
- :class:`CharLM`: embedding, recurrent layers (LSTM or GRU, any of ``rc.layers.Recurrent``)
  and a linear readout to one logit per character, called ``model(x, state) -> (logits, state)``
  as ``rc.train.fit`` does for stateful truncated BPTT;
- :func:`ngram_cross_entropy`: the unigram / bigram / trigram baselines (add-alpha counts);
- :func:`train`: the book's recipe (Adam, :func:`cosine_schedule`, clipping) on
  ``rc.train.fit`` over parallel streams with the state carried, with an optional validation
  curve;
- :func:`generate`: text from a prompt, by :func:`rnncourse.decode.sample`.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import torch
from torch import nn

from . import data, decode, train as rc_train
from ._validate import nonnegative_number, positive_int
from .fast import FastRecurrent
from .layers import Recurrent
from .metrics import sequence_cross_entropy
from .utils import float64_if_supported

__all__ = ["Corpus", "load_corpus", "CharLM", "ngram_cross_entropy", "cosine_schedule", "train",
           "generate"]


@dataclass(frozen=True)
class Corpus:
    """The text, its vocabulary, and the training / validation ids (1-D int64 tensors)."""

    text: str
    vocab: data.CharVocab
    train_ids: torch.Tensor
    val_ids: torch.Tensor


def load_corpus(train_fraction: float = 0.9) -> Corpus:
    """``rc.data.shakespeare()`` with its vocabulary, split into the first 90 % and the rest."""
    text = data.shakespeare()
    vocab = data.CharVocab(text)
    train_text, val_text = data.split_text(text, train_fraction)
    return Corpus(text, vocab, vocab.encode(train_text), vocab.encode(val_text))


class CharLM(nn.Module):
    """Embedding, recurrent layers and a linear readout: the next character's logits.

    ``CharLM(vocab_size, embed_size, hidden_sizes, kind="lstm")``; ``forward(x, state=None)``
    takes ids ``(batch, time)`` and returns ``(logits, state)`` with logits
    ``(batch, time, vocab_size)`` and the layers' final states, to pass back in for the next
    chunk of text. ``fast=True`` (default) runs ``torch.nn.LSTM`` / ``GRU`` (one bias per
    gate, see :class:`rnncourse.fast.FastRecurrent`).
    """

    def __init__(self, vocab_size: int, embed_size: int = 32, hidden_sizes=256, kind: str = "lstm",
                 fast: bool = True):
        super().__init__()
        self.vocab_size = positive_int(vocab_size, "vocab_size")
        self.embed = nn.Embedding(vocab_size, positive_int(embed_size, "embed_size"))
        self.rnn = (FastRecurrent if fast else Recurrent)(kind, embed_size, hidden_sizes)
        self.readout = nn.Linear(self.rnn.output_size, vocab_size)

    def forward(self, x: torch.Tensor, state=None):
        if not isinstance(x, torch.Tensor) or x.dim() != 2 or x.is_floating_point():
            got = f"{tuple(x.shape)} {x.dtype}" if isinstance(x, torch.Tensor) else type(x).__name__
            raise ValueError(f"CharLM expects int64 character ids of shape (batch, time), got {got}")
        e = self.embed(x)                        # (batch, time, embed)
        h, state = self.rnn(e, state)            # (batch, time, hidden)
        return self.readout(h), state            # (batch, time, vocab)


@torch.no_grad()
def ngram_cross_entropy(train_ids: torch.Tensor, val_ids: torch.Tensor, vocab_size: int,
                        order: int, alpha: float = 0.1) -> float:
    """Validation cross-entropy (nats per character) of an ``order``-gram model.

    ``p(c | previous order - 1 characters) = (count + alpha) / (context count + alpha V)``,
    counted on ``train_ids`` (add-``alpha`` smoothing, so an unseen pair still gets some
    probability). Order 1 is the unigram model (character frequencies, no context), order 2
    the bigram model. Scored on every character of ``val_ids`` that has ``order - 1``
    predecessors.
    """
    n = positive_int(order, "order")
    V = positive_int(vocab_size, "vocab_size")
    alpha = nonnegative_number(alpha, "alpha")
    if alpha == 0:
        raise ValueError("alpha must be > 0: without smoothing an unseen n-gram has probability 0")
    from . import _validate as Vd
    for name, ids in (("train_ids", train_ids), ("val_ids", val_ids)):
        Vd.ids_below(Vd.int_tensor(ids, name, 1, "ngram_cross_entropy", "(length,)"), V, name,
                     f"ngram_cross_entropy with vocab_size={V}")
        if ids.shape[0] < n:
            raise ValueError(f"{name} has {ids.shape[0]} ids, fewer than order={n}: no {n}-gram to "
                             "count or score")

    def codes(ids):                              # one integer per n-gram, (len - n + 1,)
        ids = ids.long()
        code = torch.zeros(ids.shape[0] - n + 1, dtype=torch.long)
        for j in range(n):
            code = code * V + ids[j: ids.shape[0] - n + 1 + j]
        return code

    counts = torch.bincount(codes(train_ids), minlength=V ** n).double().reshape(-1, V)  # (V^(n-1), V)
    logp = torch.log((counts + alpha) / (counts.sum(1, keepdim=True) + alpha * V))        # (V^(n-1), V)
    return float(-logp.reshape(-1)[codes(val_ids)].mean())


def cosine_schedule(total: int, floor: float = 0.1, warmup: int = 0):
    """Learning-rate factor for ``fit(lr_schedule=...)``: a linear warm-up over ``warmup``
    updates, then a cosine from 1 down to ``floor`` at update ``total``."""
    from ._validate import nonnegative_int, probability
    positive_int(total, "total")
    probability(floor, "floor (the final factor of the learning rate)")
    nonnegative_int(warmup, "warmup")

    def factor(u: int) -> float:
        if u < warmup:
            return (u + 1) / warmup
        progress = min(1.0, (u - warmup) / max(1, total - warmup))
        return floor + (1 - floor) * 0.5 * (1 + math.cos(math.pi * progress))

    return factor


def train(model: nn.Module, corpus: Corpus, *, updates: int, n_streams: int = 32,
          chunk_length: int = 64, lr: float = 8e-3, clip_norm: float = 1.0, val_streams: int = 16,
          max_seconds: float | None = None, lr_schedule=None, seed: int = 0, device=None,
          progress=None, curve_every: int | None = None, curve_chars: int = 32_768,
          on_curve=None):
    """Train a language model on the corpus with the book's recipe; return the history.

    The training ids are cut into ``n_streams`` parallel streams (``rc.data.streams``) and
    walked in chunks of ``chunk_length`` characters with the state carried and detached
    (``rc.train.fit(chunk_length=...)``): one update per chunk, ``updates`` in all, Adam at
    ``lr`` decayed by a cosine to a tenth, gradient norm clipped. The validation loss
    (``history.val_loss[-1]``, nats per character) is measured after training on the whole
    validation text, ``val_streams`` streams with the state flowing through.
    ``max_seconds`` stops earlier on a wall-clock budget, and ``lr_schedule`` replaces the
    cosine over ``updates`` (benchmarks decay the rate with the elapsed time instead).

    ``curve_every`` records a validation curve: every ``curve_every`` updates (and after the
    last) the loss on the first ``curve_chars`` characters of the validation text (16 streams,
    state carried), as ``history.curve``, a list of ``(updates, loss)``; its time is not
    counted in ``history.seconds``. ``on_curve(updates, loss, seconds)``, if given, is called
    with each point as it is measured (``seconds``: the wall time since ``train`` started, the
    probes not counted), so that a long run can print its curve as it goes.
    """
    positive_int(updates, "updates")
    positive_int(chunk_length, "chunk_length")
    if not isinstance(corpus, Corpus):
        raise TypeError(f"train expects a Corpus (from load_corpus), got {type(corpus).__name__}")
    x, y = data.streams(corpus.train_ids, n_streams)          # (n_streams, L) each
    val = data.streams(corpus.val_ids, val_streams)
    epochs = math.ceil(updates / math.ceil(x.shape[1] / chunk_length))
    schedule = lr_schedule or cosine_schedule(updates)
    curve, curve_seconds = [], [0.0]
    started = time.perf_counter()

    def record(u):                               # one point of the curve, not counted as training
        tick = time.perf_counter()
        curve.append((u, rc_train.evaluate(model, probe, sequence_cross_entropy,
                                           chunk_length=chunk_length)))
        curve_seconds[0] += time.perf_counter() - tick
        if on_curve is not None:                 # the time so far, probes not counted
            on_curve(u, curve[-1][1], time.perf_counter() - started - curve_seconds[0])

    if curve_every is not None:
        positive_int(curve_every, "curve_every")
        probe = data.streams(corpus.val_ids[:positive_int(curve_chars, "curve_chars", 32) + 1], 16)
        inner = schedule

        def schedule(u):                         # called before every update: probe the model
            if u and u % curve_every == 0:
                record(u)
            return inner(u)

    history = rc_train.fit(model, (x, y), loss_fn=sequence_cross_entropy, epochs=epochs, lr=lr,
                           chunk_length=chunk_length, clip_norm=clip_norm, val_data=val,
                           max_updates=updates, max_seconds=max_seconds, lr_schedule=schedule,
                           seed=seed, device=device, progress=progress)
    if curve_every is not None:
        history.seconds -= curve_seconds[0]      # the probes inside fit's clock
        record(history.updates)
    history.curve = curve
    return history


def generate(model: nn.Module, vocab: data.CharVocab, prompt: str, length: int, *,
             temperature: float = 1.0, top_k: int | None = None, top_p: float | None = None,
             n: int = 1, seed: int = 0) -> list[str]:
    """``n`` continuations of ``prompt``, ``length`` characters each, sampled from the model.

    The prompt is run through the model to set its state (a character outside the vocabulary
    raises a ``ValueError`` that names it); then each new character is drawn from
    ``softmax(logits / temperature)`` (:func:`rnncourse.decode.sample`) and fed back in.
    Temperature 0 always takes the most likely character.
    """
    positive_int(length, "length")
    positive_int(n, "n")
    if not isinstance(prompt, str) or not prompt:
        raise ValueError("generate needs a non-empty prompt (at least one character)")
    ids = vocab.encode(prompt)                                   # raises for unknown characters
    dev = next(model.parameters()).device
    was = model.training
    model.eval()
    try:
        with torch.no_grad():
            ids = ids.to(dev).unsqueeze(0).expand(n, -1)         # (n, len(prompt))
            state = None
            if ids.shape[1] > 1:
                _, state = model(ids[:, :-1], state)             # read all but the last character

            wide = float64_if_supported(dev)                      # float32 on MPS

            def step(tokens, state):
                logits, state = model(tokens[:, None], state)     # (n, 1, vocab)
                return torch.log_softmax(logits[:, -1].to(wide), -1), state

            gen = torch.Generator(device=dev).manual_seed(seed)
            out, _ = decode.sample(step, ids[:, -1], state, length, temperature=temperature,
                                   top_k=top_k, top_p=top_p, generator=gen)
    finally:
        model.train(was)
    return [vocab.decode(row) for row in out.cpu()]
