"""Chapter 8 (deep and bidirectional RNNs): the chapter's tasks, bounds and experiments.

- :func:`lookup_task`: a label that is a fixed random function of the last ``k`` symbols, a
  per-step computation that one recurrent layer finds hard and a stack finds easy (depth);
- :func:`gradient_by_depth`: the gradient that reaches a stack's first layer, with and
  without residual connections;
- :class:`Reviews` and :func:`reviews`: generated film reviews whose modifiers ("terribly",
  "really", "not") take the sentiment of the word to their right, "terribly exciting" against
  "terribly boring"; a rating token at the start makes every phrase agree with the review's
  rating with probability ``agree``, so the best a left-to-right tagger can do is exactly
  ``agree`` on the modifiers (:func:`bayes_bound`), or better if it may answer ``delay`` steps
  late;
- :func:`delay_targets`: inputs padded and targets shifted for a tagger that answers late;
- :func:`empirical_causal_bound`: a Monte-Carlo estimate of the same bound by counting,
  prefix by prefix, which tag is most frequent (what the unit tests compare the formula with);
- :class:`CharLM`, :func:`sample`: a character language model, left-to-right or
  bidirectional, and sampling from it one character at a time;
- :func:`arc_reviews`, :func:`readout_features`, :class:`ManyToOne`, :func:`readout_run`:
  many-to-one classification of reviews whose label depends on both ends (the opening and the
  closing verdict), read out from a bidirectional layer's two final states or, wrongly, from
  its output at the last step.
"""

from __future__ import annotations

import copy
import functools
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from .._validate import nonnegative_int, positive_int
from ..fast import FastRecurrent
from ..layers import Recurrent

__all__ = ["lookup_task", "gradient_by_depth", "Reviews", "ReviewGenerator", "reviews",
           "TAGS", "bayes_bound", "delay_targets", "empirical_causal_bound", "tag_loss",
           "tag_accuracy", "train_tagger", "review_text", "CharLM", "lm_loss", "sample",
           "valid_word_fraction", "lookup_accuracy", "depth_run",
           "char_windows", "lm_trap", "stack_diagram", "bidirectional_diagram", "ARCS",
           "READOUTS", "ArcReviews", "arc_reviews", "readout_features", "ManyToOne",
           "train_classifier", "arc_accuracy", "readout_run"]

TAGS = ("neutral", "positive", "negative")
IGNORE = -100                      # target value that cross-entropy skips


# ---------------------------------------------------------------------- depth

def lookup_task(n: int, length: int, k: int = 4, symbols: int = 4, seed: int = 0,
                table_seed: int = 123):
    """Symbols in, and at every step a bit that is a fixed random function of the last ``k``.

    ``x``: ``(n, length, symbols)`` one-hot; ``y``: ``(n, length)`` int64 in {0, 1}, with the
    first ``k - 1`` steps set to ``-100`` (their window reaches before the start; cross-entropy
    skips them). The function is a lookup table of ``symbols ** k`` random bits drawn with
    ``table_seed`` (the same for training and test data).
    """
    n, length = positive_int(n, "n"), positive_int(length, "length")
    k, symbols = positive_int(k, "k"), positive_int(symbols, "symbols", 2)
    table = torch.randint(0, 2, (symbols ** k,), generator=torch.Generator().manual_seed(table_seed))
    g = torch.Generator().manual_seed(int(seed))
    s = torch.randint(0, symbols, (n, length), generator=g)   # (n, time)
    idx = torch.zeros(n, length, dtype=torch.long)
    for j in range(k):                                          # index of the window s_{t-k+1..t}
        idx = idx * symbols + s.roll(k - 1 - j, dims=1)
    y = table[idx]                                              # (n, time)
    y[:, :k - 1] = IGNORE
    return F.one_hot(s, symbols).float(), y


def gradient_by_depth(kind: str = "rnn", depths=(1, 2, 4, 8), width: int = 32, length: int = 16,
                      batch: int = 64, seeds=(0, 1, 2)) -> dict:
    """Norm of the loss's gradient with respect to the *first* layer's input weights, at
    initialisation, for stacks of ``depths`` layers with and without residual connections.

    The loss is the mean square of the last layer's outputs against random targets. Returns
    ``{(depth, residual): array of norms, one per seed}``.
    """
    out = {}
    for residual in (False, True):
        for depth in depths:
            norms = []
            for seed in seeds:
                torch.manual_seed(seed)
                rnn = FastRecurrent(kind, width, [width] * depth, residual=residual)
                g = torch.Generator().manual_seed(1000 + seed)
                x = torch.randn(batch, length, width, generator=g)        # (batch, time, width)
                target = torch.randn(batch, length, width, generator=g)
                h, _ = rnn(x)                                             # (batch, time, width)
                F.mse_loss(h, target).backward()
                norms.append(float(rnn.layers[0].weight_ih_l0.grad.norm()))
            out[(depth, residual)] = np.array(norms)
    return out


@torch.no_grad()
def lookup_accuracy(model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> float:
    """Accuracy of a tagger on the lookup task's steps with a full window (``y >= 0``)."""
    dev = next(model.parameters()).device
    pred = model(x.to(dev)).argmax(-1).cpu()                       # (n, time)
    keep = y >= 0
    return float((pred == y)[keep].float().mean())


def depth_run(depth: int, residual: bool, seed: int, train, test, *, width: int = 24,
              updates: int = 300, total_updates: int | None = None, lr: float = 0.01,
              batch_size: int = 128, device=None) -> dict:
    """Train a tanh RNN stack of ``depth`` layers of ``width`` units on the lookup task.

    The same Adam optimiser runs ``updates`` updates (one pass over ``train``, which holds
    ``batch_size * updates`` sequences), then is scored ("equal updates"); training goes on to
    ``total_updates`` updates in all (whole passes, then the first sequences of one more pass)
    and is scored again ("equal compute": the chapter gives a stack of L layers 1/L of a single
    layer's updates, the same number of layer-updates). Returns the two accuracies, the
    parameter count, the updates of the whole run (``total_updates``) and its seconds.
    """
    from ..models import SequenceRegressor
    from ..train import fit
    from ..utils import count_params, set_seed

    x, y = train
    per_pass = x.shape[0] // batch_size
    if per_pass != updates:
        raise ValueError(f"expected {batch_size * updates} training sequences for {updates} "
                         f"updates of {batch_size}, got {x.shape[0]}")
    total_updates = updates if total_updates is None else positive_int(total_updates, "total_updates")
    set_seed(seed)
    model = SequenceRegressor("rnn", x.shape[-1], [width] * depth, 2, fast=True, residual=residual)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    result, seconds, done, p = {"params": count_params(model)}, 0.0, 0, 0
    while done < total_updates:
        n = min(per_pass, total_updates - done) * batch_size
        hist = fit(model, (x[:n], y[:n]), loss_fn=tag_loss, epochs=1, optimizer=opt,
                   batch_size=batch_size, clip_norm=1.0, seed=100 * seed + p, device=device)
        seconds, done, p = seconds + hist.seconds, done + hist.updates, p + 1
        if p == 1:
            result["equal updates"] = lookup_accuracy(model, *test)
    result.update({"equal compute": lookup_accuracy(model, *test), "updates": done,
                   "seconds": seconds})
    return result


# ---------------------------------------------------------------------- reviews

@dataclass(frozen=True)
class ReviewGenerator:
    """How :func:`reviews` writes a review (the defaults are the chapter's).

    A review is a rating token (``"5/5"`` or ``"1/5"``, each with probability 1/2) followed by
    segments until ``length`` tokens: with probability ``p_phrase`` a sentiment phrase, else
    1 to 3 filler words. A phrase is ``m`` modifiers (``m`` uniform in 0..max_modifiers, each
    modifier uniform among ``modifiers``) and one sentiment word; a phrase that does not fit
    is replaced by filler words. Every token of a phrase is tagged with the sentiment of the
    phrase *from that token on*: "terribly" in "not terribly exciting" is positive (terribly
    exciting), "not" is negative, "exciting" is positive. The whole phrase's sentiment (its
    first token's tag) agrees with the rating with probability ``agree``; each ``"not"`` flips
    the sentiment of what precedes it relative to what follows. Fillers and the rating are
    neutral.
    """

    length: int = 16
    agree: float = 0.75
    max_modifiers: int = 2
    p_phrase: float = 0.5
    fillers: tuple = ("the", "movie", "plot", "acting", "was", "and", "but", ".")
    positive: tuple = ("exciting", "good", "funny")
    negative: tuple = ("boring", "bad", "dull")
    modifiers: tuple = ("terribly", "really", "not")
    ratings: tuple = ("5/5", "1/5")

    def __post_init__(self):
        positive_int(self.length, "length", 2)
        nonnegative_int(self.max_modifiers, "max_modifiers")
        if not 0.5 <= self.agree <= 1:
            raise ValueError(f"agree must be a probability in [0.5, 1], got {self.agree!r}")
        if not 0 < self.p_phrase <= 1:
            raise ValueError(f"p_phrase must be a probability in (0, 1], got {self.p_phrase!r}")

    @property
    def vocab(self) -> tuple:
        """All tokens; index 0 is the padding token ``"<pad>"`` (used by late answers)."""
        return ("<pad>",) + self.ratings + self.fillers + self.positive + self.negative + self.modifiers


@dataclass
class Reviews:
    """A set of generated reviews: token ids, tags and, for each modifier, its cue distance."""

    tokens: torch.Tensor        # (n, time) int64 indices into vocab
    tags: torch.Tensor          # (n, time) int64: 0 neutral, 1 positive, 2 negative
    distance: torch.Tensor      # (n, time) int64: steps to the phrase's sentiment word; 0 elsewhere
    generator: ReviewGenerator = field(default_factory=ReviewGenerator)

    @property
    def ambiguous(self) -> torch.Tensor:
        """The modifiers: tokens whose tag is decided by a word to their right. ``(n, time)`` bool."""
        return self.distance > 0

    @property
    def x(self) -> torch.Tensor:
        """One-hot inputs ``(n, time, vocab)``."""
        return F.one_hot(self.tokens, len(self.generator.vocab)).float()

    def words(self, i: int) -> list[str]:
        vocab = self.generator.vocab
        return [vocab[t] for t in self.tokens[i].tolist()]


def reviews(n: int, generator: ReviewGenerator | None = None, seed: int = 0) -> Reviews:
    """``n`` generated reviews (see :class:`ReviewGenerator`), reproducible from ``seed``."""
    n = positive_int(n, "n")
    gen = ReviewGenerator() if generator is None else generator
    index = {w: i for i, w in enumerate(gen.vocab)}
    rng = np.random.default_rng(int(seed))
    T = gen.length
    tokens = np.zeros((n, T), dtype=np.int64)
    tags = np.zeros((n, T), dtype=np.int64)
    dist = np.zeros((n, T), dtype=np.int64)
    for i in range(n):
        rating = int(rng.integers(2))                     # 0: "5/5" (positive), 1: "1/5"
        row = [(index[gen.ratings[rating]], 0, 0)]
        while len(row) < T:
            room = T - len(row)
            if rng.random() < gen.p_phrase:
                m = int(rng.integers(gen.max_modifiers + 1))
                if m + 1 <= room:
                    polarity = rating if rng.random() < gen.agree else 1 - rating  # 0 pos, 1 neg
                    mods = [gen.modifiers[j] for j in rng.integers(len(gen.modifiers), size=m)]
                    for j, w in enumerate(mods):           # the rest of the phrase, from w on
                        row.append((index[w], 1 + polarity, m - j))
                        polarity = (polarity + (w == "not")) % 2
                    words = gen.positive if polarity == 0 else gen.negative
                    row.append((index[words[int(rng.integers(len(words)))]], 1 + polarity, 0))
                    continue
            count = min(room, int(rng.integers(1, 4)))
            row += [(index[gen.fillers[j]], 0, 0) for j in rng.integers(len(gen.fillers), size=count)]
        tokens[i], tags[i], dist[i] = np.array(row[:T]).T
    return Reviews(torch.from_numpy(tokens), torch.from_numpy(tags), torch.from_numpy(dist), gen)


def bayes_bound(data: Reviews, delay: int = 0) -> float:
    """The best expected accuracy of any left-to-right tagger on ``data``'s modifiers, when it
    answers for token ``t`` after reading tokens up to ``t + delay``.

    Given everything up to ``t + delay``, a modifier whose sentiment word is within reach
    (distance ``<= delay``) has a known tag; otherwise its tag is the whole phrase's
    sentiment flipped by the ``"not"``s before it in the phrase (which the reader has seen),
    and the whole phrase's sentiment agrees with the rating at the start with probability
    ``agree``, independently of everything else a left-to-right reader has seen. So the best
    guess is right with probability ``max(agree, 1 - agree)``. The bound is the mean over the
    modifiers.
    """
    delay = nonnegative_int(delay, "delay")
    d = data.distance[data.ambiguous].double()
    if d.numel() == 0:
        raise ValueError("the data has no ambiguous tokens (modifiers)")
    q = max(data.generator.agree, 1 - data.generator.agree)
    return float(torch.where(d <= delay, 1.0, q).mean())


def empirical_causal_bound(data: Reviews, delay: int = 0) -> float:
    """Monte-Carlo estimate of :func:`bayes_bound` that assumes nothing about the generator:
    group the modifiers by everything a left-to-right tagger has read (the tokens up to
    ``t + delay``, padded past the end) and count how often the most frequent tag of each
    group is right. With many reviews of a small vocabulary this converges to the Bayes bound
    (from above: rare prefixes are fitted too well)."""
    delay = nonnegative_int(delay, "delay")
    tok = F.pad(data.tokens, (0, delay)).tolist()
    counts: dict = defaultdict(Counter)
    amb = data.ambiguous.nonzero().tolist()
    for i, t in amb:
        counts[tuple(tok[i][:t + delay + 1])][int(data.tags[i, t])] += 1
    return sum(max(c.values()) for c in counts.values()) / len(amb)


def delay_targets(data: Reviews, delay: int = 0):
    """Inputs and targets for a tagger that answers ``delay`` steps late.

    The tokens are padded with ``delay`` ``<pad>`` tokens at the end; the target at step
    ``s`` is the tag of token ``s - delay`` (``-100``, skipped, for ``s < delay``).
    Returns ``x`` ``(n, time + delay, vocab)`` and ``y`` ``(n, time + delay)``.
    """
    delay = nonnegative_int(delay, "delay")
    x = F.one_hot(F.pad(data.tokens, (0, delay)), len(data.generator.vocab)).float()
    y = F.pad(data.tags, (delay, 0), value=IGNORE)
    return x, y


def tag_loss(logits: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Cross-entropy over every tagged step: logits ``(batch, time, tags)``, y ``(batch, time)``."""
    return F.cross_entropy(logits.transpose(1, 2), y, ignore_index=IGNORE)


@torch.no_grad()
def tag_accuracy(model: nn.Module, data: Reviews, delay: int = 0) -> dict:
    """Accuracy of a tagger on all tokens and on the modifiers (the ambiguous tokens)."""
    was = model.training
    model.eval()
    x, _ = delay_targets(data, delay)
    dev = next(model.parameters()).device
    pred = model(x.to(dev)).argmax(-1).cpu()[:, delay:]   # (n, time): aligned with the tokens
    model.train(was)
    right = pred == data.tags
    return {"all tokens": float(right.float().mean()),
            "modifiers": float(right[data.ambiguous].float().mean())}


def train_tagger(train: Reviews, test: Reviews, *, bidirectional: bool = False, delay: int = 0,
                 hidden: int = 32, kind: str = "lstm", epochs: int = 10, batch_size: int = 64,
                 lr: float = 1e-2, seed: int = 0, fast: bool = True, device=None):
    """Train a one-layer tagger (recurrent layer + linear readout at every step) with
    :func:`rnncourse.train.fit` on ``device`` (default: the CPU); return ``(model, accuracies,
    history)``, the model on ``device``."""
    from ..models import SequenceRegressor
    from ..train import fit
    from ..utils import set_seed

    set_seed(seed)
    model = SequenceRegressor(kind, len(train.generator.vocab), [hidden], len(TAGS), fast=fast,
                              bidirectional=bidirectional)
    history = fit(model, delay_targets(train, delay), loss_fn=tag_loss, epochs=epochs, lr=lr,
                  batch_size=batch_size, clip_norm=1.0, seed=seed, device=device)
    return model, tag_accuracy(model, test, delay), history


# ---------------------------------------------------------------------- many-to-one

ARCS = ("good throughout", "gets worse", "gets better", "bad throughout")
READOUTS = ("both ends", "last step", "left-to-right")


@dataclass
class ArcReviews:
    """Reviews to classify whole (many-to-one) by their *arc*: how the opening verdict (the
    first token) and the closing verdict (the last token) compare."""

    tokens: torch.Tensor        # (n, time) int64 indices into vocab
    labels: torch.Tensor        # (n,) int64 index into ARCS: 2 * (opening negative) + (closing negative)
    generator: ReviewGenerator = field(default_factory=ReviewGenerator)

    @property
    def x(self) -> torch.Tensor:
        """One-hot inputs ``(n, time, vocab)``."""
        return F.one_hot(self.tokens, len(self.generator.vocab)).float()

    def words(self, i: int) -> list[str]:
        vocab = self.generator.vocab
        return [vocab[t] for t in self.tokens[i].tolist()]


def arc_reviews(n: int, length: int = 16, seed: int = 0,
                generator: ReviewGenerator | None = None) -> ArcReviews:
    """``n`` reviews of ``length`` tokens for many-to-one classification.

    The first token is the opening verdict and the last the closing verdict, each a sentiment
    word of the generator (positive or negative with probability 1/2, independently). The
    ``length - 2`` tokens between them are drawn uniformly from the fillers, the sentiment
    words and the modifiers other than ``"not"``: distractors, among them sentiment words that
    describe scenes and do not count. ``"not"`` is left out so that no verdict is ever negated
    (in :func:`reviews` it flips what follows; here the verdict is the word alone). The label is the arc (:data:`ARCS`): ``2 * opening + closing`` with 0 for a
    positive and 1 for a negative verdict, so "good throughout", "gets worse", "gets better",
    "bad throughout". A model that knows only one of the two verdicts can be right at most half
    the time. Reproducible from ``seed``; the vocabulary is the generator's (that of
    :func:`reviews`).
    """
    n, length = positive_int(n, "n"), positive_int(length, "length", 2)
    gen = ReviewGenerator() if generator is None else generator
    index = {w: i for i, w in enumerate(gen.vocab)}
    mods = tuple(w for w in gen.modifiers if w != "not")         # no negated verdicts
    between = np.array([index[w] for w in gen.fillers + gen.positive + gen.negative + mods])
    verdicts = np.array([[index[w] for w in gen.positive], [index[w] for w in gen.negative]])
    rng = np.random.default_rng(int(seed))
    tokens = between[rng.integers(len(between), size=(n, length))]
    opening, closing = rng.integers(2, size=n), rng.integers(2, size=n)   # 0 positive, 1 negative
    tokens[:, 0] = verdicts[opening, rng.integers(verdicts.shape[1], size=n)]
    tokens[:, -1] = verdicts[closing, rng.integers(verdicts.shape[1], size=n)]
    return ArcReviews(torch.from_numpy(tokens), torch.from_numpy(2 * opening + closing), gen)


def readout_features(outputs: torch.Tensor, readout: str = "both ends", *,
                     bidirectional: bool) -> torch.Tensor:
    """One feature vector per sequence from a recurrent layer's outputs ``(batch, time, D)``;
    ``bidirectional`` says whether that layer was (its ``.bidirectional``).

    - ``"both ends"`` (a bidirectional layer, ``D = 2H``): ``[h->_T; h<-_1]``, the forward
      half at the last step and the backward half at the *first* step, each direction's final
      state, which has read the whole sequence. ``(batch, 2H)``.
    - ``"last step"``: ``outputs[:, -1]``, ``(batch, D)``; the final state of a left-to-right
      layer, but for a bidirectional one ``[h->_T; h<-_T]``, whose backward half has read one
      token, ``x_T``.
    """
    from .. import _validate as V
    V.tensor(outputs, "outputs", 3, "readout_features", "(batch, time, features)")
    if readout not in READOUTS[:2]:
        raise ValueError(f"readout_features: expected readout to be one of {READOUTS[:2]}, "
                         f"got {readout!r}")
    if outputs.shape[1] == 0:
        raise ValueError("readout_features: expected outputs with at least one time step, got "
                         f"shape {tuple(outputs.shape)}")
    if not isinstance(bidirectional, bool):
        raise TypeError("readout_features: expected bidirectional to be True or False (the "
                        f"layer's .bidirectional), got {bidirectional!r}")
    if readout == "last step":
        return outputs[:, -1]                                      # (batch, D)
    if not bidirectional:
        raise ValueError("readout_features: expected the outputs of a bidirectional layer for "
                         "'both ends' (bidirectional=True), got a left-to-right layer's; its "
                         "final state is its last step: use readout 'last step'")
    if outputs.shape[-1] % 2:
        raise ValueError("readout_features: expected the outputs of a bidirectional layer for "
                         "'both ends', (batch, time, 2H) with an even last axis, got shape "
                         f"{tuple(outputs.shape)}")
    H = outputs.shape[-1] // 2
    return torch.cat([outputs[:, -1, :H], outputs[:, 0, H:]], dim=-1)   # (batch, 2H)


class ManyToOne(nn.Module):
    """One recurrent layer and a linear readout of one feature vector per sequence:
    ``(batch, time, inputs) -> (batch, classes)`` logits.

    ``readout``: ``"both ends"`` (bidirectional, :func:`readout_features`' ``[h->_T; h<-_1]``),
    ``"last step"`` (bidirectional, the output at the last step, ``[h->_T; h<-_T]``) or
    ``"left-to-right"`` (one direction, its final state ``h_T``). ``fast=True`` runs
    ``torch.nn`` (:class:`rnncourse.fast.FastRecurrent`), ``False`` the from-scratch layer.
    """

    def __init__(self, n_inputs: int, hidden: int, n_classes: int, readout: str = "both ends", *,
                 kind: str = "lstm", fast: bool = True):
        super().__init__()
        if readout not in READOUTS:
            raise ValueError(f"ManyToOne: expected readout to be one of {READOUTS}, got {readout!r}")
        self.readout_kind = readout
        layer = FastRecurrent if fast else Recurrent
        self.rnn = layer(kind, n_inputs, [positive_int(hidden, "hidden")],
                         bidirectional=readout != "left-to-right")
        self.readout = nn.Linear(self.rnn.output_size, positive_int(n_classes, "n_classes", 2))

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """What the readout sees: ``(batch, 2H)``, or ``(batch, H)`` left to right."""
        outputs, _ = self.rnn(x)                                   # (batch, time, 2H or H)
        return readout_features(outputs, "both ends" if self.readout_kind == "both ends"
                                else "last step", bidirectional=self.rnn.bidirectional)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.readout(self.features(x))                      # (batch, classes)

    def from_scratch(self) -> "ManyToOne":
        """The same model (a copy of the weights) on the from-scratch layer."""
        if not isinstance(self.rnn, FastRecurrent):
            raise TypeError("from_scratch: expected a model on the fast layer (fast=True); this "
                            "one is already from scratch")
        twin = ManyToOne.__new__(ManyToOne)
        nn.Module.__init__(twin)
        twin.readout_kind = self.readout_kind
        twin.rnn = self.rnn.from_scratch()
        twin.readout = copy.deepcopy(self.readout)                 # same weights, same device
        return twin.to(self.readout.weight.device)

    def extra_repr(self) -> str:
        return f"readout={self.readout_kind!r}"


@torch.no_grad()
def arc_accuracy(model: nn.Module, data: ArcReviews) -> dict:
    """Accuracy on the arc (4 classes), and on each verdict read off the predicted arc: the
    opening (``arc // 2``) and the closing (``arc % 2``)."""
    _check_arcs(data, "data", "arc_accuracy")
    was = model.training
    model.eval()
    dev = next(model.parameters()).device
    pred = model(data.x.to(dev)).argmax(-1).cpu()                  # (n,)
    model.train(was)
    y = data.labels
    return {"arc": float((pred == y).float().mean()),
            "opening": float((pred // 2 == y // 2).float().mean()),
            "closing": float((pred % 2 == y % 2).float().mean())}


def train_classifier(model: nn.Module, train: ArcReviews, *, epochs: int = 2, lr: float = 0.01,
                     batch_size: int = 32, seed: int = 0, device=None):
    """The chapter's many-to-one recipe: Adam, cross-entropy, gradients clipped to norm 1,
    batches in an order drawn from ``seed``, on ``device``. Returns the history."""
    from ..train import fit
    _check_arcs(train, "train", "train_classifier")
    return fit(model, (train.x, train.labels), loss_fn=F.cross_entropy, epochs=epochs, lr=lr,
               batch_size=batch_size, clip_norm=1.0, seed=seed, device=device)


def readout_run(readout: str, seed: int, train: ArcReviews, test: ArcReviews, *,
                hidden: int = 16, epochs: int = 2, lr: float = 0.01, batch_size: int = 32,
                device=None, keep: dict | None = None) -> dict:
    """Train a :class:`ManyToOne` LSTM with ``readout`` on ``train`` (seed ``seed``: initial
    weights and batch order) and score it on ``test``: ``{"arc", "opening", "closing"}``
    accuracies (:func:`arc_accuracy`), ``"updates"`` and ``"seconds"``. ``keep``, a dict,
    receives the trained model and its history under ``(readout, seed)``."""
    from ..utils import set_seed

    _check_arcs(train, "train", "readout_run")
    _check_arcs(test, "test", "readout_run")
    set_seed(seed)
    model = ManyToOne(len(train.generator.vocab), hidden, len(ARCS), readout)
    history = train_classifier(model, train, epochs=epochs, lr=lr, batch_size=batch_size,
                               seed=seed, device=device)
    if keep is not None:
        keep[readout, seed] = (model, history)
    return {**arc_accuracy(model, test), "updates": history.updates, "seconds": history.seconds}


# ---------------------------------------------------------------------- character models

def review_text(data: Reviews) -> str:
    """The reviews as text, one per line, without the padding token."""
    return "\n".join(" ".join(data.words(i)) for i in range(data.tokens.shape[0])) + "\n"


class CharLM(nn.Module):
    """A character language model: one-hot characters, a recurrent layer, logits of the next
    character at every step. ``bidirectional=True`` lets every step read the whole sequence,
    including the character it is asked to predict; that is the point of the demonstration."""

    def __init__(self, n_chars: int, hidden: int = 64, *, bidirectional: bool = False,
                 kind: str = "lstm", fast: bool = True):
        super().__init__()
        self.n_chars = positive_int(n_chars, "n_chars", 2)
        layer = FastRecurrent if fast else Recurrent                 # torch.nn, or from scratch
        self.rnn = layer(kind, n_chars, [hidden], bidirectional=bidirectional)
        self.readout = nn.Linear(self.rnn.output_size, n_chars)

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        h, _ = self.rnn(F.one_hot(ids, self.n_chars).float())   # (batch, time, H or 2H)
        return self.readout(h)                                   # (batch, time, chars)


def lm_loss(logits: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Mean cross-entropy per character in nats: logits ``(batch, time, chars)``."""
    return F.cross_entropy(logits.transpose(1, 2), y)


@torch.no_grad()
def sample(model: CharLM, prompt: torch.Tensor, n_steps: int, seed: int = 0,
           temperature: float = 1.0) -> torch.Tensor:
    """Generate ``n_steps`` characters after ``prompt`` ``(batch, time)``, one at a time.

    The next character is sampled from the model's output at the last position of the text
    generated so far. A left-to-right model carries its state from step to step, reading each
    new character once; a bidirectional one cannot, because its backward half starts from the
    end of the text, so it rereads the whole text at every step (which is what makes it so
    poor a generator). The draws are made on the CPU with a generator seeded by ``seed``, so
    they are the same wherever the model is; the characters are returned on the prompt's
    device.
    """
    from .. import _validate as V
    if not isinstance(model, nn.Module):
        raise TypeError(f"sample expects the model (a CharLM), got {type(model).__name__}")
    V.int_tensor(prompt, "prompt", 2, "sample", "(batch, time) of character ids")
    if prompt.shape[1] == 0:
        raise ValueError("sample needs a prompt of at least one character per row")
    V.ids_below(prompt, getattr(model, "n_chars", prompt.max() + 1), "prompt", "sample")
    temperature = V.positive_number(temperature, "temperature")
    n_steps = positive_int(n_steps, "n_steps")
    was = model.training
    model.eval()
    g = torch.Generator().manual_seed(int(seed))
    ids = prompt.clone()
    carry = isinstance(model, CharLM) and not model.rnn.bidirectional
    new, state = ids, None                          # what the model has not read yet, its state
    for _ in range(positive_int(n_steps, "n_steps")):
        if carry:                                   # read only the new characters
            h, state = model.rnn(F.one_hot(new, model.n_chars).float(), state)
            logits = model.readout(h[:, -1]) / temperature              # (batch, chars)
        else:                                       # reread the whole text
            logits = model(ids)[:, -1] / temperature
        nxt = torch.multinomial(F.softmax(logits, -1).cpu(), 1, generator=g)  # (batch, 1)
        new = nxt.to(ids.device)
        ids = torch.cat([ids, new], 1)
    model.train(was)
    return ids[:, prompt.shape[1]:]


def char_windows(text: str, char_id: dict, length: int = 48):
    """``(inputs, targets)`` of shape ``(n, length)``: ``text`` cut into windows, the target
    the next character."""
    ids = torch.tensor([char_id[c] for c in text])
    n = (len(ids) - 1) // length
    return ids[:n * length].view(n, length), ids[1:n * length + 1].view(n, length)


@functools.lru_cache(maxsize=4)
def _lm_data(n_reviews: int):
    """The language-model trap's text, the same for every seed (so made once): ``(chars,
    training windows, held-out windows)``, the windows as in :func:`char_windows`."""
    text = review_text(reviews(n_reviews, seed=3))
    held_out = review_text(reviews(200, seed=4))
    chars = sorted(set(text + held_out))
    char_id = {c: i for i, c in enumerate(chars)}
    return chars, char_windows(text, char_id), char_windows(held_out, char_id)


def lm_trap(seed: int, *, n_reviews: int = 1000, epochs: int = 2, hidden: int = 64,
            n_samples: int = 8, sample_length: int = 100, device=None) -> dict:
    """Chapter 8's language-model trap for one seed: a left-to-right and a bidirectional
    :class:`CharLM` trained with the same recipe on generated reviews written out as text.

    Returns ``{name: {"loss": teacher-forced loss on held-out text (nats/char), "valid":
    fraction of real words in samples, "samples": the texts}}`` for both models. The text and
    held-out text are the same for every seed (generator seeds 3 and 4); ``seed`` sets the
    initial weights, the batches and the samples.
    """
    from ..train import evaluate, fit
    from ..utils import set_seed

    chars, train, val = _lm_data(positive_int(n_reviews, "n_reviews"))
    char_id = {c: i for i, c in enumerate(chars)}
    vocab = ReviewGenerator().vocab
    out = {}
    for name, bi in (("left-to-right", False), ("bidirectional", True)):
        set_seed(seed)
        model = CharLM(len(chars), hidden, bidirectional=bi)
        fit(model, train, loss_fn=lm_loss, epochs=epochs, lr=0.01, batch_size=32,
            clip_norm=1.0, seed=seed, device=device)
        model.cpu()
        loss = evaluate(model, val, lm_loss)
        prompt = torch.full((n_samples, 1), char_id["\n"])          # start of a review
        ids = sample(model, prompt, sample_length, seed=seed)
        texts = ["".join(chars[i] for i in row) for row in ids.tolist()]
        words = [t.rsplit(" ", 1)[0] for t in texts]                 # drop the cut-off last word
        out[name] = {"loss": float(loss), "valid": valid_word_fraction(words, vocab),
                     "samples": texts}
    return out


def valid_word_fraction(texts, vocab) -> float:
    """Fraction of the whitespace-separated words of ``texts`` that are words of ``vocab``."""
    vocab = set(vocab)
    words = [w for t in texts for w in t.split()]
    return sum(w in vocab for w in words) / max(1, len(words))


def seconds(fn, *args, repeat: int = 1, **kwargs):
    """``(result of the last call, seconds per call)``: a wall-clock time to print, never to assert."""
    tick = time.perf_counter()
    for _ in range(repeat):
        out = fn(*args, **kwargs)
    return out, (time.perf_counter() - tick) / repeat


# ---------------------------------------------------------------------- diagrams

def _diagram_tools(ax):
    import matplotlib.pyplot as plt

    arrow = dict(arrowstyle="-|>", color="k", lw=1.2, shrinkA=0, shrinkB=0)

    def box(x, y, text, colour, w=1.0, h=0.6):
        ax.add_patch(plt.Rectangle((x - w / 2, y - h / 2), w, h, fc=colour, ec="k", lw=1.1))
        ax.text(x, y, text, ha="center", va="center", fontsize=11)

    def line(a, b, **kw):
        ax.annotate("", xy=b, xytext=a, arrowprops={**arrow, **kw})

    return box, line


def stack_diagram(layers: int = 3, steps: int = 4):
    """A drawing of a stack of ``layers`` recurrent layers unrolled over ``steps`` steps:
    time runs to the right inside a layer, and each layer's output at step t is the next
    layer's input at step t. Returns the figure."""
    import matplotlib.pyplot as plt

    layers, steps = positive_int(layers, "layers"), positive_int(steps, "steps")
    fig, ax = plt.subplots(figsize=(8, 1.3 * layers + 1.9))
    ax.set(xlim=(-0.6, 2.0 * steps + 0.2), ylim=(-0.9, 1.4 * layers + 0.9),
           title=f"A stack of {layers} recurrent layers, unrolled in time")
    ax.axis("off")
    box, line = _diagram_tools(ax)
    colours = ["#b6d7f4", "#c9f4b6", "#f4e3b6", "#f4b6b6"]
    for t in range(steps):
        x = 2.0 * t + 1.0
        ax.text(x, -0.65, f"$x_{t + 1}$", ha="center", fontsize=12)
        line((x, -0.4), (x, 0.4 - 0.3))
        for l in range(layers):
            y = 0.4 + 1.4 * l
            box(x, y, f"$h^{{({l + 1})}}_{t + 1}$", colours[l % len(colours)])
            if t < steps - 1:
                line((x + 0.5, y), (x + 1.5, y))                 # through time, within a layer
            else:
                line((x + 0.5, y), (x + 1.0, y))
            if l < layers - 1:
                line((x, y + 0.3), (x, y + 1.1))                 # up the stack, same step
            else:
                line((x, y + 0.3), (x, y + 0.75))
                ax.text(x, y + 0.85, f"$\\hat y_{t + 1}$", ha="center", fontsize=12)
    ax.text(-0.5, 0.4 + 1.4 * (layers - 1) / 2, "layers", rotation=90, va="center", fontsize=10,
            color="0.3")
    ax.text(1.0 * steps, -0.9, "time", ha="center", fontsize=10, color="0.3")
    return fig


def bidirectional_diagram(steps: int = 4, readouts: bool = False):
    """A drawing of one bidirectional layer over ``steps`` steps: a forward layer reading left
    to right, a backward layer reading right to left, both fed ``x_t``, their states
    concatenated at every step. ``readouts=True`` (the many-to-one section) outlines the states
    each readout of :func:`readout_features` takes: ``"both ends"`` ``[h->_T; h<-_1]`` and
    ``"last step"`` ``[h->_T; h<-_T]``. Returns the figure."""
    import matplotlib.pyplot as plt
    from matplotlib.patches import Patch

    steps = positive_int(steps, "steps")
    fig, ax = plt.subplots(figsize=(8, 3.9))
    ax.set(xlim=(-0.9, 2.0 * steps + 0.2), ylim=(-0.9, 3.9),
           title="Two readouts of a bidirectional layer for many-to-one" if readouts else
           "A bidirectional layer: two recurrent layers, one per direction")
    if readouts:
        last = 2.0 * steps - 1.0                                     # x of step T
        ends = dict(fc="none", ec="#1b9e77", lw=3.2)
        step = dict(fc="none", ec="#d95f02", lw=2.4, ls="--")
        for (x, y), style, pad in (((last - 0.25, 0.6), ends, 0.06),    # h->_T
                                   ((1.25, 1.6), ends, 0.06),           # h<-_1
                                   ((last - 0.25, 0.6), step, 0.16),    # h->_T again, outside
                                   ((last + 0.25, 1.6), step, 0.06)):   # h<-_T
            ax.add_patch(plt.Rectangle((x - 0.4 - pad, y - 0.3 - pad), 0.8 + 2 * pad,
                                       0.6 + 2 * pad, zorder=3, **style))
        right, left = "\\overrightarrow{h}", "\\overleftarrow{h}"
        ax.legend(handles=[Patch(label=f"both ends: $[{right}_{{{steps}}}; {left}_1]$", **ends),
                           Patch(label=f"last step: $[{right}_{{{steps}}}; {left}_{{{steps}}}]$",
                                 **step)],
                  loc="upper center", bbox_to_anchor=(0.5, -0.02), ncol=2, frameon=False,
                  fontsize=11)
    ax.axis("off")
    box, line = _diagram_tools(ax)
    for t in range(steps):
        x = 2.0 * t + 1.0
        ax.text(x, -0.75, f"$x_{t + 1}$", ha="center", fontsize=12)
        line((x - 0.1, -0.45), (x - 0.25, 0.3))                  # x_t to the forward cell
        line((x + 0.1, -0.45), (x + 0.45, 1.3))                  # x_t to the backward cell
        box(x - 0.25, 0.6, f"$\\overrightarrow{{h}}_{t + 1}$", "#b6d7f4", w=0.8)
        box(x + 0.25, 1.6, f"$\\overleftarrow{{h}}_{t + 1}$", "#f4b6b6", w=0.8)
        if t < steps - 1:
            line((x + 0.15, 0.6), (x + 1.35, 0.6))               # forward: to the right
            line((x + 1.85, 1.6), (x + 0.65, 1.6))               # backward: to the left
        box(x, 2.7, "concat", "#eeeeee", w=0.9, h=0.45)
        line((x - 0.5, 0.9), (x - 0.3, 2.47))
        line((x + 0.25, 1.9), (x + 0.2, 2.47))
        line((x, 2.93), (x, 3.35))
        ax.text(x, 3.45, f"$h_{t + 1}$", ha="center", fontsize=12)
    ax.text(-0.85, 0.6, "forward", va="center", fontsize=10, color="C0")
    ax.text(-0.85, 1.6, "backward", va="center", fontsize=10, color="C3")
    return fig


def _check_arcs(data, name: str, who: str) -> None:
    """The many-to-one functions take arc reviews only (not :func:`reviews`' tagged ones)."""
    if not isinstance(data, ArcReviews):
        raise TypeError(f"{who}: expected {name} to be ArcReviews (from arc_reviews), got "
                        f"{type(data).__name__}")
