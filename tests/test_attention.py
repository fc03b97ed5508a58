"""Additive attention (rc.attention) against the formula written out with loops, in float64."""

import math

import pytest
import torch

import rnncourse as rc
from rnncourse.attention import AdditiveAttention, additive_attention


def _inputs(B=3, T=6, Dq=4, Dk=5, A=7, seed=0):
    g = torch.Generator().manual_seed(seed)
    r = lambda *s: torch.randn(*s, generator=g, dtype=torch.float64)  # noqa: E731
    mask = torch.ones(B, T, dtype=torch.bool)
    mask[1, 4:] = False
    mask[2, 1:] = False
    return r(B, Dq), r(B, T, Dk), r(A, Dq), r(A, Dk), r(A), mask


def test_weights_and_context_match_the_formula_element_by_element():
    q, k, W_q, W_k, v, mask = _inputs()
    w, c = additive_attention(q, k, W_q, W_k, v, mask)
    B, T, Dk = k.shape
    for b in range(B):
        e = [sum(v[a] * math.tanh(sum(W_q[a, i] * q[b, i] for i in range(q.shape[1]))
                                  + sum(W_k[a, i] * k[b, j, i] for i in range(Dk)))
                 for a in range(v.shape[0])) if mask[b, j] else -math.inf for j in range(T)]
        z = sum(math.exp(x) for x in e if x > -math.inf)
        alpha = [math.exp(x) / z if x > -math.inf else 0.0 for x in e]
        torch.testing.assert_close(w[b], torch.tensor(alpha, dtype=torch.float64))
        ctx = [sum(alpha[j] * k[b, j, i] for j in range(T)) for i in range(Dk)]
        torch.testing.assert_close(c[b], torch.tensor(ctx, dtype=torch.float64))
    assert torch.allclose(w.sum(1), torch.ones(B, dtype=torch.float64))
    assert (w[~mask] == 0).all() and float(w[2, 0]) == 1.0


def test_masked_keys_do_not_matter_and_projected_keys_give_the_same_answer():
    q, k, W_q, W_k, v, mask = _inputs(seed=1)
    w, c = additive_attention(q, k, W_q, W_k, v, mask)
    k2 = k.clone()
    k2[~mask] = 1e3
    w2, c2 = additive_attention(q, k2, W_q, W_k, v, mask)
    torch.testing.assert_close((w, c), (w2, c2))
    w3, c3 = additive_attention(q, k, W_q, W_k, v, mask, projected_keys=k @ W_k.T)
    torch.testing.assert_close((w, c), (w3, c3))


def test_module_is_the_function_with_its_parameters_and_has_gradients():
    q, k, _, _, _, mask = _inputs(seed=2)
    att = AdditiveAttention(4, 5, 7).double()
    assert rc.count_params(att) == 7 * 4 + 7 * 5 + 7
    torch.testing.assert_close(att(q, k, mask), additive_attention(q, k, att.W_q, att.W_k, att.v, mask))
    torch.testing.assert_close(att(q, k, mask, att.project_keys(k)), att(q, k, mask))
    q.requires_grad_(True)
    k.requires_grad_(True)
    assert torch.autograd.gradcheck(lambda q, k: att(q, k, mask), (q, k))


def test_bad_inputs_say_what_was_expected():
    q, k, W_q, W_k, v, mask = _inputs()
    with pytest.raises(ValueError, match="query must be"):
        additive_attention(q[0], k, W_q, W_k, v)
    with pytest.raises(ValueError, match="keys must be"):
        additive_attention(q, k[:2], W_q, W_k, v)
    with pytest.raises(ValueError, match="mask must be"):
        additive_attention(q, k, W_q, W_k, v, mask.long())
    empty = mask.clone()
    empty[0] = False
    with pytest.raises(ValueError, match="nothing to attend to"):
        additive_attention(q, k, W_q, W_k, v, empty)


# --- sizes are checked against W_q, W_k and v (issue 21 item 6) --------------------------------
@pytest.mark.parametrize("change, message", [
    (dict(query=torch.randn(2, 7)), r"the query has 7 features but W_q \(3, 4\) expects 4"),
    (dict(keys=torch.randn(2, 6, 8)), r"the keys have 8 features but W_k \(3, 5\) expects 5"),
    (dict(v=torch.randn(2)), "must share the attention size"),
    (dict(W_q=torch.randn(2, 4)), "must share the attention size"),
    (dict(W_q=torch.randn(4)), r"W_q as a torch.Tensor of shape \(attention_size, query_size\)"),
    (dict(W_k=[[0.0] * 5] * 3), "W_k as a torch.Tensor"),
    (dict(query=torch.randn(2, 4).double()), "query is float64 on cpu but W_q is float32"),
    (dict(projected_keys=torch.randn(2, 6, 7)), r"projected_keys must be keys @ W_k.T, of shape"),
])
def test_additive_attention_checks_every_size(change, message):
    args = dict(query=torch.randn(2, 4), keys=torch.randn(2, 6, 5), W_q=torch.randn(3, 4),
                W_k=torch.randn(3, 5), v=torch.randn(3))
    args.update(change)
    with pytest.raises((ValueError, TypeError), match=message):
        additive_attention(**args)


def test_additive_attention_module_checks_query_and_key_sizes():
    att = AdditiveAttention(4, 5, 3)
    with pytest.raises(ValueError, match="the query has 7 features"):
        att(torch.randn(2, 7), torch.randn(2, 6, 5))
    with pytest.raises(ValueError, match=r"project_keys expects keys of shape \(batch, time, 5\)"):
        att.project_keys(torch.randn(2, 6, 8))
    with pytest.raises(ValueError, match="project_keys expects keys as a torch.Tensor of shape"):
        att.project_keys(torch.randn(2, 5))
