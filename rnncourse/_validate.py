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


# ------------------------------------------------------------------ the sequence layers
# (rnncourse.layers.Recurrent, rnncourse.fast.FastRecurrent): what they accept, checked in one
# call before they build or run, so that their own code reads as the algorithm.

def layer_sizes(input_size: Any, hidden_sizes: Any, who: str) -> list[int]:
    """The hidden sizes of layers named by kind, ``Recurrent("lstm", 3, [8, 4])``: one positive
    int per layer (an int alone is one layer)."""
    if input_size is None or hidden_sizes is None:
        raise ValueError(f"{who}(kind, input_size, hidden_sizes): give the input size and the "
                         "hidden size(s) when the cells are named by kind")
    if isinstance(hidden_sizes, (int, np.integer)):
        hidden_sizes = [hidden_sizes]
    if isinstance(hidden_sizes, (str, bytes)) or not hasattr(hidden_sizes, "__iter__"):
        raise ValueError(f"hidden_sizes must be an int or a list of ints (one per layer), "
                         f"got {hidden_sizes!r}")
    positive_int(input_size, "input_size")
    hs = [positive_int(h, f"hidden_sizes[{k}]") for k, h in enumerate(hidden_sizes)]
    if not hs:
        raise ValueError(f"{who} needs at least one layer: hidden_sizes is empty")
    return hs


def residual_widths(hidden_sizes: list[int], directions: int) -> None:
    """``residual=True`` adds each layer's input to its output: the widths must be equal."""
    for k in range(1, len(hidden_sizes)):
        if hidden_sizes[k] != hidden_sizes[k - 1]:
            raise ValueError(f"residual=True adds each layer's input to its output: layer {k} has "
                             f"width {directions * hidden_sizes[k]} but its input has width "
                             f"{directions * hidden_sizes[k - 1]}; use equal hidden sizes")


def layer_kind(kind: Any, input_size: Any, hidden_sizes: Any, cell_kwargs: dict) -> None:
    """What :class:`rnncourse.layers.Recurrent` was asked to build makes sense: a known kind with
    options its cell takes, or cell instances with nothing that would be ignored."""
    from .cells import CELLS   # noqa: PLC0415  (cells imports this module)

    if "fast" in cell_kwargs:
        raise TypeError("Recurrent is the from-scratch layer; the same layer on torch.nn's fused "
                        "RNN/LSTM/GRU is rc.fast.FastRecurrent(kind, input_size, hidden_sizes) "
                        "(it replaces Recurrent(..., fast=True))")
    if isinstance(kind, str):
        if kind not in CELLS:
            raise ValueError(f"unknown cell kind {kind!r}: Recurrent builds the kinds "
                             f"{sorted(CELLS)}; for any other cell (chapter 5's leaky cell, your "
                             "own) pass instances, e.g. Recurrent(ch05.LeakyRNNCell(1, 3, tau=4.0))")
        import inspect   # noqa: PLC0415

        takes = set(inspect.signature(CELLS[kind]).parameters) - {"input_size", "hidden_size"}
        unknown = sorted(set(cell_kwargs) - takes)
        if unknown:
            raise TypeError(f"unknown option(s) {unknown} for the {kind!r} cell "
                            f"({CELLS[kind].__name__} takes {sorted(takes) or 'none'})")
        return
    if isinstance(kind, type):
        raise TypeError(f"Recurrent got the class {kind.__name__}, not cells: name the cells by "
                        "kind, Recurrent('lstm', input_size, hidden_sizes), or pass instances, "
                        f"Recurrent({kind.__name__}(input_size, hidden_size, ...))")
    if cell_kwargs:
        raise ValueError("cell keyword arguments apply when the cells are named by kind; "
                         "cell instances are used as they are")
    if hidden_sizes is not None:
        raise ValueError("Recurrent was given cell instances and hidden_sizes: the cells' own "
                         "hidden_size is used; leave hidden_sizes out (or name a kind: "
                         "Recurrent('lstm', input_size, hidden_sizes))")
    first = cells_first(kind)
    got = getattr(first, "input_size", None)
    if input_size is not None and _is_int(got) and got != input_size:
        raise ValueError(f"Recurrent was given input_size={input_size} but its first cell takes "
                         f"{got} inputs; leave input_size out, or make the cell for {input_size}")


def cells_first(cells: Any) -> Any:
    """The first cell of what :class:`rnncourse.layers.Recurrent` was given (or what it was)."""
    while isinstance(cells, (list, tuple)) and cells:
        cells = cells[0]
    return cells


def layer_cells(cells: Any, directions: int, residual: bool) -> list[list]:
    """Cell instances for :class:`rnncourse.layers.Recurrent`: one per layer, or for a
    bidirectional layer one ``(forward, backward)`` pair; each an ``nn.Module`` with an int
    ``hidden_size``, the sizes chaining from layer to layer. Returns one list per layer."""
    if isinstance(cells, torch.nn.Module) or not isinstance(cells, (list, tuple)):
        cells = [cells]
    if not cells:
        raise ValueError("Recurrent needs at least one cell")
    layers = []
    for k, entry in enumerate(cells):
        pair = list(entry) if isinstance(entry, (tuple, list)) else [entry]
        if len(pair) != directions:
            want = "a (forward, backward) pair of cells" if directions == 2 else "one cell"
            raise ValueError(f"layer {k}: expected {want}, got {len(pair)} cell(s)")
        for c in pair:
            if not isinstance(c, torch.nn.Module) or not _is_int(getattr(c, "hidden_size", None)):
                hint = (" (name the cells by kind: Recurrent('lstm', input_size, hidden_sizes), "
                        "or pass instances: Recurrent(ch05.LeakyRNNCell(1, 3, tau=4.0)))"
                        if isinstance(c, (str, type)) else "")
                raise TypeError(f"layer {k}: a cell must be an nn.Module with an int attribute "
                                f"hidden_size, got {type(c).__name__}{hint}")
        if directions == 2 and pair[0].hidden_size != pair[1].hidden_size:
            raise ValueError(f"layer {k}: the forward and backward cells must have the same "
                             "hidden_size")
        if layers:
            want, got = directions * layers[-1][0].hidden_size, getattr(pair[0], "input_size", None)
            if _is_int(got) and got != want:
                raise ValueError(f"layer {k}: its cell takes {got} inputs but layer {k - 1} gives "
                                 f"{want} (its hidden_size"
                                 f"{' times 2 directions' if directions == 2 else ''}); "
                                 "the cells' sizes must chain")
        layers.append(pair)
    if residual:
        residual_widths([pair[0].hidden_size for pair in layers], directions)
    return layers


def cell_output(cell: Any, h: Any, batch: int) -> None:
    """A cell's step must return a state whose output ``h_t`` is ``(batch, hidden)``."""
    if not isinstance(h, torch.Tensor) or h.dim() != 2 or h.shape[0] != batch:
        got = tuple(h.shape) if isinstance(h, torch.Tensor) else type(h).__name__
        raise ValueError(f"the cell {type(cell).__name__} must return a state whose output h_t "
                         f"has shape (batch, hidden) = ({batch}, hidden), got {got}")


def fused_kind(kind: Any, options: dict) -> dict:
    """A kind and options that ``torch.nn.RNN`` / ``LSTM`` / ``GRU`` can run; returns the options
    to pass on (``reset_after=True``, the only GRU torch has, is dropped)."""
    if kind not in ("rnn", "lstm", "gru"):
        raise ValueError(f"unknown kind {kind!r} for FastRecurrent, which runs torch.nn.RNN / "
                         "LSTM / GRU: expected 'rnn', 'lstm' or 'gru' (other cells run in "
                         "rc.layers.Recurrent)")
    options = dict(options)
    if kind == "gru" and options.pop("reset_after", True) is not True:
        raise ValueError("FastRecurrent runs torch.nn.GRU, which resets after the recurrent "
                         "weights: reset_after=False has no fast path (use rc.layers.Recurrent)")
    if kind != "rnn" and options:
        raise ValueError(f"unknown {kind.upper()} options {sorted(options)} (cell options such as "
                         "tau or delay apply to rc.layers.Recurrent)")
    return options


def layer_input(x: Any, states: Any, layer: torch.nn.Module, who: str, fused: bool = False) -> list:
    """The input of a sequence layer: ``x`` a ``(batch, time, input_size)`` float tensor of the
    layer's dtype; ``states`` None or one state per layer (a pair for a bidirectional layer),
    every tensor of the input's dtype and device; for a ``fused`` (torch.nn) layer also of
    shape ``(batch, hidden)``, an LSTM's as a pair ``(h, c)``, since torch would not say it in
    our words. Returns the states as a list (None for each layer when not given)."""
    sequence_tensor(x, layer.input_size, who)
    if x.shape[0] == 0:
        raise ValueError(f"{who} got an empty batch: x has shape {tuple(x.shape)} (0 sequences)")
    if not x.is_floating_point():
        raise TypeError(f"{who} expects floating-point inputs (batch, time, features), got "
                        f"{x.dtype}; turn token ids into vectors first (torch.nn.functional."
                        "one_hot(ids, n).float() or an nn.Embedding)")
    same_dtype(x, layer, who)
    n = len(layer.layers)
    if states is None:
        return [None] * n
    if not isinstance(states, (list, tuple)) or len(states) != n:
        got = f"{len(states)} states" if isinstance(states, (list, tuple)) else type(states).__name__
        raise ValueError(f"{who} has {n} layer(s): expected a list of {n} layer states, got {got}")
    for k, state in enumerate(states):
        if state is not None:
            _layer_state(state, k, x, layer, f"{who} layer {k}", fused)
    return list(states)


def _layer_state(state, k: int, x: torch.Tensor, layer, who: str, fused: bool) -> None:
    parts = [state]
    if layer.bidirectional:
        if not isinstance(state, (tuple, list)) or len(state) != 2:
            got = f"shape {tuple(state.shape)}" if isinstance(state, torch.Tensor) else \
                f"{len(state)} item(s)" if isinstance(state, (tuple, list)) else type(state).__name__
            raise ValueError(f"{who} is bidirectional: its state must be a pair "
                             f"(forward_state, backward_state), got {got}")
        parts = list(state)
    lstm = fused and layer.kind == "lstm"
    if fused and layer.bidirectional and any(p is None for p in parts):
        raise ValueError(f"{who} runs torch.nn, which takes the states of both directions or "
                         "neither: give both (forward_state, backward_state), or states=None for "
                         "zeros (the from-scratch rc.layers.Recurrent also takes one of them None)")
    for p in parts:
        if lstm and (not isinstance(p, (tuple, list)) or len(p) != 2):
            raise ValueError(f"{who} is an LSTM: its state (per direction) is a pair (h, c) of "
                             "(batch, hidden) tensors")
        for t in (p if lstm else [p]) if fused else _leaves(p):
            if fused:
                like(t, x, "the state", who, (x.shape[0], layer.hidden_sizes[k]), "(batch, hidden)")
            elif isinstance(t, torch.Tensor):
                like(t, x, "the state", who)


def _leaves(state):
    if isinstance(state, (tuple, list)):
        for s in state:
            yield from _leaves(s)
    else:
        yield state
