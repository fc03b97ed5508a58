"""Chapter 11 (captioning): a CNN encoder and an LSTM decoder on generated images of shapes.

The data (:func:`shapes`): 24 x 24 RGB images made with NumPy from a seed, holding one to three
coloured shapes on a 2 x 2 grid of cells, each with a compositional caption such as
``"a small red circle left of a large blue square"``. Shapes are named in a fixed colour order
(red, green, blue, yellow), so every image has exactly one right caption; between two named
shapes the caption says where the first lies relative to the next (left of, right of, above,
below). Some colour-shape combinations (:data:`HELD_OUT`) never appear in training; the split
``"held_out"`` shows each image at least one of them.

The model (:class:`Captioner`): a small CNN written with ``torch.nn`` (no torchvision) maps an
image to a 2 x 2 map of feature vectors, one per grid cell; an LSTM decoder
(:class:`rnncourse.fast.FastRecurrent`) predicts the caption word by word, trained with teacher
forcing. Three ways to give the decoder the image (``inject``):

- ``"init"``: the image's feature vector sets the LSTM's initial state, and never again (the
  image once, at the start: Show and Tell, Vinyals et al. 2015, feeds it as the LSTM's input at
  a step t = -1 from a zero state; Karpathy and Fei-Fei 2015 add it at the first step);
- ``"step"``: the feature vector is part of the input at every step (as in Donahue et al.'s
  LRCN);
- ``"attention"``: at every step the decoder looks at the 2 x 2 map through additive attention
  (Xu et al. 2015) and reads the weighted mix of the cells' vectors.

The chapter's main captioner (``"step"``, seed 0, :data:`STEP_UPDATES` updates) and its
attention captioners (plain and with separate slots, seeds 0-2) take longer to train than its
budget allows on a CPU: ``scripts/train_ch11_attention.py`` trained them with the chapter's
recipe, their weights ship in ``rnncourse/data`` and :func:`load_captioner` loads them (SHA-256
checked).

Decoding uses the shared :func:`rnncourse.decode.greedy` and :func:`rnncourse.decode.beam_search`
through :meth:`Captioner.step`. :func:`caption_scores` gives exact match, per-attribute accuracy
and BLEU (sacrebleu). The CNN-LSTM family's other member, activity recognition, is
:func:`clips` and :class:`ActivityNet`.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from .. import decode
from .._validate import positive_int
from ..fast import FastRecurrent

__all__ = ["COLOURS", "SHAPES", "SIZES", "RELATIONS", "HELD_OUT", "VOCAB", "PAD", "START", "END",
           "CaptionData", "Encoder", "SplitEncoder", "shapes", "render", "describe", "relation", "encode", "decode_tokens",
           "parse", "Captioner", "generate", "caption_scores", "bleu", "train_captioner",
           "clips", "ActivityNet", "ACTIONS", "train_activity", "held_out_shapes",
           "attention_on_shapes", "held_out_pair_accuracy", "ATTENTION_UPDATES", "ATTENTION_LR",
           "SHIPPED_SEEDS", "STEP_UPDATES", "STEP_LR", "SHIPPED_STEP_SEEDS", "load_captioner"]

IMAGE = 24                  # pixels per side
GRID = 2                    # the image is a GRID x GRID grid of cells, one shape per cell
CELL = IMAGE // GRID        # 12 pixels
COLOURS = {"red": (1.0, 0.1, 0.1), "green": (0.1, 0.9, 0.1), "blue": (0.15, 0.3, 1.0),
           "yellow": (1.0, 0.9, 0.1)}
SHAPES = ("circle", "square", "triangle")
SIZES = ("small", "large")
RELATIONS = ("left of", "right of", "above", "below")
# colour-shape combinations never shown in training: every colour and every shape still is
HELD_OUT = (("red", "triangle"), ("green", "circle"), ("blue", "square"))

PAD, START, END = "<pad>", "<start>", "<end>"
VOCAB = (PAD, START, END, "a", *SIZES, *COLOURS, *SHAPES, "left", "right", "of", "above", "below")
_INDEX = {w: i for i, w in enumerate(VOCAB)}
MAX_WORDS = 3 * 4 + 2 * 2   # three shapes of four words, two relations of up to two
ATTENTION_UPDATES = 1200    # the attention captioners' budget (scripts/train_ch11_attention.py)
# their first-stage learning rates, chosen on a validation split by that script (see its doc)
ATTENTION_LR = {"attention": 0.01, "split": 0.01}
SHIPPED_SEEDS = (0, 1, 2)   # the seeds of the attention captioners shipped in rnncourse/data
STEP_UPDATES = 2400         # the main captioner's budget ("step", the chapter's UPDATES at SCALE 1)
STEP_LR = 0.01              # and its first-stage learning rate (train_captioner's default)
SHIPPED_STEP_SEEDS = (0,)   # the seed of the main captioner shipped in rnncourse/data


# ------------------------------------------------------------------ the images and captions

def render(objects, noise: float = 0.0, rng: np.random.Generator | None = None) -> np.ndarray:
    """One image ``(3, 24, 24)`` float32 in [0, 1] from ``objects``.

    Each object is a dict with ``colour``, ``shape``, ``size``, ``row``, ``col`` (its grid cell)
    and ``dx``, ``dy`` (a shift of its centre in pixels, |shift| <= 1).
    """
    if isinstance(objects, dict):
        raise TypeError("render expects a list of objects (dicts); for one object write [obj]")
    for o in objects:
        if not isinstance(o, dict) or not {"colour", "shape", "size", "row", "col"} <= set(o):
            raise ValueError(f"every object must be a dict with colour, shape, size, row and col, "
                             f"got {o!r}")
        for key, options in (("colour", tuple(COLOURS)), ("shape", SHAPES), ("size", SIZES),
                             ("row", tuple(range(GRID))), ("col", tuple(range(GRID)))):
            if isinstance(o[key], bool) or o[key] not in options:
                raise ValueError(f"unknown {key} {o[key]!r}: expected one of {options}")
    if isinstance(noise, bool) or not isinstance(noise, (int, float)) or not 0 <= noise < float("inf"):
        raise ValueError(f"noise must be a finite number >= 0, got {noise!r}")
    img = np.zeros((3, IMAGE, IMAGE), dtype=np.float32)
    yy, xx = np.mgrid[0:IMAGE, 0:IMAGE] + 0.5                        # pixel centres
    for o in objects:
        cy = CELL * o["row"] + CELL / 2 + o.get("dy", 0.0)
        cx = CELL * o["col"] + CELL / 2 + o.get("dx", 0.0)
        r = 5.0 if o["size"] == "large" else 3.2                     # half-extent in pixels
        if o["shape"] == "circle":
            mask = (yy - cy) ** 2 + (xx - cx) ** 2 <= r ** 2
        elif o["shape"] == "square":
            s = 0.8 * r
            mask = (np.abs(yy - cy) <= s) & (np.abs(xx - cx) <= s)
        else:                                                        # triangle, apex up
            top, bottom = cy - r, cy + r
            half = (yy - top) / (2 * r) * r * 1.1                     # widens downwards
            mask = (yy >= top) & (yy <= bottom) & (np.abs(xx - cx) <= half)
        img[:, mask] = np.asarray(COLOURS[o["colour"]], dtype=np.float32)[:, None]
    if noise > 0:
        rng = np.random.default_rng(0) if rng is None else rng
        img = np.clip(img + noise * rng.standard_normal(img.shape).astype(np.float32), 0, 1)
    return img


def relation(a, b) -> str:
    """Where object ``a`` lies relative to ``b``: the larger of the row and column offsets
    decides; a tie (a diagonal) counts as horizontal."""
    if not all(isinstance(o, dict) and {"row", "col"} <= set(o) for o in (a, b)):
        raise ValueError(f"relation expects two objects as dicts with row and col, got {a!r} and {b!r}")
    dr, dc = a["row"] - b["row"], a["col"] - b["col"]
    if abs(dc) >= abs(dr):
        return "left of" if dc < 0 else "right of"
    return "above" if dr < 0 else "below"


def describe(objects) -> str:
    """The one right caption: the shapes in colour order, each followed by its relation to the
    next, e.g. ``"a small red circle left of a large blue square"``."""
    order = list(COLOURS)
    objs = sorted(objects, key=lambda o: order.index(o["colour"]))
    words = []
    for k, o in enumerate(objs):
        words += ["a", o["size"], o["colour"], o["shape"]]
        if k + 1 < len(objs):
            words += relation(o, objs[k + 1]).split()
    return " ".join(words)


@dataclass
class CaptionData:
    """A data set: ``images`` ``(n, 3, 24, 24)``, ``tokens`` ``(n, 18)`` (start, words, end,
    padding), ``captions`` (str) and ``objects`` (the scene of every image)."""

    images: torch.Tensor
    tokens: torch.Tensor
    captions: list
    objects: list

    def __len__(self) -> int:
        return len(self.captions)

    def __getitem__(self, index) -> "CaptionData":
        idx = np.arange(len(self))[index]
        return CaptionData(self.images[idx], self.tokens[idx], [self.captions[i] for i in idx],
                           [self.objects[i] for i in idx])


def encode(caption: str) -> list[int]:
    """Token ids of ``<start> caption <end>`` padded to ``MAX_WORDS + 2``."""
    words = caption.split()
    unknown = [w for w in words if w not in _INDEX or w in (PAD, START, END)]
    if unknown:
        raise ValueError(f"words not in the vocabulary: {unknown}; expected words of {VOCAB[3:]}")
    ids = [_INDEX[START]] + [_INDEX[w] for w in words] + [_INDEX[END]]
    if len(words) > MAX_WORDS:
        raise ValueError(f"a caption has at most {MAX_WORDS} words, got {len(words)}")
    return ids + [_INDEX[PAD]] * (MAX_WORDS + 2 - len(ids))


def decode_tokens(ids) -> str:
    """The caption of a list of token ids (stops at ``<end>``, skips start and padding)."""
    from .._validate import token_id
    ids = ids.tolist() if isinstance(ids, (torch.Tensor, np.ndarray)) else ids
    for i in ids:
        token_id(i, len(VOCAB), "every caption token")
    words = []
    for i in ids:
        w = VOCAB[int(i)]
        if w == END:
            break
        if w not in (PAD, START):
            words.append(w)
    return " ".join(words)


def _scene(rng: np.random.Generator, n_objects: int, held_out: bool) -> list[dict]:
    """One random scene; with ``held_out`` at least one object is a held-out combination."""
    while True:
        colours = rng.choice(list(COLOURS), size=n_objects, replace=False)
        pairs = []
        for c in colours:
            allowed = SHAPES if held_out else [s for s in SHAPES if (c, s) not in HELD_OUT]
            pairs.append((c, rng.choice(allowed)))
        if held_out and not any(p in HELD_OUT for p in pairs):
            continue
        cells = rng.choice(GRID * GRID, size=n_objects, replace=False)
        return [dict(colour=str(c), shape=str(s), size=str(rng.choice(SIZES)),
                     row=int(k // GRID), col=int(k % GRID),
                     dx=float(rng.uniform(-1, 1)), dy=float(rng.uniform(-1, 1)))
                for (c, s), k in zip(pairs, cells)]


def shapes(n: int, split: str = "train", seed: int = 0, noise: float = 0.05) -> CaptionData:
    """``n`` images with one to three shapes and their captions, generated from ``seed``.

    ``split="train"`` (and ``"test"``, the same distribution: use another seed) never uses a
    combination of :data:`HELD_OUT`; ``split="held_out"`` puts at least one in every image.
    """
    positive_int(n, "n")
    if split not in ("train", "test", "held_out"):
        raise ValueError(f"split must be 'train', 'test' or 'held_out', got {split!r}")
    rng = np.random.default_rng([seed, ("train", "test", "held_out").index(split)])
    scenes = [_scene(rng, int(rng.integers(1, 4)), split == "held_out") for _ in range(n)]
    images = np.stack([render(s, noise, rng) for s in scenes])            # (n, 3, 24, 24)
    captions = [describe(s) for s in scenes]
    tokens = torch.tensor([encode(c) for c in captions], dtype=torch.long)  # (n, 18)
    return CaptionData(torch.from_numpy(images), tokens, captions, scenes)


def parse(caption: str) -> tuple[list[tuple], list[str]]:
    """``(objects, relations)`` of a caption: ``[(size, colour, shape), ...]`` and
    ``["left of", ...]``. Words that do not fit the grammar end the parse."""
    words, objs, rels, k = caption.split(), [], [], 0
    while k + 4 <= len(words) and words[k] == "a":
        objs.append(tuple(words[k + 1:k + 4]))
        k += 4
        if k < len(words):
            two = " ".join(words[k:k + 2])
            if two in ("left of", "right of"):
                rels.append(two)
                k += 2
            elif words[k] in ("above", "below"):
                rels.append(words[k])
                k += 1
            else:
                break
    return objs, rels


# ------------------------------------------------------------------ the model

class Encoder(nn.Module):
    """A small CNN: ``(batch, 3, 24, 24) -> (batch, channels, 2, 2)``, one feature vector per
    grid cell. Two 3 x 3 convolutions with stride 2 take the image to 12 x 12 and then 6 x 6, a
    third 3 x 3 convolution combines neighbours at 6 x 6, and 3 x 3 max pooling leaves one
    vector per 12 x 12-pixel cell."""

    def __init__(self, channels: int = 32):
        super().__init__()
        c = positive_int(channels, "channels")
        self.net = nn.Sequential(
            nn.Conv2d(3, c // 2, 3, stride=2, padding=1), nn.ReLU(),  # (batch, c/2, 12, 12)
            nn.Conv2d(c // 2, c, 3, stride=2, padding=1), nn.ReLU(),  # (batch, c, 6, 6)
            nn.Conv2d(c, c, 3, padding=1), nn.ReLU(),                 # (batch, c, 6, 6)
            nn.MaxPool2d(3),                                          # (batch, c, 2, 2)
        )

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return self.net(images)


class SplitEncoder(nn.Module):
    """Separate slots for shape and colour: ``(batch, 3, 24, 24) -> (batch, channels + 3, 2, 2)``.

    The shape slot is the CNN of :class:`Encoder` run on a colour-blind copy of the image (the
    brightest channel of every pixel), so it cannot tie a shape to a colour; the colour slot is
    the mean colour of the lit pixels of each cell. A decoder that reads these cell vectors can
    name a shape in a colour it has never seen it in.
    """

    def __init__(self, channels: int = 32):
        super().__init__()
        c = positive_int(channels, "channels")
        self.shape = Encoder(c)
        self.shape.net[0] = nn.Conv2d(1, c // 2, 3, stride=2, padding=1)
        self.pool = nn.AvgPool2d(CELL)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        light = images.amax(1, keepdim=True)                          # (batch, 1, 24, 24)
        lit = (light > 0.5).to(images.dtype)                          # the shapes' pixels
        colour = self.pool(images * lit) / (self.pool(lit) + 1e-3)    # (batch, 3, 2, 2)
        return torch.cat([self.shape(light), colour], dim=1)          # (batch, c + 3, 2, 2)


class Captioner(nn.Module):
    """CNN encoder + LSTM decoder; ``inject`` is ``"init"``, ``"step"`` or ``"attention"``;
    ``split=True`` uses the :class:`SplitEncoder` (separate shape and colour slots).

    ``forward(images, tokens)`` returns ``(logits, loss)``: teacher forcing, the decoder reads
    ``tokens[:, :-1]`` and is scored on ``tokens[:, 1:]`` (padding ignored), the form
    :func:`rnncourse.train.fit` trains with ``loss_fn=None``. :meth:`start` and :meth:`step`
    are the ``(state, step)`` pair that :mod:`rnncourse.decode` searches with.
    """

    def __init__(self, inject: str = "step", channels: int = 32, feature: int = 128,
                 embed: int = 32, hidden: int = 64, split: bool = False):
        super().__init__()
        if inject not in ("init", "step", "attention"):
            raise ValueError(f"inject must be 'init', 'step' or 'attention', got {inject!r}")
        self.inject, self.hidden = inject, positive_int(hidden, "hidden")
        self.encoder = SplitEncoder(channels) if split else Encoder(channels)
        channels = channels + 3 if split else channels               # the cell vectors' width
        self.embed = nn.Embedding(len(VOCAB), positive_int(embed, "embed"))
        if inject == "attention":
            self.keys = nn.Linear(channels, hidden)          # additive attention
            self.query = nn.Linear(hidden, hidden, bias=False)
            self.score = nn.Linear(hidden, 1, bias=False)
            width = embed + channels
        else:
            self.feature = nn.Sequential(nn.Flatten(), nn.Linear(channels * GRID * GRID, feature),
                                         nn.ReLU())
            width = embed + (feature if inject == "step" else 0)
            if inject == "init":
                self.init_h = nn.Linear(feature, hidden)
                self.init_c = nn.Linear(feature, hidden)
        self.rnn = FastRecurrent("lstm", width, hidden)
        self.readout = nn.Linear(hidden, len(VOCAB))

    # -- the decoder's state: a dict of batch-first tensors, as rnncourse.decode expects
    def start(self, images: torch.Tensor) -> dict:
        maps = self.encoder(images)                                   # (batch, C, 2, 2)
        B = images.shape[0]
        zeros = images.new_zeros(B, self.hidden)
        if self.inject == "attention":
            cells = maps.flatten(2).transpose(1, 2)                   # (batch, 4, C)
            return {"h": zeros, "c": zeros, "cells": cells, "keys": self.keys(cells)}
        f = self.feature(maps)                                        # (batch, feature)
        if self.inject == "init":
            return {"h": torch.tanh(self.init_h(f)), "c": self.init_c(f)}
        return {"h": zeros, "c": zeros, "f": f}

    def _input(self, emb: torch.Tensor, state: dict):
        """The decoder's input at one step: the word's embedding (batch, E) plus the image."""
        if self.inject == "init":
            return emb, None
        if self.inject == "step":
            return torch.cat([emb, state["f"]], dim=-1), None
        e = self.score(torch.tanh(state["keys"] + self.query(state["h"])[:, None]))  # (batch, 4, 1)
        alpha = torch.softmax(e, dim=1)                                              # (batch, 4, 1)
        context = (alpha * state["cells"]).sum(1)                                    # (batch, C)
        return torch.cat([emb, context], dim=-1), alpha.squeeze(-1)

    def step(self, tokens: torch.Tensor, state: dict):
        """One decoding step: ``tokens`` ``(batch,)`` -> ``(log_probs (batch, V), state)``."""
        x, _ = self._input(self.embed(tokens), state)
        out, [(h, c)] = self.rnn(x[:, None], [(state["h"], state["c"])])  # out (batch, 1, H)
        return F.log_softmax(self.readout(out[:, 0]), dim=-1), {**state, "h": h, "c": c}

    def forward(self, images: torch.Tensor, tokens: torch.Tensor):
        state = self.start(images)
        inp, target = tokens[:, :-1], tokens[:, 1:]                   # (batch, T) each
        emb = self.embed(inp)                                         # (batch, T, E)
        if self.inject == "attention":                                # the input needs h_{t-1}
            outs, hc = [], [(state["h"], state["c"])]
            for e_t in emb.unbind(1):                                 # each (batch, E)
                x, _ = self._input(e_t, {**state, "h": hc[0][0]})
                out, hc = self.rnn(x[:, None], hc)                    # (batch, 1, H)
                outs.append(out)
            h = torch.cat(outs, dim=1)                                # (batch, T, H)
        else:
            if self.inject == "step":
                emb = torch.cat([emb, state["f"][:, None].expand(-1, emb.shape[1], -1)], dim=-1)
            h, _ = self.rnn(emb, [(state["h"], state["c"])])          # (batch, T, H)
        logits = self.readout(h)                                      # (batch, T, V)
        loss = F.cross_entropy(logits.reshape(-1, len(VOCAB)), target.reshape(-1),
                               ignore_index=_INDEX[PAD])
        return logits, loss

    @torch.no_grad()
    def attention(self, images: torch.Tensor, tokens: torch.Tensor) -> torch.Tensor:
        """Attention weights ``(batch, T, 4)`` while reading ``tokens[:, :-1]`` (attention only)."""
        if self.inject != "attention":
            raise ValueError("only a Captioner(inject='attention') has attention weights")
        state, weights = self.start(images), []
        for t in tokens[:, :-1].unbind(1):
            _, alpha = self._input(self.embed(t), state)
            weights.append(alpha)
            _, state = self.step(t, state)
        return torch.stack(weights, dim=1)


@torch.no_grad()
def generate(model: Captioner, images: torch.Tensor, beam_width: int = 1, alpha: float = 0.0,
             batch_size: int = 500) -> list[str]:
    """Captions of ``images``: greedy for ``beam_width=1``, else beam search (rnncourse.decode)."""
    if not isinstance(images, torch.Tensor) or tuple(images.shape[1:]) != (3, IMAGE, IMAGE):
        raise ValueError(f"generate expects images of shape (n, 3, {IMAGE}, {IMAGE}), got "
                         f"{tuple(images.shape) if isinstance(images, torch.Tensor) else type(images).__name__}")
    positive_int(beam_width, "beam_width")
    positive_int(batch_size, "batch_size")
    was = model.training
    model.eval()
    dev = next(model.parameters()).device
    out = []
    for i in range(0, images.shape[0], batch_size):
        x = images[i:i + batch_size].to(dev)
        start = torch.full((x.shape[0],), _INDEX[START], dtype=torch.long, device=dev)
        state = model.start(x)
        if beam_width == 1:
            tokens, _ = decode.greedy(model.step, start, state, MAX_WORDS + 1, _INDEX[END])
        else:
            tokens, _ = decode.beam_search(model.step, start, state, MAX_WORDS + 1, _INDEX[END],
                                           beam_width=beam_width, alpha=alpha)
        out += [" ".join(VOCAB[t] for t in row) for row in decode.strip(tokens.cpu(), _INDEX[END])]
    model.train(was)
    return out


# ------------------------------------------------------------------ metrics

def bleu(hypotheses: list[str], references: list[str]) -> float:
    """Corpus BLEU (0-100) with one reference per caption, computed by sacrebleu
    (Papineni et al. 2002; Post 2018): 4-gram precisions, brevity penalty, sacrebleu's
    default tokenisation."""
    import sacrebleu

    for name, texts in (("hypotheses", hypotheses), ("references", references)):
        if isinstance(texts, str) or not all(isinstance(t, str) for t in texts):
            raise TypeError(f"bleu expects {name} as a list of caption strings, got "
                            f"{type(texts).__name__} {texts!r:.60}; for one caption write [caption]")
    if len(hypotheses) != len(references) or not references:
        raise ValueError(f"expected as many hypotheses as references (at least one), got "
                         f"{len(hypotheses)} and {len(references)}")
    return float(sacrebleu.corpus_bleu(list(hypotheses), [list(references)]).score)


def caption_scores(hypotheses: list[str], references: list[str]) -> dict:
    """Exact match, per-attribute accuracy and BLEU of generated captions.

    Attributes are compared shape by shape in the order the reference names them (the k-th
    shape of the hypothesis against the k-th of the reference; a missing one counts as
    wrong); ``relation`` is the accuracy over the reference's relations, and ``count`` the
    fraction with the right number of shapes. All in [0, 1] except BLEU (0-100).
    """
    if len(hypotheses) != len(references) or not references:
        raise ValueError("expected as many hypotheses as references (at least one)")
    hits = {"colour": [], "shape": [], "size": [], "relation": []}
    count = []
    for hyp, ref in zip(hypotheses, references):
        (h_objs, h_rels), (r_objs, r_rels) = parse(hyp), parse(ref)
        count.append(len(h_objs) == len(r_objs))
        for k, (size, colour, shape) in enumerate(r_objs):
            got = h_objs[k] if k < len(h_objs) else (None, None, None)
            hits["size"].append(got[0] == size)
            hits["colour"].append(got[1] == colour)
            hits["shape"].append(got[2] == shape)
        for k, rel in enumerate(r_rels):
            hits["relation"].append(k < len(h_rels) and h_rels[k] == rel)
    exact = float(np.mean([h == r for h, r in zip(hypotheses, references)]))
    out = {"exact": exact}
    out.update({k: float(np.mean(v)) if v else float("nan") for k, v in hits.items()})
    out["count"] = float(np.mean(count))
    out["bleu"] = bleu(hypotheses, references)
    return out


def train_captioner(inject: str, train: CaptionData, *, updates: int, seed: int = 0,
                    batch_size: int = 64, lr: float = 1e-2, decay_at: float = 0.75, device=None,
                    **model_kwargs):
    """A :class:`Captioner` trained with ``rc.train.fit`` for exactly ``updates`` mini-batch
    updates: Adam at ``lr``, then at ``lr / 10`` for the last ``1 - decay_at`` of them (two
    calls of ``fit`` sharing one optimizer), gradient norm clipped at 1. The mini-batches walk
    through seeded shuffles of ``train``. Returns ``(model, seconds, losses)``: the training
    time and the mean training loss of each stage."""
    from ..train import fit
    from ..utils import set_seed

    positive_int(updates, "updates")
    set_seed(seed)
    model = Captioner(inject, **model_kwargs)
    if device is not None:
        model.to(device)
    gen = torch.Generator().manual_seed(seed)
    laps = -(-updates * batch_size // len(train))
    order = torch.cat([torch.randperm(len(train), generator=gen) for _ in range(laps)])
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    first = max(1, min(updates, round(decay_at * updates)))
    seconds, losses = 0.0, []
    for begin, end, rate in ((0, first, lr), (first, updates, lr / 10)):
        if end <= begin:
            continue
        for group in optimizer.param_groups:
            group["lr"] = rate
        idx = order[begin * batch_size:end * batch_size]
        history = fit(model, (train.images[idx], train.tokens[idx]), loss_fn=None, epochs=1,
                      optimizer=optimizer, batch_size=batch_size, clip_norm=1.0, seed=seed)
        seconds += history.seconds
        losses.append(history.loss[-1])
    return model, seconds, losses



_PHRASE = ("a", "size", "colour", "shape")   # the four words that name one shape


def attention_on_shapes(model: Captioner, data: CaptionData, word: str = "shape") -> float:
    """How often the attention looks at the right cell while it names a shape: over every shape
    of the references, the fraction of teacher-forced steps that predict the shape's ``word``
    (``"shape"``, or ``"a"``, ``"size"``, ``"colour"``: the other words of "a small red circle")
    with their largest weight on the cell that holds that shape (the cells in the order of
    ``flatten``: row by row)."""
    if word not in _PHRASE:
        raise ValueError(f"word must be one of {_PHRASE}, got {word!r}")
    back = len(_PHRASE) - 1 - _PHRASE.index(word)                   # steps before the shape word
    dev = next(model.parameters()).device
    weights = model.attention(data.images.to(dev), data.tokens.to(dev)).cpu()   # (n, T, 4)
    shape_ids = torch.tensor([_INDEX[s] for s in SHAPES])
    order = list(COLOURS)
    hits = []
    for i, objects in enumerate(data.objects):
        objs = sorted(objects, key=lambda o: order.index(o["colour"]))   # caption order
        steps = torch.nonzero(torch.isin(data.tokens[i], shape_ids))[:, 0] - 1   # predicting rows
        for o, t in zip(objs, steps.tolist()):
            hits.append(int(weights[i, t - back].argmax()) == GRID * o["row"] + o["col"])
    return float(np.mean(hits))


def load_captioner(variant: str, seed: int, device=None, recipe: bool = False):
    """One of the captioners that ``scripts/train_ch11_attention.py`` trained with chapter 11's
    recipe and that ship in ``rnncourse/data`` (``ch11_<variant>_seed<seed>.pt``, see its
    SOURCES.md), for the chapter at SCALE = 1, where training them would take longer than the
    chapter's budget.

    ``variant`` is ``"step"`` (the main captioner: the image at every step, the plain
    :class:`Encoder`, :data:`STEP_UPDATES` updates at :data:`STEP_LR`; ``seed`` one of
    :data:`SHIPPED_STEP_SEEDS`), ``"attention"`` (attention, the plain :class:`Encoder`) or
    ``"split"`` (attention, separate slots, :class:`SplitEncoder`; these two trained for
    :data:`ATTENTION_UPDATES` updates at ``ATTENTION_LR[variant]``, ``seed`` one of
    :data:`SHIPPED_SEEDS`). The file's SHA-256 is checked first
    (:func:`rnncourse.data.read_shipped`: a ``ValueError`` for a changed or damaged file); its
    float16 weights are loaded as float32 into ``Captioner(inject, split=...)``, in eval mode.
    The global random state is left as it was.

    With ``recipe=True`` returns ``(model, recipe)``: the dict the script saved with the weights
    (``updates``, ``lr``, ``seed``, ``batch_size``, ``train``, ``seconds``: the training time
    on the machine that trained it, ``torch``; for ``"step"`` also ``losses``, the mean training
    loss of each stage as :func:`train_captioner` returns them, and ``machine``).
    """
    import io

    from .. import data

    seeds = {"step": SHIPPED_STEP_SEEDS, "attention": SHIPPED_SEEDS, "split": SHIPPED_SEEDS}
    if variant not in seeds:
        raise ValueError(f"variant must be 'step', 'attention' or 'split', got {variant!r}")
    if isinstance(seed, bool) or seed not in seeds[variant]:
        raise ValueError(f"no shipped {variant!r} captioner for seed {seed!r}: expected one of "
                         f"{seeds[variant]}")
    blob = data.read_shipped(f"ch11_{variant}_seed{seed}.pt")
    saved = torch.load(io.BytesIO(blob), map_location="cpu", weights_only=True)
    with torch.random.fork_rng(devices=[]):          # building the model draws initial weights
        model = Captioner(**saved["config"])
    model.load_state_dict({k: v.float() for k, v in saved["state_dict"].items()})
    model.eval()
    model = model.to(device) if device is not None else model
    return (model, dict(saved["recipe"])) if recipe else model

# ------------------------------------------------------------------ activity recognition

ACTIONS = ("left", "right", "up", "down", "grow")
CLIP_SIZE = 16


def clips(n: int, frames: int = 6, seed: int = 0, noise: float = 0.05):
    """``(videos, labels)``: ``n`` clips ``(frames, 3, 16, 16)`` of one shape that moves left,
    right, up, down or grows (:data:`ACTIONS`), and the action's index.

    Moving left and moving right show the same *set* of frames in opposite orders, so only a
    model that reads the order can tell them apart.
    """
    positive_int(n, "n")
    T = positive_int(frames, "frames", minimum=2)
    rng = np.random.default_rng([seed, 11])
    yy, xx = np.mgrid[0:CLIP_SIZE, 0:CLIP_SIZE] + 0.5
    videos = np.zeros((n, T, 3, CLIP_SIZE, CLIP_SIZE), dtype=np.float32)
    labels = rng.integers(0, len(ACTIONS), size=n)
    for i, a in enumerate(labels):
        colour = np.asarray(list(COLOURS.values())[rng.integers(len(COLOURS))], dtype=np.float32)
        square = rng.random() < 0.5
        travel = rng.uniform(5, 8)                                   # pixels over the clip
        c0 = rng.uniform(4, 12, size=2)                              # (y, x) centre
        r0 = rng.uniform(1.5, 2.5)
        for t in range(T):
            s = t / (T - 1) - 0.5                                    # -0.5 .. 0.5
            cy, cx, r = c0[0], c0[1], r0
            if ACTIONS[a] in ("left", "right"):
                cx = 8 + travel * s * (1 if ACTIONS[a] == "right" else -1)
            elif ACTIONS[a] in ("up", "down"):
                cy = 8 + travel * s * (1 if ACTIONS[a] == "down" else -1)
            else:
                r = r0 + 3.5 * (s + 0.5)
            if square:
                mask = (np.abs(yy - cy) <= r) & (np.abs(xx - cx) <= r)
            else:
                mask = (yy - cy) ** 2 + (xx - cx) ** 2 <= r ** 2
            videos[i, t][:, mask] = colour[:, None]
    videos = np.clip(videos + noise * rng.standard_normal(videos.shape).astype(np.float32), 0, 1)
    return torch.from_numpy(videos), torch.from_numpy(labels).long()


class ActivityNet(nn.Module):
    """Frames -> CNN -> LSTM -> class (LRCN, Donahue et al. 2015).

    ``(batch, time, 3, 16, 16) -> (batch, classes)`` logits. With ``order=False`` the LSTM is
    replaced by the mean of the frames' features (a bag of frames that ignores their order).
    """

    def __init__(self, n_classes: int = len(ACTIONS), channels: int = 8, hidden: int = 32,
                 order: bool = True):
        super().__init__()
        c = positive_int(channels, "channels")
        self.cnn = nn.Sequential(
            nn.Conv2d(3, c, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),        # (N, c, 8, 8)
            nn.Conv2d(c, c, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),        # (N, c, 4, 4)
            nn.Flatten(), nn.Linear(c * 16, hidden), nn.ReLU())               # (N, hidden)
        self.order = bool(order)
        self.rnn = FastRecurrent("lstm", hidden, hidden) if order else None
        self.readout = nn.Linear(hidden, positive_int(n_classes, "n_classes", minimum=2))

    def forward(self, videos: torch.Tensor) -> torch.Tensor:
        B, T = videos.shape[:2]
        f = self.cnn(videos.flatten(0, 1)).unflatten(0, (B, T))       # (batch, time, hidden)
        if self.order:
            _, [(h, _)] = self.rnn(f)                                 # h: (batch, hidden)
        else:
            h = f.mean(1)                                             # (batch, hidden)
        return self.readout(h)                                        # (batch, classes)


def train_activity(order: bool, train, *, updates: int, seed: int = 0, batch_size: int = 32,
                   lr: float = 1e-2, device=None):
    """An :class:`ActivityNet` trained with ``rc.train.fit`` (cross-entropy, Adam) for about
    ``updates`` mini-batch updates on ``train = (videos, labels)``; returns ``(model, history)``."""
    from ..train import fit
    from ..utils import set_seed

    set_seed(seed)
    model = ActivityNet(order=order)
    videos, labels = train
    epochs = max(1, round(positive_int(updates, "updates") * batch_size / len(labels)))
    history = fit(model, (videos, labels), loss_fn=F.cross_entropy, epochs=epochs, lr=lr,
                  batch_size=batch_size, device=device, seed=seed)
    return model, history


def held_out_shapes(hypotheses: list[str], data: CaptionData) -> dict:
    """For every held-out colour-shape pair: how often the caption gave each shape word.

    Only shapes the caption names with the right colour in the right place count; returns
    ``{(colour, shape): {said_shape: fraction}}``.
    """
    said: dict = {pair: {} for pair in HELD_OUT}
    for hyp, ref in zip(hypotheses, data.captions):
        h_objs, _ = parse(hyp)
        for k, (size, colour, shape) in enumerate(parse(ref)[0]):
            if (colour, shape) in said and k < len(h_objs) and h_objs[k][1] == colour:
                counts = said[(colour, shape)]
                counts[h_objs[k][2]] = counts.get(h_objs[k][2], 0) + 1
    return {pair: {s: c / max(1, sum(counts.values())) for s, c in sorted(counts.items())}
            for pair, counts in said.items()}


def held_out_pair_accuracy(hypotheses: list[str], data: CaptionData) -> dict:
    """How often the shape word is right for the shapes that are held-out colour-shape pairs.

    The ``k``-th shape of each reference caption that is one of :data:`HELD_OUT` is compared
    with the ``k``-th shape of the hypothesis (a missing shape counts as wrong; the colour word
    is not checked). Unlike ``caption_scores(...)["shape"]``, which averages over every shape
    of the held-out images (familiar pairs included), this counts the held-out pairs only.
    Returns ``{"all": fraction, (colour, shape): fraction, ...}``.
    """
    hits: dict = {pair: [] for pair in HELD_OUT}
    for hyp, ref in zip(hypotheses, data.captions):
        h_objs, _ = parse(hyp)
        for k, (size, colour, shape) in enumerate(parse(ref)[0]):
            if (colour, shape) in hits:
                hits[(colour, shape)].append(k < len(h_objs) and h_objs[k][2] == shape)
    every = [h for v in hits.values() for h in v]
    out = {"all": sum(every) / max(1, len(every))}
    out.update({pair: sum(v) / max(1, len(v)) for pair, v in hits.items()})
    return out
