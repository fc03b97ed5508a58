"""Code that only a benchmark uses, kept in the benchmark's own file: it still works."""

import sys

import pytest
import torch

import rnncourse as rc
from rnncourse.chapters import ch09

from conftest import ROOT

sys.path.insert(0, str(ROOT / "benchmarks"))

from bench_char_lm import TinyTransformer  # noqa: E402


def test_tiny_transformer_is_causal_and_sized_like_the_lstm():
    """bench_char_lm.py compares chapter 9's LSTM with a transformer of about its size."""
    torch.manual_seed(0)
    t = TinyTransformer(76)
    assert 0.9 < rc.count_params(t) / rc.count_params(ch09.CharLM(76)) < 1.2
    x = torch.randint(0, 76, (2, 12))
    y = x.clone()
    y[:, 7] = (y[:, 7] + 1) % 76
    with torch.no_grad():
        a, state = t(x)
        b, _ = t(y)
    assert state is None and a.shape == (2, 12, 76)
    assert torch.allclose(a[:, :7], b[:, :7], atol=1e-6) and not torch.allclose(a[:, 7:], b[:, 7:])
    with pytest.raises(ValueError, match="at most block"):
        t(torch.zeros(1, 65, dtype=torch.long))
