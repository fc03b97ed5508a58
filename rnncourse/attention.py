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

from ._validate import positive_int, tensor

__all__ = ["additive_attention", "AdditiveAttention"]


def _check(query, keys, mask, projected_keys, W_q=None, W_k=None, v=None):
    if not isinstance(query, torch.Tensor) or query.dim() != 2:
        raise ValueError(f"query must be a (batch, query_size) tensor, got "
                         f"{tuple(query.shape) if isinstance(query, torch.Tensor) else type(query).__name__}")
    if not isinstance(keys, torch.Tensor) or keys.dim() != 3 or keys.shape[0] != query.shape[0]:
        raise ValueError(f"keys must be a (batch, time, key_size) tensor with the query's batch "
                         f"{query.shape[0]}, got "
                         f"{tuple(keys.shape) if isinstance(keys, torch.Tensor) else type(keys).__name__}")
    if keys.shape[1] == 0:
        raise ValueError("keys is an empty sequence (time dimension 0)")
    if W_q is not None:
        tensor(W_q, "W_q", 2, "additive attention", "(attention_size, query_size)")
        tensor(W_k, "W_k", 2, "additive attention", "(attention_size, key_size)")
        tensor(v, "v", 1, "additive attention", "(attention_size,)")
        A = W_q.shape[0]
        if W_k.shape[0] != A or v.shape[0] != A:
            raise ValueError(f"W_q {tuple(W_q.shape)}, W_k {tuple(W_k.shape)} and v {tuple(v.shape)} "
                             "must share the attention size (the first axis of each)")
        if query.shape[1] != W_q.shape[1]:
            raise ValueError(f"the query has {query.shape[1]} features but W_q {tuple(W_q.shape)} "
                             f"expects {W_q.shape[1]} (query_size)")
        if keys.shape[2] != W_k.shape[1]:
            raise ValueError(f"the keys have {keys.shape[2]} features but W_k {tuple(W_k.shape)} "
                             f"expects {W_k.shape[1]} (key_size)")
        for name, t in (("query", query), ("keys", keys), ("W_k", W_k), ("v", v)):
            if t.dtype != W_q.dtype or t.device != W_q.device:
                raise TypeError(f"{name} is {str(t.dtype).replace('torch.', '')} on {t.device} but "
                                f"W_q is {str(W_q.dtype).replace('torch.', '')} on {W_q.device}: "
                                f"convert it with {name}.to(W_q)")
    if mask is not None:
        if not isinstance(mask, torch.Tensor) or mask.dtype != torch.bool or mask.shape != keys.shape[:2]:
            raise ValueError(f"mask must be a bool tensor of shape (batch, time) = "
                             f"{tuple(keys.shape[:2])}, True where a key is real")
        if not bool(mask.any(dim=1).all()):
            raise ValueError("mask hides every position of some sequence: nothing to attend to")
    if projected_keys is not None:
        want = (*keys.shape[:2], W_q.shape[0] if W_q is not None else None)
        if not isinstance(projected_keys, torch.Tensor) or projected_keys.dim() != 3 or \
                projected_keys.shape[:2] != keys.shape[:2] or \
                (W_q is not None and projected_keys.shape[2] != W_q.shape[0]):
            got = _shape(projected_keys)
            raise ValueError(f"projected_keys must be keys @ W_k.T, of shape (batch, time, "
                             f"attention_size) = {want}, got {got}")


def _shape(t) -> str:
    return str(tuple(t.shape)) if isinstance(t, torch.Tensor) else type(t).__name__


def additive_attention(query: torch.Tensor, keys: torch.Tensor, W_q: torch.Tensor,
                       W_k: torch.Tensor, v: torch.Tensor, mask: torch.Tensor | None = None,
                       projected_keys: torch.Tensor | None = None):
    """One step of additive attention; returns ``(weights, context)``.

    ``query`` ``(batch, Dq)``, ``keys`` ``(batch, T, Dk)``, ``W_q`` ``(A, Dq)``, ``W_k`` ``(A, Dk)``,
    ``v`` ``(A,)``, ``mask`` ``(batch, T)`` bool or None. ``weights`` is ``(batch, T)`` (each row
    sums to 1, zero where ``mask`` is False), ``context`` ``(batch, Dk)``. ``projected_keys``,
    if given, is ``keys @ W_k.T`` computed beforehand.
    """
    _check(query, keys, mask, projected_keys, W_q, W_k, v)
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
        tensor(keys, "keys", 3, "project_keys", f"(batch, time, {self.key_size})")
        if keys.shape[2] != self.key_size or keys.dtype != self.W_k.dtype or keys.device != self.W_k.device:
            raise ValueError(f"project_keys expects keys of shape (batch, time, {self.key_size}), "
                             f"{str(self.W_k.dtype).replace('torch.', '')} on {self.W_k.device}, got "
                             f"{tuple(keys.shape)} {str(keys.dtype).replace('torch.', '')} on {keys.device}")
        return keys @ self.W_k.T

    def forward(self, query, keys, mask=None, projected_keys=None):
        return additive_attention(query, keys, self.W_q, self.W_k, self.v, mask, projected_keys)

    def extra_repr(self) -> str:
        return f"query {self.query_size}, keys {self.key_size}, attention {self.attention_size}"
