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
           "sequence_tensor", "same_dtype", "tensor", "int_tensor", "ids_below", "token_id",
           "probability", "one_of", "like", "available_device", "batch_first"]


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


def _shape(v: Any) -> str:
    return f"shape {tuple(v.shape)}" if isinstance(v, torch.Tensor) else type(v).__name__


def tensor(v: Any, name: str, dims: int | None = None, who: str = "", shape: str = "") -> torch.Tensor:
    """``v`` if it is a torch tensor (with ``dims`` axes, if given); ``shape`` describes the
    expected axes in words, e.g. ``"(batch, time, features)"``."""
    where = f"{who} expects " if who else ""
    want = f"{name} as a torch.Tensor" + (f" of shape {shape}" if shape else
                                          f" with {dims} axes" if dims is not None else "")
    if not isinstance(v, torch.Tensor):
        raise TypeError(f"{where or 'expected '}{want}, got {type(v).__name__}")
    if dims is not None and v.dim() != dims:
        raise ValueError(f"{where or 'expected '}{want}, got {_shape(v)}")
    return v


def int_tensor(v: Any, name: str, dims: int | None = None, who: str = "", shape: str = "") -> torch.Tensor:
    """``v`` if it is an integer tensor of ids (int64 or another integer dtype)."""
    tensor(v, name, dims, who, shape)
    if v.is_floating_point() or v.is_complex() or v.dtype == torch.bool:
        where = f"{who} expects " if who else "expected "
        raise TypeError(f"{where}{name} as integer token ids (torch.long), got {v.dtype}; "
                        f"convert with {name}.long() if the values are whole numbers")
    return v


def ids_below(v: torch.Tensor, size: int, name: str, who: str = "") -> torch.Tensor:
    """Integer ids must lie in ``0 .. size - 1`` (an embedding or a one-hot of ``size``)."""
    if v.numel() and (int(v.min()) < 0 or int(v.max()) >= size):
        where = f"{who}: " if who else ""
        raise ValueError(f"{where}{name} must hold ids in 0..{size - 1}, got values from "
                         f"{int(v.min())} to {int(v.max())}")
    return v


def token_id(v: Any, size: int | None, name: str) -> int:
    """``v`` as an ``int`` id in ``0 .. size - 1`` (``size=None``: any id ``>= 0``)."""
    if not _is_int(v) or v < 0 or (size is not None and v >= size):
        want = f"an int token id in 0..{size - 1}" if size is not None else "an int token id >= 0"
        raise ValueError(f"{name} must be {want}, got {v!r}")
    return int(v)


def probability(v: Any, name: str) -> float:
    """``v`` as a ``float`` in ``[0, 1]``."""
    if isinstance(v, bool) or not isinstance(v, (int, float, np.integer, np.floating)) \
            or not 0 <= v <= 1:
        raise ValueError(f"{name} must be a probability, a number in [0, 1], got {v!r}")
    return float(v)


def one_of(v: Any, options, name: str) -> Any:
    """``v`` if it is one of ``options``; else a ``ValueError`` listing them."""
    try:
        ok = v in options
    except TypeError:             # unhashable
        ok = False
    if not ok:
        raise ValueError(f"{name} must be one of {sorted(options) if not isinstance(options, tuple) else options}, "
                         f"got {v!r}")
    return v


def like(t: Any, ref: torch.Tensor, name: str, who: str, shape: tuple | None = None,
         shape_words: str = "") -> torch.Tensor:
    """``t`` must be a tensor with ``ref``'s dtype and device (and ``shape``, if given): a state
    passed in, a second input. Says how to convert it."""
    if not isinstance(t, torch.Tensor):
        raise TypeError(f"{who} expects {name} as a torch.Tensor"
                        f"{' of shape ' + shape_words if shape_words else ''}, got {type(t).__name__}")
    if shape is not None and tuple(t.shape) != tuple(shape):
        words = f" {shape_words}" if shape_words else ""
        raise ValueError(f"{who} expects {name} of shape{words} = {tuple(shape)}, got {tuple(t.shape)}")
    if t.dtype != ref.dtype:
        raise TypeError(f"{who}: {name} is {str(t.dtype).replace('torch.', '')} but expected "
                        f"{str(ref.dtype).replace('torch.', '')} like the input; convert it with "
                        f"{name}.to({ref.dtype})")
    if t.device != ref.device:
        raise ValueError(f"{who}: {name} is on the device {t.device} but the input is on "
                         f"{ref.device}; move it with {name}.to({str(ref.device)!r})")
    return t


def available_device(device: Any, name: str = "device") -> torch.device:
    """``torch.device(device)``, refusing a device this machine does not have, in our words."""
    try:
        dev = torch.device(device)
    except (RuntimeError, TypeError) as e:
        raise ValueError(f"{name} must be a torch.device or a name such as 'cpu' or 'cuda', got "
                         f"{device!r} ({e})") from None
    if dev.type == "cuda":
        if not torch.cuda.is_available():
            raise ValueError(f"{name}={device!r}, but this machine has no CUDA GPU that torch can "
                             "use; rc.device() picks what is available")
        if dev.index is not None and dev.index >= torch.cuda.device_count():
            raise ValueError(f"{name}={device!r}, but this machine has {torch.cuda.device_count()} "
                             f"CUDA GPU(s), numbered from 0")
    if dev.type == "mps" and not torch.backends.mps.is_available():
        raise ValueError(f"{name}={device!r}, but MPS (Apple GPU) is not available here; "
                         "rc.device() picks what is available")
    return dev


def batch_first(state: Any, batch: int, who: str, path: str = "state") -> None:
    """Every tensor of a nested state (tuples, lists, dicts) must have ``batch`` rows (axis 0)."""
    if isinstance(state, torch.Tensor):
        if state.dim() == 0 or state.shape[0] != batch:
            raise ValueError(f"{who}: every tensor of the state must have the batch ({batch}, one "
                             f"row per sequence) as its first axis; {path} has shape "
                             f"{tuple(state.shape)}")
    elif isinstance(state, (tuple, list)):
        for i, s in enumerate(state):
            batch_first(s, batch, who, f"{path}[{i}]")
    elif isinstance(state, dict):
        for k, s in state.items():
            batch_first(s, batch, who, f"{path}[{k!r}]")
