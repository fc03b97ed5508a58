"""Additive attention (Bahdanau, Cho and Bengio 2015), first used in chapter 10.

A decoder in state ``s`` (the *query*) looks at a sequence of vectors ``h_1 .. h_T`` (the
*keys*, here also the values: an encoder's outputs, or a CNN's feature vectors). Each gets a
score, the scores become weights by a softmax over the sequence, and the *context* is the
weighted mean of the keys:

.. math::

    e_j = v^\\top \\tanh(W_q s + W_k h_j), \\qquad
    \\alpha_j = \\frac{\\exp e_j}{\\sum_{k} \\exp e_k}, \\qquad
    c = \\sum_j \\alpha_j h_j .

Positions where ``mask`` is False (padding) get weight zero. :func:`additive_attention` is the
formula on explicit weights (the exercise of chapter 10 checks a student's version against it);
:class:`AdditiveAttention` holds ``W_q``, ``W_k`` and ``v`` as parameters. ``W_k h_j`` does not
depend on the decoder's state, so a decoder computes it once per input with
:meth:`AdditiveAttention.project_keys` and passes it to every step.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from ._validate import positive_int

__all__ = ["additive_attention", "AdditiveAttention"]


def _check(query, keys, mask, projected_keys):
    if not isinstance(query, torch.Tensor) or query.dim() != 2:
        raise ValueError(f"query must be a (batch, query_size) tensor, got "
                         f"{tuple(query.shape) if isinstance(query, torch.Tensor) else type(query).__name__}")
    if not isinstance(keys, torch.Tensor) or keys.dim() != 3 or keys.shape[0] != query.shape[0]:
        raise ValueError(f"keys must be a (batch, time, key_size) tensor with the query's batch "
                         f"{query.shape[0]}, got "
                         f"{tuple(keys.shape) if isinstance(keys, torch.Tensor) else type(keys).__name__}")
    if keys.shape[1] == 0:
        raise ValueError("keys is an empty sequence (time dimension 0)")
    if mask is not None:
        if not isinstance(mask, torch.Tensor) or mask.dtype != torch.bool or mask.shape != keys.shape[:2]:
            raise ValueError(f"mask must be a bool tensor of shape (batch, time) = "
                             f"{tuple(keys.shape[:2])}, True where a key is real")
        if not bool(mask.any(dim=1).all()):
            raise ValueError("mask hides every position of some sequence: nothing to attend to")
    if projected_keys is not None and projected_keys.shape[:2] != keys.shape[:2]:
        raise ValueError("projected_keys must be (batch, time, attention_size) for the same keys")


def additive_attention(query: torch.Tensor, keys: torch.Tensor, W_q: torch.Tensor,
                       W_k: torch.Tensor, v: torch.Tensor, mask: torch.Tensor | None = None,
                       projected_keys: torch.Tensor | None = None):
    """One step of additive attention; returns ``(weights, context)``.

    ``query`` ``(batch, Dq)``, ``keys`` ``(batch, T, Dk)``, ``W_q`` ``(A, Dq)``, ``W_k`` ``(A, Dk)``,
    ``v`` ``(A,)``, ``mask`` ``(batch, T)`` bool or None. ``weights`` is ``(batch, T)`` (each row
    sums to 1, zero where ``mask`` is False), ``context`` ``(batch, Dk)``. ``projected_keys``,
    if given, is ``keys @ W_k.T`` computed beforehand.
    """
    _check(query, keys, mask, projected_keys)
    pk = keys @ W_k.T if projected_keys is None else projected_keys   # (batch, T, A)
    scores = torch.tanh(pk + (query @ W_q.T)[:, None, :]) @ v         # (batch, T)
    if mask is not None:
        scores = scores.masked_fill(~mask, float("-inf"))
    weights = torch.softmax(scores, dim=1)                            # (batch, T)
    context = torch.bmm(weights[:, None, :], keys)[:, 0]              # (batch, Dk)
    return weights, context


class AdditiveAttention(nn.Module):
    """Additive attention with learned ``W_q`` ``(A, Dq)``, ``W_k`` ``(A, Dk)`` and ``v`` ``(A,)``.

    ``forward(query, keys, mask=None, projected_keys=None)`` returns ``(weights, context)`` as
    :func:`additive_attention` does.
    """

    def __init__(self, query_size: int, key_size: int, attention_size: int):
        super().__init__()
        self.query_size = positive_int(query_size, "query_size")
        self.key_size = positive_int(key_size, "key_size")
        self.attention_size = positive_int(attention_size, "attention_size")
        self.W_q = nn.Parameter(torch.empty(attention_size, query_size))
        self.W_k = nn.Parameter(torch.empty(attention_size, key_size))
        self.v = nn.Parameter(torch.empty(attention_size))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Uniform in +-1/sqrt(fan_in), as torch.nn.Linear initialises its weights."""
        with torch.no_grad():
            self.W_q.uniform_(-1 / math.sqrt(self.query_size), 1 / math.sqrt(self.query_size))
            self.W_k.uniform_(-1 / math.sqrt(self.key_size), 1 / math.sqrt(self.key_size))
            self.v.uniform_(-1 / math.sqrt(self.attention_size), 1 / math.sqrt(self.attention_size))

    def project_keys(self, keys: torch.Tensor) -> torch.Tensor:
        """``W_k h_j`` for every key: ``(batch, T, Dk)`` -> ``(batch, T, A)``, once per input."""
        return keys @ self.W_k.T

    def forward(self, query, keys, mask=None, projected_keys=None):
        return additive_attention(query, keys, self.W_q, self.W_k, self.v, mask, projected_keys)

    def extra_repr(self) -> str:
        return f"query {self.query_size}, keys {self.key_size}, attention {self.attention_size}"
