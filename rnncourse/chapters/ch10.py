"""Chapter 10 (sequence to sequence): date normalisation with and without attention.

Two encoder-decoder models read a date written by a person (``"sun 22 nov 26"``, tokens of
:mod:`rnncourse.chapters.ch10_dates`) and write it in ISO form (``"2026-11-22"``), one character at a
time. They share the encoder, a bidirectional GRU over character embeddings, and differ only
in what the decoder sees of the input:

- :class:`Seq2Seq`: the encoder's last states (forward and backward), one vector ``c`` of
  fixed size, start the decoder and are fed to it at every step; ``c`` is the only context
  (Sutskever et al. 2014 start the decoder with it; Cho et al. 2014 also feed it at every step).
- :class:`AttentionSeq2Seq`: the same encoder and decoder GRU, started from zero, and at every
  output step additive attention (:mod:`rnncourse.attention`) over all the encoder's outputs
  (Bahdanau et al. 2015).

Both compute their own teacher-forced loss, ``logits, loss = model(src, tgt)``, so they train
with ``rc.train.fit(model, (x, y), loss_fn=None)``, and both have
``step(tokens, state) -> (log_probs, state)`` so that :mod:`rnncourse.decode` runs greedy and
beam search on them. :func:`translate` and :func:`scores` wrap those for the notebook.

:func:`load_fixed` loads the shipped fixed-context models (seeds 0, 1, 2 after 200, 400 and
800 updates), which ``scripts/train_ch10_fixed.py`` trained with the notebook's data and
recipe; the notebook loads them at ``SCALE = 1`` to stay within its time budget.
"""

from __future__ import annotations

import copy
import time

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from .. import decode
from ..attention import AdditiveAttention
from . import ch10_dates as dates
from ..fast import FastRecurrent
from ..train import fit

__all__ = ["reverse_padded", "Encoder", "Seq2Seq", "AttentionSeq2Seq", "make_model", "translate", "scores",
           "teacher_forced_accuracy", "train", "error_after_error", "filler_characters",
           "attention_mass_outside", "by_length", "TARGET_LENGTH", "FIXED_SEEDS", "FIXED_UPDATES",
           "fixed_file", "load_fixed"]

TARGET_LENGTH = 11            # ten ISO characters and the end token


def reverse_padded(x: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
    """Reverse the first ``lengths[b]`` steps of every row of ``x`` ``(batch, T, ...)``, in place
    of the padding that follows them: ``"abc__"`` becomes ``"cba__"``. Its own inverse."""
    if not isinstance(x, torch.Tensor) or x.dim() < 2 or not isinstance(lengths, torch.Tensor) \
            or lengths.shape != x.shape[:1] or lengths.is_floating_point() \
            or bool((lengths < 0).any()) or bool((lengths > x.shape[1]).any()):
        raise ValueError(f"reverse_padded expects x (batch, T, ...) and integer lengths (batch,) "
                         f"in 0..T, got x {getattr(x, 'shape', type(x).__name__)} and lengths "
                         f"{lengths.tolist() if isinstance(lengths, torch.Tensor) else lengths!r}")
    T = x.shape[1]
    t = torch.arange(T, device=x.device)
    idx = (lengths[:, None] - 1 - t) % T                          # (batch, T); pads map to pads
    idx = idx.view(*idx.shape, *([1] * (x.dim() - 2))).expand_as(x)
    return x.gather(1, idx)


class Encoder(nn.Module):
    """Character embeddings and a bidirectional GRU; returns every output and the last states.

    Inputs are padded on the right. The forward GRU reads each string from its first character,
    the backward GRU reads it reversed (:func:`reverse_padded`) from its last, so neither ever
    reads padding before a character: the outputs at the characters, and the last states, do not
    depend on how much padding a batch has. (``torch.nn``'s ``pack_padded_sequence`` does the
    same; this is that idea with two plain layers of :class:`rnncourse.fast.FastRecurrent`.)

    Columns of ``src`` that are padding in every row are dropped first, so ``T`` below is the
    longest input of the batch. ``forward(src)`` returns ``(outputs, mask, last)``: ``outputs``
    ``(batch, T, 2H)``, at
    position ``j`` the forward and the backward state there, ``[h_fwd_j; h_bwd_j]``; ``mask``
    ``(batch, T)`` True on characters; ``last`` ``(batch, 2H)`` both directions' final states.
    """

    def __init__(self, vocab: int = len(dates.INPUT_CHARS), embedding: int = 16, hidden: int = 32):
        super().__init__()
        self.hidden = hidden
        self.embed = nn.Embedding(vocab, embedding, padding_idx=dates.PAD)
        self.forward_rnn = FastRecurrent("gru", embedding, hidden)
        self.backward_rnn = FastRecurrent("gru", embedding, hidden)

    def forward(self, src: torch.Tensor):
        mask = src != dates.PAD                                   # (batch, T) True on characters
        lengths = mask.sum(dim=1)                                 # (batch,)
        if bool((lengths == 0).any()):
            raise ValueError("an input has no characters")
        T = int(lengths.max())                                    # columns after it are all padding
        src, mask = src[:, :T], mask[:, :T]
        e = self.embed(src)                                       # (batch, T, E)
        fwd, _ = self.forward_rnn(e)                              # (batch, T, H)
        bwd, _ = self.backward_rnn(reverse_padded(e, lengths))    # (batch, T, H), reversed order
        out = torch.cat([fwd, reverse_padded(bwd, lengths)], dim=-1)  # (batch, T, 2H)
        rows = torch.arange(src.shape[0], device=src.device)
        last = torch.cat([fwd[rows, lengths - 1], bwd[rows, lengths - 1]], dim=-1)  # (batch, 2H)
        return out, mask, last


def _shift(tgt: torch.Tensor) -> torch.Tensor:
    """Teacher forcing: the decoder's inputs are the targets moved one step right, START first."""
    start = torch.full_like(tgt[:, :1], dates.START)
    return torch.cat([start, tgt[:, :-1]], dim=1)                 # (batch, L)


class Seq2Seq(nn.Module):
    """Encoder-decoder whose only context is the encoder's last state (a fixed-size vector)."""

    def __init__(self, embedding: int = 16, hidden: int = 32, out_vocab: int = len(dates.OUTPUT_CHARS)):
        super().__init__()
        self.encoder = Encoder(embedding=embedding, hidden=hidden)
        self.embed = nn.Embedding(out_vocab, embedding)
        self.decoder = FastRecurrent("gru", embedding + 2 * hidden, 2 * hidden)
        self.out = nn.Linear(4 * hidden, out_vocab)

    def start(self, src: torch.Tensor):
        """The decoder's state for the inputs ``src``: ``(s, c)``, both the encoder's last states."""
        c = self.encoder(src)[2]                                  # (batch, 2H)
        return c, c

    def _run(self, tokens: torch.Tensor, state):
        s, c = state                                              # (batch, 2H) each
        e = self.embed(tokens)                                    # (batch, L, E)
        inputs = torch.cat([e, c[:, None].expand(-1, e.shape[1], -1)], dim=-1)  # (batch, L, E+2H)
        out, (s,) = self.decoder(inputs, [s])                     # (batch, L, 2H)
        logits = self.out(torch.cat([out, c[:, None].expand_as(out)], dim=-1))  # (batch, L, V)
        return logits, (s, c)

    def step(self, tokens: torch.Tensor, state):
        """One decoder step: previous tokens ``(batch,)`` -> log-probabilities ``(batch, V)``."""
        logits, state = self._run(tokens[:, None], state)
        return F.log_softmax(logits[:, 0], dim=-1), state

    def forward(self, src: torch.Tensor, tgt: torch.Tensor):
        """Teacher forcing: every step is fed the true previous character; returns (logits, loss)."""
        logits, _ = self._run(_shift(tgt), self.start(src))      # (batch, L, V)
        return logits, F.cross_entropy(logits.flatten(0, 1), tgt.flatten())


class AttentionSeq2Seq(nn.Module):
    """The same encoder-decoder, with additive attention over the encoder's outputs at every step.

    The decoder starts from ``s_0 = 0`` (``start_state="zero"``), so everything it learns of
    the input comes through attention; ``start_state="context"`` starts it from the encoder's
    last states, the fixed-size summary of :class:`Seq2Seq` (``benchmarks/bench_ch10.py``
    compares the two on inputs longer than the training inputs).
    Step ``t`` scores every encoder output against the previous decoder state, takes their
    weighted mean as the context ``c_t``, feeds ``[embedding(y_{t-1}); c_t]`` to a GRU cell, and
    predicts ``y_t`` from ``[s_t; c_t]``. The GRU cell is ``torch.nn.GRUCell``, in PyTorch's
    convention like the fused ``torch.nn.GRU`` of :class:`Seq2Seq` (chapter 7): the reset gate
    acts after the recurrent weights, and every block has two bias vectors (``bias_ih`` and
    ``bias_hh``) where the course's equations have one. The decoder state carried between steps
    is the tuple ``(s, encoder outputs, their projections, mask)``, all batch-first, so beam
    search can repeat and reorder it.
    """

    def __init__(self, embedding: int = 16, hidden: int = 32, attention: int = 32,
                 out_vocab: int = len(dates.OUTPUT_CHARS), start_state: str = "zero"):
        super().__init__()
        if start_state not in ("zero", "context"):
            raise ValueError(f"start_state must be 'zero' or 'context', got {start_state!r}")
        self.start_state = start_state
        self.encoder = Encoder(embedding=embedding, hidden=hidden)
        self.embed = nn.Embedding(out_vocab, embedding)
        self.attention = AdditiveAttention(2 * hidden, 2 * hidden, attention)
        self.cell = nn.GRUCell(embedding + 2 * hidden, 2 * hidden)
        self.out = nn.Linear(4 * hidden, out_vocab)

    def start(self, src: torch.Tensor):
        keys, mask, last = self.encoder(src)                      # (batch, T, 2H), (batch, T), (batch, 2H)
        s0 = last if self.start_state == "context" else torch.zeros_like(last)
        return s0, keys, self.attention.project_keys(keys), mask

    def _step(self, e: torch.Tensor, state):
        s, keys, pk, mask = state
        weights, c = self.attention(s, keys, mask, pk)            # (batch, T), (batch, 2H)
        s = self.cell(torch.cat([e, c], dim=-1), s)               # (batch, 2H)
        return self.out(torch.cat([s, c], dim=-1)), (s, keys, pk, mask), weights

    def step(self, tokens: torch.Tensor, state):
        logits, state, _ = self._step(self.embed(tokens), state)
        return F.log_softmax(logits, dim=-1), state

    def forward(self, src: torch.Tensor, tgt: torch.Tensor, return_weights: bool = False):
        state = self.start(src)
        logits, weights = [], []
        for e in self.embed(_shift(tgt)).unbind(1):               # each (batch, E)
            z, state, w = self._step(e, state)
            logits.append(z)
            weights.append(w)
        logits = torch.stack(logits, dim=1)                       # (batch, L, V)
        loss = F.cross_entropy(logits.flatten(0, 1), tgt.flatten())
        if return_weights:
            return logits, loss, torch.stack(weights, dim=1)      # (batch, L, T)
        return logits, loss


def make_model(kind: str, seed: int = 0, **kwargs) -> nn.Module:
    """A fresh ``"fixed"`` (:class:`Seq2Seq`) or ``"attention"`` model, initialised from ``seed``."""
    torch.manual_seed(seed)
    if kind == "fixed":
        return Seq2Seq(**kwargs)
    if kind == "attention":
        return AttentionSeq2Seq(**kwargs)
    raise ValueError(f"kind must be 'fixed' or 'attention', got {kind!r}")


@torch.no_grad()
def translate(model: nn.Module, x: torch.Tensor, beam_width: int | None = None,
              alpha: float = 0.6, batch_size: int = 200) -> torch.Tensor:
    """Generated outputs ``(n, 11)`` for inputs ``x``: greedy, or beam search if ``beam_width``."""
    from .._validate import ids_below, int_tensor, positive_int
    ids_below(int_tensor(x, "x", 2, "translate", "(n, T) input tokens"), len(dates.INPUT_CHARS),
              "x", "translate")
    if beam_width is not None:
        positive_int(beam_width, "beam_width")
    positive_int(batch_size, "batch_size")
    was = model.training
    model.eval()
    dev = next(model.parameters()).device
    # inputs of similar length in a batch, so the encoder (which drops columns of padding) and
    # the attention run over little padding; the outputs are put back in the inputs' order
    order = torch.sort(dates.input_lengths(x), stable=True).indices
    outs = []
    for xb in x[order].split(batch_size):
        xb = xb.to(dev)
        start = torch.full((xb.shape[0],), dates.START, dtype=torch.long, device=dev)
        state = model.start(xb)
        if beam_width is None:
            tokens, _ = decode.greedy(model.step, start, state, TARGET_LENGTH, dates.END)
        else:
            tokens, _ = decode.beam_search(model.step, start, state, TARGET_LENGTH, dates.END,
                                           beam_width=beam_width, alpha=alpha)
        outs.append(tokens.cpu())
    model.train(was)
    out = torch.empty_like(torch.cat(outs))
    out[order] = torch.cat(outs)
    return out


def scores(pred: torch.Tensor, y: torch.Tensor) -> dict:
    """Exact match (every character and the end right) and per-character accuracy.

    Both compare the ``(n, 11)`` outputs position by position with the targets (the ten ISO
    characters and the end token)."""
    from .._validate import tensor
    tensor(pred, "pred", 2, "scores", "(n, 11)")
    tensor(y, "y", 2, "scores", "(n, 11)")
    if pred.shape != y.shape:
        raise ValueError(f"scores compares outputs and targets position by position: expected the "
                         f"same shape, got pred {tuple(pred.shape)} and y {tuple(y.shape)}")
    right = pred == y                                              # (n, 11)
    return {"exact": float(right.all(dim=1).float().mean()), "char": float(right.float().mean())}


@torch.no_grad()
def teacher_forced_accuracy(model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> float:
    """Per-character accuracy when every step is fed the *true* previous character."""
    was = model.training
    model.eval()
    dev = next(model.parameters()).device
    logits = model(x.to(dev), y.to(dev))[0]
    model.train(was)
    return float((logits.argmax(-1).cpu() == y.cpu()).float().mean())


def train(kind: str, data, *, updates: int, seed: int = 0, batch_size: int = 64, lr: float = 3e-3,
          keep: tuple[int, ...] = (), bucket: bool = True, device=None, **kwargs):
    """Train a new ``kind`` model on ``data = (x, y)`` for ``updates`` mini-batch updates.

    Adam with gradient norm clipped at 1, via ``rc.train.fit`` (the model computes its own
    loss). ``keep=(k1, k2, ...)`` keeps a copy of the model after ``k1``, ``k2``, ... updates as
    well: a run of 1200 updates with ``keep=(400,)`` gives the 400-update model that a run of
    400 updates would give (the same batches in the same order), and the 1200-update one.
    ``bucket=True`` draws mini-batches of inputs of similar length (``rc.train.fit``'s
    ``lengths``), so the encoder runs over little padding: about half the time per update on
    these inputs, which are 30 characters long on average and padded to 67. The model trains
    on ``device`` (default: the CPU) and is returned there, like the kept copies.
    Returns ``(model, info)``: ``info`` holds ``seconds`` (training time), ``updates``,
    ``seconds_per_update``, ``loss`` and ``epoch_seconds`` (one number per epoch) and ``kept``
    (``{k: model after k updates}``).
    """
    from .._validate import int_tensor, one_of, positive_int
    one_of(kind, ("fixed", "attention"), "kind")
    if not isinstance(data, (tuple, list)) or len(data) != 2:
        raise ValueError(f"data must be a pair (x, y) of encoded dates (ch10_dates.encode_pairs), "
                         f"got {type(data).__name__}")
    int_tensor(data[0], "x", 2, "train", "(n, T) input tokens")
    int_tensor(data[1], "y", 2, "train", "(n, 11) target tokens")
    if data[0].shape[0] == 0 or data[0].shape[0] != data[1].shape[0]:
        raise ValueError(f"train needs as many targets as inputs, at least one: got "
                         f"{data[0].shape[0]} and {data[1].shape[0]}")
    positive_int(updates, "updates")
    positive_int(batch_size, "batch_size")
    x, y = data
    per_epoch = -(-x.shape[0] // batch_size)
    if updates % per_epoch:
        raise ValueError(f"updates ({updates}) must be a multiple of the updates per epoch "
                         f"({per_epoch} batches of {batch_size})")
    keep = tuple(sorted(set(keep)))
    for k in keep:
        if k % per_epoch or not 0 < k < updates:
            raise ValueError(f"every update count in keep must be a multiple of {per_epoch} "
                             f"between 0 and updates ({updates}), got {k}")
    lengths = dates.input_lengths(x) if bucket else None
    model = make_model(kind, seed, **kwargs)
    if device is not None:
        model.to(device)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    kept, done, epoch_seconds, losses = {}, 0, [], []
    for epoch in range(updates // per_epoch):
        # one fit call per epoch, seeded by the epoch: where the run stops does not change the
        # batches it has seen
        h = fit(model, (x, y), loss_fn=None, epochs=1, optimizer=opt, batch_size=batch_size,
                clip_norm=1.0, seed=seed * 1000 + epoch, lengths=lengths)
        epoch_seconds.append(h.seconds)
        losses += h.loss
        done += per_epoch
        if done in keep:
            kept[done] = copy.deepcopy(model).eval()
    seconds = sum(epoch_seconds)
    info = dict(seconds=seconds, updates=done, seconds_per_update=seconds / done, loss=losses,
                epoch_seconds=epoch_seconds, kept=kept)
    return model.eval(), info


FIXED_SEEDS = (0, 1, 2)            # the shipped fixed-context models (scripts/train_ch10_fixed.py)
FIXED_UPDATES = (200, 400, 800)    # the update counts each shipped file holds a model for


def fixed_file(seed: int) -> str:
    """The name, in ``rnncourse/data``, of the shipped fixed-context models of ``seed``."""
    return f"ch10_fixed_seed{seed}.pt"


def load_fixed(seed: int, updates: int = 400, device=None):
    """The shipped fixed-context model of ``seed`` after ``updates`` updates, and its ``info``.

    ``scripts/train_ch10_fixed.py`` trained it exactly as the notebook would: ``train("fixed",
    ...)`` on the chapter's 6400 training pairs, batches of 64, learning rate 0.003, seeds 0, 1
    and 2 for 800 updates, keeping copies after 200 and 400 (a kept copy is the model a shorter
    run gives). The file (``rnncourse/data/ch10_fixed_seed<seed>.pt``, float32 weights) is
    checked against its SHA-256 first, as all shipped data is (``rc.data.read_shipped``).
    Returns ``(model, info)`` like :func:`train`: the model in eval mode on ``device`` (default:
    the CPU), and ``info`` with ``updates``, ``seconds`` and ``seconds_per_update`` (the
    training time of the first ``updates`` updates in the run that made the file), ``loss`` and
    ``epoch_seconds`` (per epoch, up to ``updates``), ``kept`` (empty), and ``machine``,
    ``command``, ``torch`` and ``file``: where, how and with what it was trained.
    """
    import io

    from .. import data as rcdata
    from .._validate import _is_int
    if not _is_int(seed) or int(seed) not in FIXED_SEEDS:
        raise ValueError(f"load_fixed: seed must be one of the shipped seeds {FIXED_SEEDS}, got "
                         f"{seed!r} (train other seeds with ch10.train)")
    if not _is_int(updates) or int(updates) not in FIXED_UPDATES:
        raise ValueError(f"load_fixed: updates must be one of {FIXED_UPDATES}, the copies each "
                         f"shipped file holds, got {updates!r}")
    seed, updates = int(seed), int(updates)
    name = fixed_file(seed)
    blob = rcdata.read_shipped(name)                               # raises on a wrong SHA-256
    saved = torch.load(io.BytesIO(blob), map_location="cpu", weights_only=True)
    with torch.random.fork_rng(devices=[]):                       # leave the global seed alone
        model = Seq2Seq(**saved["config"])
    model.load_state_dict(saved["state_dicts"][updates])
    run = saved["info"]
    epochs = updates // run["updates_per_epoch"]
    seconds = float(sum(run["epoch_seconds"][:epochs]))
    info = dict(seconds=seconds, updates=updates, seconds_per_update=seconds / updates,
                loss=list(run["loss"][:epochs]), epoch_seconds=list(run["epoch_seconds"][:epochs]),
                kept={}, machine=run["machine"], command=run["command"], torch=run["torch"],
                file=name)
    model.eval()
    return (model.to(device) if device is not None else model), info


def error_after_error(pred: torch.Tensor, y: torch.Tensor) -> tuple[float, float]:
    """How errors compound in generated outputs ``(n, L)``: the error rate of a character after
    an earlier character of the same output was wrong, and after all earlier ones were right
    (positions 1 .. L-1)."""
    if not isinstance(pred, torch.Tensor) or not isinstance(y, torch.Tensor) or pred.dim() != 2 \
            or pred.shape != y.shape:
        raise ValueError("error_after_error expects pred and y as tensors of the same shape (n, L), "
                         f"got {getattr(pred, 'shape', type(pred).__name__)} and "
                         f"{getattr(y, 'shape', type(y).__name__)}")
    wrong = pred != y                                              # (n, L)
    before = wrong.cummax(dim=1).values[:, :-1]                    # an error at or before t-1
    now = wrong[:, 1:]                                             # (n, L-1)
    after_error = float(now[before].float().mean()) if bool(before.any()) else float("nan")
    clean = float(now[~before].float().mean()) if bool((~before).any()) else float("nan")
    return after_error, clean


def filler_characters(text: str) -> np.ndarray:
    """A bool per character of ``text``: True on the letters of its filler words."""
    out = np.zeros(len(text), dtype=bool)
    pos = 0
    for word in text.split(" "):
        if word in dates.FILLER_WORDS:
            out[pos:pos + len(word)] = True
        pos += len(word) + 1
    return out


def attention_mass_outside(text: str, weights: torch.Tensor) -> float:
    """The mean, over output steps, of the attention weight on the filler words of ``text``
    (``weights``: ``(steps, len(text))``)."""
    w = torch.as_tensor(weights, dtype=torch.float64)
    if w.dim() != 2 or w.shape[1] != len(text):
        raise ValueError(f"weights must be (steps, {len(text)}) for this text, got {tuple(w.shape)}")
    return float(w[:, torch.from_numpy(filler_characters(text))].sum(dim=1).mean())


def by_length(lengths, correct, edges) -> dict:
    """Exact-match rate of ``correct`` (bools) for inputs whose length falls in each bin
    ``[edges[i], edges[i+1])``; ``{(lo, hi): (rate, count)}``, empty bins left out."""
    if np.ndim(edges) != 1 or len(edges) < 2 or np.ndim(lengths) != 1 or np.shape(lengths) != np.shape(correct):
        raise ValueError(f"by_length expects edges as a list of at least 2 bin edges and one "
                         f"length per result, got edges {edges!r}, {np.shape(lengths)} lengths and "
                         f"{np.shape(correct)} results")
    lengths, correct = np.asarray(lengths), np.asarray(correct, dtype=float)
    out = {}
    for lo, hi in zip(edges[:-1], edges[1:]):
        sel = (lengths >= lo) & (lengths < hi)
        if sel.any():
            out[(int(lo), int(hi))] = (float(correct[sel].mean()), int(sel.sum()))
    return out
