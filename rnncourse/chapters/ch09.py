"""Chapter 9 (a character-level language model): the model, its data, baselines and samples.

- :func:`load_corpus`: the Shakespeare text, its vocabulary and the fixed 90 / 10 split as ids;
- :class:`CharLM`: embedding, recurrent layers (LSTM or GRU, any of ``rc.layers.Recurrent``)
  and a linear readout to one logit per character, called ``model(x, state) -> (logits, state)``
  as ``rc.train.fit`` does for stateful truncated BPTT;
- :func:`ngram_cross_entropy`: the unigram / bigram / trigram baselines, counted on the training
  text and scored on the validation text;
- :func:`kneser_ney_cross_entropies`: the classical tables, interpolated Kneser-Ney n-grams up
  to any order (NumPy counting), plain (one discount per order) or modified (three, the
  strongest standard variant);
- :func:`read_text`: a trained model's per-character losses and hidden units over a text;
- :func:`train`: the book's recipe (Adam, cosine decay, clipping) on ``rc.train.fit``, with an
  optional validation curve; :data:`RECIPE` and :func:`train_book_model`: the chapter's model;
- :func:`load_checkpoint`: a model saved by ``scripts/train_char_lm.py``, SHA-256 checked;
  :func:`load_longer`: the shipped one, the book's model trained four times as long;
- :func:`known_words`, :func:`real_word_fraction`: how many sampled words are real;
- :func:`generate`: text from a prompt, by :func:`rnncourse.decode.sample`;
"""

from __future__ import annotations

import math
import re

import numpy as np
import torch
from torch import nn

from .. import data
from .._validate import nonnegative_number, positive_int
# shared with chapter 12, so they live in the core; re-exported here as chapter 9's own
from ..charlm import CharLM, Corpus, cosine_schedule, generate, load_corpus, ngram_cross_entropy, train

__all__ = ["Corpus", "load_corpus", "CharLM", "ngram_cross_entropy", "kneser_ney_cross_entropy",
           "kneser_ney_cross_entropies", "kneser_ney_losses", "modified_kn_discounts", "read_text",
           "cosine_schedule", "train",
           "generate", "BITS_PER_NAT", "RECIPE", "train_book_model",
           "known_words", "real_word_fraction", "load_checkpoint", "load_longer", "LONGER_SCALE",
           "LONGER_FILE"]

BITS_PER_NAT = 1 / math.log(2)


def _gram_codes(ids: np.ndarray, k: int, V: int) -> np.ndarray:
    """One integer per k-gram of ``ids`` (base-``V`` digits, first character most significant)."""
    code = np.zeros(len(ids) - k + 1, dtype=np.int64)          # (len - k + 1,)
    for j in range(k):
        code = code * V + ids[j: len(ids) - k + 1 + j]
    return code


def _lookup(keys: np.ndarray, values: np.ndarray, queries: np.ndarray) -> np.ndarray:
    """``values[i]`` where ``keys[i] == query`` (``keys`` sorted and unique), else 0."""
    idx = np.minimum(np.searchsorted(keys, queries), len(keys) - 1)
    return np.where(keys[idx] == queries, values[idx], 0)


def modified_kn_discounts(counts) -> tuple[float, float, float]:
    """Chen and Goodman's three discounts ``(D1, D2, D3+)`` of modified Kneser-Ney, estimated from
    the counts of counts ``n1 .. n4`` of one order's n-gram counts (no tuning):
    ``Y = n1 / (n1 + 2 n2)``, ``Dk = k - (k + 1) Y n_{k+1} / n_k``. A ``Dk`` whose ``n_k`` is 0
    (tiny texts only) falls back to ``Y``; each is kept in ``[0, k]``."""
    counts = np.asarray(counts)
    n = [float(np.sum(counts == k)) for k in (1, 2, 3, 4)]
    Y = n[0] / (n[0] + 2 * n[1]) if n[0] + n[1] else 0.5
    return tuple(float(np.clip(k - (k + 1) * Y * n[k] / n[k - 1], 0, k)) if n[k - 1] else Y
                 for k in (1, 2, 3))


def _kn_level(p_lower, grams, counts, queries, V, discount, modified=False):
    """One level of interpolated Kneser-Ney: the discounted counts of the n-grams ``queries``
    plus the mass set aside, spread by the lower order's probabilities ``p_lower``. ``modified``:
    three discounts (for counts 1, 2 and 3 or more) instead of one."""
    ctx, inverse = np.unique(grams // V, return_inverse=True)   # the grams' contexts
    total = np.bincount(inverse, weights=counts)               # count of the context
    q_ctx = queries // V
    c = _lookup(grams, counts, queries).astype(np.float64)     # (positions,)
    if modified:
        D = np.array([0.0, *(discount if discount is not None else modified_kn_discounts(counts))])
        freed = np.bincount(inverse, weights=D[np.minimum(counts, 3)])   # D1 N1 + D2 N2 + D3 N3+
        d_q = D[np.minimum(c, 3).astype(np.int64)]             # the discount of each query
    else:
        if discount is None:                    # Ney's estimate from the counts of counts
            n1, n2 = np.sum(counts == 1), np.sum(counts == 2)
            discount = n1 / (n1 + 2 * n2) if n1 + n2 else 0.5
        freed = discount * np.bincount(inverse).astype(np.float64)   # D N(h.)
        d_q = discount
    c_ctx = _lookup(ctx, total, q_ctx)
    f_ctx = _lookup(ctx, freed, q_ctx)
    seen = c_ctx > 0
    safe = np.where(seen, c_ctx, 1.0)
    p = np.maximum(c - d_q, 0) / safe + f_ctx / safe * p_lower
    return np.where(seen, p, p_lower)


def kneser_ney_losses(train_ids, val_ids, vocab_size: int, max_order: int,
                      discount=None, modified: bool = False) -> dict[int, np.ndarray]:
    """Per-character losses ``-ln p`` (nats) of interpolated Kneser-Ney n-gram models of every
    order from 1 to ``max_order``, counted on ``train_ids`` with NumPy.

    The ``n``-gram model (Chen and Goodman's interpolated Kneser-Ney, one discount per order):

    ``p(w | h) = max(c(hw) - D, 0) / c(h) + D N(h.) / c(h) p_lower(w | h')``,

    where ``h`` is the ``n - 1`` previous characters, ``h'`` is ``h`` without its first one,
    ``N(h.)`` is the number of distinct characters that follow ``h`` in training, and a context
    never seen falls back to ``p_lower``. At the top order ``c`` is the raw count; the lower
    orders replace it by the *continuation count*, the number of distinct characters seen before
    the n-gram, and order 0 is the uniform ``1 / V``. ``D`` is Ney's ``n1 / (n1 + 2 n2)`` from
    each order's counts of counts, or ``discount`` for all orders.

    ``modified=True`` is Chen and Goodman's *modified* Kneser-Ney: an n-gram seen once, twice or
    three or more times loses ``D1``, ``D2`` or ``D3+``, and the mass freed is
    ``D1 N1(h.) + D2 N2(h.) + D3+ N3+(h.)`` (``Nk(h.)``: the characters seen ``k`` times after
    ``h``), with the three discounts of each order from :func:`modified_kn_discounts`, or
    ``discount = (D1, D2, D3+)`` for all orders. Every order is scored on the same characters:
    ``val_ids[max_order - 1:]``, each given the characters before it. ``modified="both"``
    counts once and returns ``{"plain": ..., "modified": ...}`` (``discount`` must be None).
    """
    if modified == "both" and discount is not None:
        raise ValueError("modified='both' uses each variant's own estimated discounts; "
                         "pass discount=None")
    N = positive_int(max_order, "max_order")
    V = positive_int(vocab_size, "vocab_size")
    if discount is not None:
        if modified is True:
            if not (isinstance(discount, (tuple, list)) and len(discount) == 3):
                raise ValueError(f"modified Kneser-Ney expects discount=(D1, D2, D3+), got "
                                 f"{discount!r}")
            discount = tuple(nonnegative_number(d, "discount") for d in discount)
            if not all(d <= k for k, d in zip((1, 2, 3), discount)):
                raise ValueError(f"expected D1 <= 1, D2 <= 2, D3+ <= 3, got {discount}")
        else:
            discount = nonnegative_number(discount, "discount")
            if not discount < 1:
                raise ValueError(f"expected a discount in [0, 1), got {discount}")
    if V ** (N + 1) >= 2 ** 62:
        raise ValueError(f"expected vocab_size ** (max_order + 1) < 2 ** 62 (n-gram codes are "
                         f"int64), got vocab_size {V} and max_order {N}")
    train = np.asarray(torch.as_tensor(train_ids).cpu(), dtype=np.int64)
    val = np.asarray(torch.as_tensor(val_ids).cpu(), dtype=np.int64)
    for ids, name in ((train, "train_ids"), (val, "val_ids")):
        if ids.ndim != 1 or len(ids) < N or (len(ids) and not 0 <= ids.min() <= ids.max() < V):
            raise ValueError(f"expected {name} as a 1-D sequence of ids in [0, {V}) with at "
                             f"least max_order = {N} of them")
    raw, cont = {}, {}
    for k in range(1, N + 1):
        raw[k] = np.unique(_gram_codes(train, k, V), return_counts=True)
    for k in range(1, N):                        # continuation counts: distinct left neighbours
        cont[k] = np.unique(raw[k + 1][0] % V ** k, return_counts=True)
    queries = {k: _gram_codes(val, k, V)[N - k:] for k in range(1, N + 1)}   # (positions,) each

    def score(modified):
        p_cont = {0: np.full(len(val) - N + 1, 1.0 / V)}
        for k in range(1, N):
            p_cont[k] = _kn_level(p_cont[k - 1], *cont[k], queries[k], V, discount, modified)
        return {k: -np.log(_kn_level(p_cont[k - 1], *raw[k], queries[k], V, discount, modified))
                for k in range(1, N + 1)}

    if modified == "both":                       # one counting, both tables
        return {"plain": score(False), "modified": score(True)}
    return score(bool(modified))


def kneser_ney_cross_entropies(train_ids, val_ids, vocab_size: int, max_order: int,
                               discount=None, modified: bool = False) -> dict[int, float]:
    """Validation cross-entropy (nats per character) of the interpolated Kneser-Ney models of
    orders 1 to ``max_order``: the means of :func:`kneser_ney_losses`."""
    losses = kneser_ney_losses(train_ids, val_ids, vocab_size, max_order, discount, modified)
    return {k: float(v.mean()) for k, v in losses.items()}


def kneser_ney_cross_entropy(train_ids, val_ids, vocab_size: int, order: int,
                             discount=None, modified: bool = False) -> float:
    """The interpolated Kneser-Ney ``order``-gram model's validation cross-entropy (nats per
    character), scored on every character of ``val_ids`` with ``order - 1`` predecessors; see
    :func:`kneser_ney_cross_entropies`."""
    return kneser_ney_cross_entropies(train_ids, val_ids, vocab_size, order, discount,
                                      modified)[order]


@torch.no_grad()
def read_text(model: nn.Module, ids: torch.Tensor, n_streams: int = 16, chunk_length: int = 512):
    """Run a trained :class:`CharLM` over ``ids`` with the state carried, as the validation loss
    is measured; return ``(losses, hidden)`` in text order.

    ``ids`` is cut into ``n_streams`` streams (``rc.data.streams``); ``losses[p]`` (NumPy,
    nats) is ``-ln p(ids[p + 1] | ids[:p + 1])`` within its stream, and ``hidden[p]`` the top
    layer's output after reading ``ids[p]`` (``(positions, hidden)``): the units whose
    activations chapter 9 correlates with features of the text.
    """
    x, y = data.streams(ids, n_streams)                       # (n_streams, L) each
    dev = next(model.parameters()).device
    was = model.training
    model.eval()
    losses, hidden, state = [], [], None
    try:
        for xs, ys in zip(x.split(chunk_length, 1), y.split(chunk_length, 1)):
            h, state = model.rnn(model.embed(xs.to(dev)), state)   # (n_streams, chunk, hidden)
            logp = torch.log_softmax(model.readout(h), -1)          # (n_streams, chunk, vocab)
            losses.append(-logp.gather(-1, ys.to(dev)[..., None])[..., 0])
            hidden.append(h)
    finally:
        model.train(was)
    losses = torch.cat(losses, 1).reshape(-1)                   # (n_streams * L,)
    hidden = torch.cat(hidden, 1).reshape(losses.shape[0], -1)  # (n_streams * L, hidden)
    return losses.cpu().numpy(), hidden.cpu().numpy()


#: The book's model and training recipe (chapter 9): embedding 32, one LSTM layer of 256 units,
#: 8 streams walked in chunks of 64 characters, Adam with a cosine decay, 3600 updates. Chosen
#: on the validation text at seed 0 among 32, 16 and 8 streams (for the same characters read)
#: and learning rates 0.005, 0.008 and 0.012.
RECIPE = dict(embed_size=32, hidden_sizes=256, kind="lstm", n_streams=8, chunk_length=64,
              lr=8e-3, updates=3600)


def train_book_model(corpus: Corpus, *, seed: int = 0, scale: float = 1.0, device=None,
                     curve_every: int | None = None, on_curve=None, **changes):
    """Build and train the chapter's model with :data:`RECIPE` (``changes`` override it) for
    ``scale`` times its updates, seeded with ``seed``; return ``(model, history)``
    (``curve_every`` and ``on_curve`` as in :func:`train`)."""
    r = {**RECIPE, **changes}
    updates = max(1, int(round(r["updates"] * scale)))
    torch.manual_seed(seed)
    model = CharLM(len(corpus.vocab), embed_size=r["embed_size"], hidden_sizes=r["hidden_sizes"],
                   kind=r["kind"])
    if device is not None:
        model = model.to(device)
    history = train(model, corpus, updates=updates, n_streams=r["n_streams"],
                    chunk_length=r["chunk_length"], lr=r["lr"], seed=seed, device=device,
                    curve_every=curve_every, on_curve=on_curve)
    return model, history


def load_checkpoint(path, sha256: str, device=None) -> CharLM:
    """A :class:`CharLM` saved by ``scripts/train_char_lm.py``, after checking the file's SHA-256
    (as the shipped data is checked); the float16 weights are loaded as float32."""
    import hashlib

    with open(path, "rb") as f:
        blob = f.read()
    digest = hashlib.sha256(blob).hexdigest()
    if digest != sha256:
        raise ValueError(f"{path} has SHA-256 {digest}, expected {sha256}: the checkpoint was "
                         "modified, damaged or replaced")
    import io

    saved = torch.load(io.BytesIO(blob), map_location="cpu", weights_only=True)
    model = CharLM(**saved["config"])
    model.load_state_dict({k: v.float() for k, v in saved["state_dict"].items()})
    return model.to(device) if device is not None else model


#: The shipped longer-trained model: the book's model and recipe (:data:`RECIPE`, seed 0) trained
#: for ``LONGER_SCALE`` times its updates by ``scripts/train_char_lm.py --book-scale``, float16
#: weights in ``rnncourse/data`` (see its SOURCES.md).
LONGER_SCALE = 4
LONGER_FILE = f"ch09_lstm_{LONGER_SCALE}x.pt"


def load_longer(device=None):
    """The shipped longer-trained model and the record of its training: ``(model, info)``.

    ``model`` is a :class:`CharLM` of the book's shape (float16 weights loaded as float32, eval
    mode, on ``device`` or the CPU), trained with :data:`RECIPE` at seed 0 for
    :data:`LONGER_SCALE` times the book's updates. The file is checked against its SHA-256
    first, as all shipped data is (``rc.data.read_shipped``). ``info`` holds the recipe, the
    updates, the training ``seconds``, the ``curve`` (updates, loss on the first 32,768
    validation characters), ``val_loss`` (the whole validation text, after the rounding to
    float16), the ``machine``, the ``torch`` version, the ``date`` and the ``command``.
    """
    import io

    blob = data.read_shipped(LONGER_FILE)                      # raises on a wrong SHA-256
    saved = torch.load(io.BytesIO(blob), map_location="cpu", weights_only=True)
    with torch.random.fork_rng(devices=[]):                   # leave the global seed alone
        model = CharLM(**saved["config"])
    model.load_state_dict({k: v.float() for k, v in saved["state_dict"].items()})
    model.eval()
    info = dict(saved["info"], file=LONGER_FILE)
    return (model.to(device) if device is not None else model), info


def known_words(corpus: Corpus) -> set[str]:
    """The words (runs of letters and apostrophes) of the training text."""
    return set(re.findall(r"[A-Za-z']+", corpus.text[: len(corpus.train_ids)]))


def real_word_fraction(text: str, words: set[str]) -> float:
    """The fraction of the words of ``text`` that occur in ``words`` (0 for a text without any):
    chapter 9's measure of how often a sample writes real words."""
    found = re.findall(r"[A-Za-z']+", text)
    return sum(w in words for w in found) / max(1, len(found))
