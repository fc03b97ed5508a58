"""Argument checks shared by the whole package: one place for each kind of "expected ..." error.

Every public function of rnncourse checks its arguments with these helpers, so that bad input
gets a message that names the argument, says what was expected and shows what was given.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import torch

__all__ = ["positive_int", "nonnegative_int", "positive_number", "nonnegative_number",
           "sequence_tensor", "same_dtype"]


def _is_int(v: Any) -> bool:
    return not isinstance(v, bool) and isinstance(v, (int, np.integer))


def positive_int(v: Any, name: str, minimum: int = 1) -> int:
    """``v`` as an ``int`` if it is a whole number ``>= minimum``; else a ``ValueError``."""
    if not _is_int(v) or v < minimum:
        want = "a positive int" if minimum == 1 else f"an int >= {minimum}"
        raise ValueError(f"{name} must be {want}, got {v!r}")
    return int(v)


def nonnegative_int(v: Any, name: str) -> int:
    """``v`` as an ``int`` if it is a whole number ``>= 0``."""
    return positive_int(v, name, minimum=0)


def positive_number(v: Any, name: str) -> float:
    """``v`` as a ``float`` if it is a finite number ``> 0`` (a learning rate, a clip threshold)."""
    if isinstance(v, bool) or not isinstance(v, (int, float, np.integer, np.floating)) \
            or not math.isfinite(v) or v <= 0:
        raise ValueError(f"{name} must be a positive, finite number, got {v!r}")
    return float(v)


def nonnegative_number(v: Any, name: str) -> float:
    """``v`` as a ``float`` if it is a finite number ``>= 0``."""
    if isinstance(v, bool) or not isinstance(v, (int, float, np.integer, np.floating)) \
            or not math.isfinite(v) or v < 0:
        raise ValueError(f"{name} must be a finite number >= 0, got {v!r}")
    return float(v)


def sequence_tensor(x: Any, features: int | None, who: str) -> torch.Tensor:
    """Check that ``x`` is a ``(batch, time, features)`` tensor with at least one step."""
    want = f"(batch, time, {features if features is not None else 'features'})"
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"{who} expects x as a torch.Tensor of shape {want}, got {type(x).__name__}")
    if x.dim() != 3:
        hint = " (add the feature axis with x.unsqueeze(-1))" if x.dim() == 2 else ""
        raise ValueError(f"{who} expects x of shape {want}, got {tuple(x.shape)}{hint}")
    if x.shape[1] == 0:
        raise ValueError(f"{who} got an empty sequence (time dimension 0)")
    if features is not None and x.shape[2] != features:
        raise ValueError(f"{who} expects {features} input features, got x of shape {tuple(x.shape)}")
    return x


def same_dtype(x: torch.Tensor, module: torch.nn.Module, who: str) -> None:
    """A floating-point input must have the dtype of the module's weights; say how to fix it."""
    p = next(module.parameters(), None)
    if p is None or not x.is_floating_point() or x.dtype == p.dtype:
        return
    short = {torch.float32: "float", torch.float64: "double", torch.float16: "half",
             torch.bfloat16: "bfloat16"}
    to = short.get(p.dtype, str(p.dtype))
    raise TypeError(
        f"{who}: the input is {str(x.dtype).replace('torch.', '')} but the model's weights are "
        f"{str(p.dtype).replace('torch.', '')}; convert the input with x.{to}() "
        f"(or the model with model.to({x.dtype}) to compute in that precision)"
    )
