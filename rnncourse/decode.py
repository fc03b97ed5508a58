"""Greedy search, beam search and sampling for any autoregressive decoder (chapters 9 to 11).

A decoder is described by one function, ``step(tokens, state) -> (log_probs, state)``:

- ``tokens``: the last token of every sequence, ``(batch,)`` int64;
- ``state``: anything the decoder carries (a tensor, or nested tuples / lists / dicts of
  tensors whose first axis is the batch: the LSTM's ``(h, c)``, encoder outputs for attention);
- ``log_probs``: ``(batch, vocab)`` log-probabilities of the next token (``log_softmax``).

:func:`greedy` takes the most likely token at every step. :func:`beam_search` keeps the
``beam_width`` most likely partial sequences, so it can recover from a first choice that looked
best but leads nowhere; its final choice divides each sequence's log-probability by a length
penalty, ``((5 + length) / 6) ** alpha`` (Wu et al. 2016), so that short sequences do not win
just by having fewer factors below one. With ``beam_width=1`` and ``alpha=0`` it is greedy.

:func:`sample` draws every token at random from the predicted distribution, sharpened or
flattened by a temperature and optionally cut to the ``top_k`` most likely tokens or to the
smallest set holding probability ``top_p`` (nucleus sampling); this is how a language model
writes text (chapter 9). Temperature 0 is greedy.

All three return ``(tokens, scores)``: ``tokens`` ``(batch, max_len)`` without the start token,
filled with ``end_token`` after a sequence ends; ``scores`` ``(batch,)`` the total
log-probability of each returned sequence (up to and including its end token).
"""

from __future__ import annotations

from typing import Callable

import numpy as np
import torch

from ._validate import batch_first, int_tensor, nonnegative_number, positive_int, tensor, token_id
from .utils import float64_if_supported

__all__ = ["greedy", "beam_search", "sample", "sampling_distribution", "index_state", "strip"]


def index_state(state, index: torch.Tensor):
    """``state`` with every tensor indexed along its first (batch) axis by ``index``."""
    if isinstance(state, torch.Tensor):
        return state.index_select(0, index)
    if isinstance(state, (tuple, list)):
        return type(state)(index_state(s, index) for s in state)
    if isinstance(state, dict):
        return {k: index_state(v, index) for k, v in state.items()}
    if state is None:
        return None
    raise TypeError(f"a decoder state must be tensors in tuples, lists or dicts, got {type(state).__name__}")


def _check(step, start_tokens, max_len, end_token):
    if not callable(step):
        raise TypeError(f"step must be a function step(tokens, state) -> (log_probs, state), "
                        f"got {type(step).__name__}")
    if not isinstance(start_tokens, torch.Tensor) or start_tokens.dim() != 1 or start_tokens.numel() == 0:
        raise ValueError("start_tokens must be a non-empty (batch,) tensor of token ids")
    int_tensor(start_tokens, "start_tokens", 1, "decoding", "(batch,)")
    positive_int(max_len, "max_len")
    if end_token is not None and (isinstance(end_token, bool) or not isinstance(end_token, (int, np.integer))):
        raise TypeError(f"end_token must be an int token id or None, got {end_token!r}")
    if end_token is not None:
        token_id(end_token, None, "end_token")


def _log_probs(step, tokens, state, rows: int, end_token: int | None = None):
    out = step(tokens, state)
    if not isinstance(out, (tuple, list)) or len(out) != 2:
        raise TypeError("step must return the pair (log_probs, state)")
    logp, state = out
    if not isinstance(logp, torch.Tensor) or logp.dim() != 2 or logp.shape[0] != rows:
        got = tuple(logp.shape) if isinstance(logp, torch.Tensor) else type(logp).__name__
        raise ValueError(f"step must return log_probs of shape (batch, vocab) = ({rows}, vocab), got {got}")
    if end_token is not None and end_token >= logp.shape[1]:
        raise ValueError(f"end_token {end_token} is not a token of the decoder's vocabulary: step "
                         f"returns log-probabilities for {logp.shape[1]} tokens (ids 0..{logp.shape[1] - 1})")
    if not logp.is_floating_point() or bool(torch.isnan(logp).any()) or bool((logp > 1e-3).any()):
        raise ValueError("step must return log-probabilities (log_softmax of the logits: NaN-free "
                         "values <= 0); got values above 0 or NaN (probabilities, raw logits, or "
                         "a model that has diverged?)")
    wide = float64_if_supported(logp.device)                    # float32 on MPS
    if rows and bool(((logp.to(wide).exp().sum(1) - 1).abs() > 1e-2).any()):
        raise ValueError("step must return log-probabilities whose exp sums to 1 over the vocabulary "
                         "(torch.log_softmax(logits, -1)); these do not (probabilities or raw "
                         "logits?)")
    return logp, state


def _token_by_token(step: Callable, start_tokens: torch.Tensor, state, max_len: int,
                    end_token: int | None, pick: Callable):
    """The loop of greedy decoding and sampling: ``pick(log_probs)`` chooses each step's tokens.

    Returns the tokens ``(batch, max_len)``, padded with ``end_token`` after it, and the total
    log-probability of each sequence's tokens up to and including its end.
    """
    B = start_tokens.shape[0]
    tokens, out = start_tokens, []
    wide = float64_if_supported(start_tokens.device)           # float32 on MPS
    scores = torch.zeros(B, dtype=wide, device=start_tokens.device)
    done = torch.zeros(B, dtype=torch.bool, device=start_tokens.device)
    for _ in range(max_len):
        logp, state = _log_probs(step, tokens, state, B, end_token)
        tokens = pick(logp)                                    # (batch,)
        picked = logp.gather(1, tokens[:, None]).squeeze(1).to(wide)
        if end_token is not None:
            tokens = torch.where(done, torch.full_like(tokens, end_token), tokens)
            picked = torch.where(done, torch.zeros_like(picked), picked)
            done |= tokens == end_token
        scores += picked
        out.append(tokens)
        if end_token is not None and bool(done.all()):
            break
    tokens = torch.stack(out, dim=1)                           # (batch, steps)
    if tokens.shape[1] < max_len and end_token is not None:    # pad to max_len
        pad = torch.full((B, max_len - tokens.shape[1]), end_token, dtype=tokens.dtype,
                         device=tokens.device)
        tokens = torch.cat([tokens, pad], dim=1)
    return tokens, scores


@torch.no_grad()
def greedy(step: Callable, start_tokens: torch.Tensor, state, max_len: int,
           end_token: int | None = None):
    """The most likely token at every step, until ``end_token`` or ``max_len`` tokens."""
    _check(step, start_tokens, max_len, end_token)
    batch_first(state, start_tokens.shape[0], "the decoder")
    return _token_by_token(step, start_tokens, state, max_len, end_token,
                           lambda logp: logp.max(dim=-1)[1])


def sampling_distribution(logits: torch.Tensor, temperature: float = 1.0, top_k: int | None = None,
                          top_p: float | None = None) -> torch.Tensor:
    """The probabilities that :func:`sample` draws from, for logits ``(..., vocab)``.

    ``softmax(logits / temperature)``, then (optionally) every token outside the ``top_k``
    most likely set to 0, or outside the smallest set of most likely tokens whose probability
    reaches ``top_p``, and the rest renormalised. ``temperature = 0`` puts all the
    probability on the most likely token (ties: the first).

    Ties at the cut of ``top_k``: every token whose probability equals the k-th largest is
    kept, so more than ``top_k`` tokens keep some probability when several tie there (with
    logits ``[1, 0, 0, -1]`` and ``top_k=2`` the three tokens 0, 1 and 2 stay). No token is
    preferred for its index; only ``temperature = 0`` breaks ties, by taking the first.
    """
    tensor(logits, "logits", None, "sampling_distribution", "(..., vocab)")
    if not logits.is_floating_point() or logits.dim() == 0 or bool(torch.isnan(logits).any()):
        raise ValueError("sampling_distribution expects floating-point logits of shape (..., vocab) "
                         "without NaN")
    temperature = nonnegative_number(temperature, "temperature")
    if top_k is not None:
        positive_int(top_k, "top_k")
    if top_p is not None and (isinstance(top_p, bool) or not isinstance(top_p, (int, float))
                              or not 0 < top_p <= 1):
        raise ValueError(f"top_p must be a number in (0, 1], got {top_p!r}")
    logits = logits.to(float64_if_supported(logits.device))    # float32 on MPS
    if temperature == 0:
        return torch.nn.functional.one_hot(logits.argmax(-1), logits.shape[-1]).to(logits.dtype)
    probs = torch.softmax(logits / temperature, dim=-1)          # (..., vocab)
    if top_k is not None and top_k < probs.shape[-1]:
        kth = probs.topk(top_k, dim=-1).values[..., -1:]         # (..., 1)
        probs = torch.where(probs >= kth, probs, torch.zeros_like(probs))
    if top_p is not None and top_p < 1:
        sorted_p, order = probs.sort(dim=-1, descending=True)
        before = sorted_p.cumsum(-1) - sorted_p                  # mass of the more likely ones
        keep_sorted = before < top_p                             # always keeps the first
        keep = torch.zeros_like(keep_sorted).scatter(-1, order, keep_sorted)
        probs = torch.where(keep, probs, torch.zeros_like(probs))
    return probs / probs.sum(-1, keepdim=True)


@torch.no_grad()
def sample(step: Callable, start_tokens: torch.Tensor, state, max_len: int, *,
           temperature: float = 1.0, top_k: int | None = None, top_p: float | None = None,
           end_token: int | None = None, generator: torch.Generator | None = None):
    """Draw ``max_len`` tokens, each from :func:`sampling_distribution` of the step's output.

    ``generator`` (a seeded ``torch.Generator`` on the tokens' device) makes the draw
    repeatable. ``scores`` are the total log-probabilities of the drawn tokens under the
    model itself (temperature 1, no cut). After ``end_token`` a sequence is padded with it.
    """
    _check(step, start_tokens, max_len, end_token)
    batch_first(state, start_tokens.shape[0], "the decoder")
    sampling_distribution(torch.zeros(1), temperature, top_k, top_p)   # checks the options now

    def draw(logp):
        probs = sampling_distribution(logp, temperature, top_k, top_p)   # (batch, vocab)
        return torch.multinomial(probs, 1, generator=generator).squeeze(1)

    return _token_by_token(step, start_tokens, state, max_len, end_token, draw)


def _length_penalty(length: torch.Tensor, alpha: float) -> torch.Tensor:
    return ((5.0 + length.to(float64_if_supported(length.device))) / 6.0) ** alpha


@torch.no_grad()
def beam_search(step: Callable, start_tokens: torch.Tensor, state, max_len: int,
                end_token: int, beam_width: int = 4, alpha: float = 0.6):
    """Keep the ``beam_width`` best partial sequences; return the best finished one per example.

    Sequences are ranked at the end by ``log p / ((5 + length) / 6) ** alpha`` (``alpha = 0``:
    by log-probability alone); ``scores`` are the plain log-probabilities of the returned
    sequences. ``state`` has the batch as its first axis; it is repeated for every beam.
    """
    _check(step, start_tokens, max_len, end_token)
    if end_token is None:
        raise ValueError("beam_search needs an end_token")
    batch_first(state, start_tokens.shape[0], "the decoder")
    K = positive_int(beam_width, "beam_width")
    alpha = nonnegative_number(alpha, "alpha")
    B, dev = start_tokens.shape[0], start_tokens.device
    rows = torch.arange(B, device=dev).repeat_interleave(K)        # (B*K,) example of each row
    state = index_state(state, rows)
    tokens = start_tokens.index_select(0, rows)                    # (B*K,)
    wide = float64_if_supported(dev)                               # float32 on MPS
    scores = torch.full((B, K), float("-inf"), dtype=wide, device=dev)
    scores[:, 0] = 0.0                                             # one live beam at the start
    done = torch.zeros(B * K, dtype=torch.bool, device=dev)
    lengths = torch.zeros(B * K, dtype=torch.long, device=dev)
    history = torch.zeros(B * K, 0, dtype=torch.long, device=dev)
    for _ in range(max_len):
        logp, state = _log_probs(step, tokens, state, B * K, end_token)
        V = logp.shape[1]
        logp = logp.to(wide)
        # a finished beam may only "continue" with end_token, at no cost
        ended = torch.full_like(logp, float("-inf"))
        ended[:, end_token] = 0.0
        logp = torch.where(done[:, None], ended, logp)
        cand = (scores.reshape(B * K, 1) + logp).reshape(B, K * V)   # (B, K*V)
        scores, flat = cand.topk(K, dim=1)                         # (B, K)
        beam, tokens = flat // V, flat % V                         # (B, K)
        src = (torch.arange(B, device=dev)[:, None] * K + beam).reshape(-1)  # rows to keep
        tokens = tokens.reshape(-1)
        state = index_state(state, src)
        history = torch.cat([history.index_select(0, src), tokens[:, None]], dim=1)
        was_done = done.index_select(0, src)
        lengths = lengths.index_select(0, src) + (~was_done).long()
        done = was_done | (tokens == end_token)
        if bool(done.all()):
            break
    ranked = scores.reshape(-1) / _length_penalty(lengths, alpha)   # (B*K,)
    ranked = torch.where(torch.isfinite(scores.reshape(-1)), ranked, torch.full_like(ranked, float("-inf")))
    best = ranked.reshape(B, K).argmax(dim=1)                      # (B,)
    pick = torch.arange(B, device=dev) * K + best
    out = history.index_select(0, pick)
    if out.shape[1] < max_len:
        pad = torch.full((B, max_len - out.shape[1]), end_token, dtype=out.dtype, device=dev)
        out = torch.cat([out, pad], dim=1)
    return out, scores.reshape(-1).index_select(0, pick)


def strip(tokens: torch.Tensor, end_token: int) -> list[list[int]]:
    """The token ids of each sequence up to (not including) its first ``end_token``."""
    if not isinstance(tokens, torch.Tensor) or tokens.dim() != 2:
        raise ValueError("strip expects tokens of shape (batch, length)")
    end_token = token_id(end_token, None, "end_token")
    out = []
    for row in tokens.tolist():
        out.append(row[: row.index(end_token)] if end_token in row else row)
    return out
