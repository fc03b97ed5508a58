"""rnncourse: the small package behind the executable course on recurrent neural networks.

Import it as ``import rnncourse as rc``. The package has two parts.

**The core**: the course's general tools, which a reader would reuse on their own sequences,
and the experiments two or more chapters share (one idea per module):

- :mod:`rnncourse.utils`      device, seeds, SCALE, parameter counts, to-NumPy
- :mod:`rnncourse.cells`      RNN / LSTM / GRU cells from their equations
- :mod:`rnncourse.layers`     the from-scratch sequence layer: any cell over time, stacked,
  bidirectional, residual, recording the gates; loading ``torch.nn`` layers
- :mod:`rnncourse.fast`       the same interface on ``torch.nn.RNN/LSTM/GRU`` (fused, fast)
- :mod:`rnncourse.models`     small models built on it (time-delay MLP, Elman network,
  sequence regressor, last-step classifier)
- :mod:`rnncourse.train`      the one training loop, ``fit``
- :mod:`rnncourse.data`       shipped data sets (sunspots, Shakespeare), text as ids, the pulse
  and recall generators
- :mod:`rnncourse.decode`     greedy search, beam search and sampling for any decoder (chapters 9-11)
- :mod:`rnncourse.attention`  additive (Bahdanau) attention over a sequence of vectors
- :mod:`rnncourse.gradients`  gradient norms against the lag (chapters 5, 6)
- :mod:`rnncourse.metrics`    error measures and losses (NMSE, accuracy, sequence cross-entropy)
- :mod:`rnncourse.tables`     results over seeds: mean ± sample standard deviation
- :mod:`rnncourse.plots`      plotting helpers
- :mod:`rnncourse.timeseries` the sunspot benchmark (chapters 2 and 3)
- :mod:`rnncourse.pulse`      the pulse-converter experiment (chapters 6 and 7)

**The chapters**, :mod:`rnncourse.chapters` ``.ch01`` ... : one module per chapter holding that
chapter's experiments and its one-off machinery (chapter 4's NumPy RNN, chapter 5's leaky and
skip cells, chapter 7's second GRU convention), imported by the notebook as
``from rnncourse.chapters import ch05``; a second idea of the same chapter may sit in a companion
``chNN_<idea>`` module (``ch10_dates``, chapter 10's data). And the exercise checks,
:mod:`rnncourse.checks` (the machinery, and one module per chapter, called as
``rc.checks.ch05.name(...)``). Chapters and checks load the first time a notebook uses them.

The rule that keeps them apart (CONTRIBUTING.md, "Core and chapters"; ``tests/test_core_rule.py``
and ``tests/test_layout.py`` check it): no core module imports from ``rnncourse.chapters`` or
``rnncourse.checks``, and ``import rnncourse`` loads neither; no chapter module imports another
chapter's; every public name of the core is used by two or more chapters or by the core itself,
or is a general tool the test lists with its reason. Code moves into the core when a second
chapter needs it (or when it is a general tool). The tools that make the Colab and student
notebooks are not part of the package a student reads: they are ``rnncourse_tools``.
"""

import importlib

from . import (
    attention,
    cells,
    charlm,
    data,
    decode,
    fast,
    gradients,
    layers,
    metrics,
    models,
    plots,
    pulse,
    tables,
    timeseries,
    train,
)
from .utils import count_params, device, scale, set_seed, show_source, to_numpy

__version__ = "0.2.0"

# rc.checks and rc.chapters are no part of the core: each loads the first time it is used
# (rc.checks.ch05.name(...), from rnncourse.chapters import ch05), by this module's
# __getattr__ (PEP 562), so that importing the core loads no chapter code.
_ON_FIRST_USE = ("chapters", "checks")
# Names that rnncourse 0.2 had at the top level and that now live with their one chapter.
_MOVED = {"numpy_rnn": "rnncourse.chapters.ch04 (from rnncourse.chapters import ch04)"}


def __getattr__(name: str):
    if name in _ON_FIRST_USE:
        return importlib.import_module(f"{__name__}.{name}")
    if name in _MOVED:
        raise AttributeError(f"rnncourse.{name} has moved to {_MOVED[name]}: its only user is "
                             "that chapter")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_ON_FIRST_USE))

__all__ = [
    "attention",
    "cells",
    "charlm",
    "count_params",
    "data",
    "decode",
    "device",
    "fast",
    "gradients",
    "layers",
    "metrics",
    "models",
    "plots",
    "pulse",
    "scale",
    "set_seed",
    "show_source",
    "tables",
    "timeseries",
    "to_numpy",
    "train",
]
