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
- :mod:`rnncourse.checks`     exercise checks (the machinery; one module per chapter)
- :mod:`rnncourse.student`    student notebooks from solution notebooks

**The chapters**, :mod:`rnncourse.chapters` ``.ch01`` ... : one module per chapter holding that
chapter's experiments, imported by the notebook as ``from rnncourse.chapters import ch05``.

The rule that keeps them apart: no core module imports from ``rnncourse.chapters`` (a test
checks it), and code moves into the core when a second chapter needs it.
"""

from . import (
    attention,
    cells,
    checks,
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
