"""rnncourse: the small package behind the executable course on recurrent neural networks.

Import it as ``import rnncourse as rc``. The package has two parts.

**The core**, which every chapter may use (one idea per module):

- :mod:`rnncourse.utils`      device, seeds, SCALE, parameter counts, to-NumPy
- :mod:`rnncourse.cells`      RNN / leaky / skip / LSTM / GRU cells from their equations
- :mod:`rnncourse.layers`     the one sequence layer: any cell, stacked, bidirectional, residual,
  fast ``torch.nn`` path, loading ``torch.nn`` layers, gate recording
- :mod:`rnncourse.models`     small models built on it (time-delay MLP, Elman network,
  sequence regressor, last-step classifier)
- :mod:`rnncourse.train`      the one training loop, ``fit``
- :mod:`rnncourse.data`       shipped data sets (sunspots, Shakespeare), text as ids, seeded generators
- :mod:`rnncourse.decode`     greedy search, beam search and sampling for any decoder (chapters 9-11)
- :mod:`rnncourse.attention`  additive (Bahdanau) attention over a sequence of vectors (chapter 10)
- :mod:`rnncourse.gradients`  gradient norms against the lag (chapters 5, 6)
- :mod:`rnncourse.metrics`    error measures (NMSE, accuracy)
- :mod:`rnncourse.tables`     results over seeds: mean ± sample standard deviation
- :mod:`rnncourse.plots`      plotting helpers
- :mod:`rnncourse.timeseries` the sunspot benchmark (chapters 2 and 3)
- :mod:`rnncourse.pulse`      the pulse-converter experiment (chapters 6 and 7)
- :mod:`rnncourse.numpy_rnn`  forward pass, BPTT, RTRL and gradient checks in NumPy

**The chapters**, :mod:`rnncourse.chapters` ``.ch01`` ... : one module per chapter holding that
chapter's experiments, imported by the notebook as ``from rnncourse.chapters import ch05``; and
the exercise checks, :mod:`rnncourse.checks` (the machinery, and one module per chapter, called
as ``rc.checks.ch05.name(...)``). Both load the first time a notebook uses them.

The rule that keeps them apart: no core module imports from ``rnncourse.chapters`` or
``rnncourse.checks`` (a test checks it, and that ``import rnncourse`` loads neither), and code
moves into the core when a second chapter needs it. The tools that make the Colab and student
notebooks are not part of the package a student reads: they are ``rnncourse_tools``.
"""

import importlib

from . import (
    attention,
    cells,
    data,
    decode,
    fast,
    gradients,
    layers,
    metrics,
    models,
    numpy_rnn,
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


def __getattr__(name: str):
    if name in _ON_FIRST_USE:
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_ON_FIRST_USE))

__all__ = [
    "attention",
    "cells",
    "checks",
    "count_params",
    "data",
    "decode",
    "device",
    "gradients",
    "layers",
    "metrics",
    "models",
    "numpy_rnn",
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
