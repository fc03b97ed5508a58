"""rnncourse: the small package behind the executable course on recurrent neural networks.

Import it as ``import rnncourse as rc``. Each submodule holds one idea:

- :mod:`rnncourse.utils`     device, seeds, parameter counts (every chapter)
- :mod:`rnncourse.data`      shipped and generated data sets
- :mod:`rnncourse.cells`     RNN / LSTM / GRU cells written from their equations
- :mod:`rnncourse.models`    small models reused across chapters (time-delay MLP, Elman network)
- :mod:`rnncourse.train`     one training loop with progress bar, clipping and history
- :mod:`rnncourse.metrics`   error measures (NMSE, ...)
- :mod:`rnncourse.plots`     plotting helpers shared by the chapters
- :mod:`rnncourse.signals`   windows and recursive filters (chapter 1)
- :mod:`rnncourse.timeseries` sunspot split, linear AR baseline (chapters 2, 3)
- :mod:`rnncourse.numpy_rnn` forward pass, BPTT, RTRL and gradient checks in NumPy (chapter 4)
- :mod:`rnncourse.truncated` truncated BPTT in PyTorch (chapter 4)
- :mod:`rnncourse.gradients` gradient norms through time, clipping, remedies (chapter 5)
- :mod:`rnncourse.esn`       echo state networks (chapter 5)
- :mod:`rnncourse.tasks`     synthetic long-lag tasks (chapter 5)
- :mod:`rnncourse.counting`  counting strings and gate recordings (chapter 6)
- :mod:`rnncourse.gru_tools` the two update-gate conventions of the GRU (chapter 7)
- :mod:`rnncourse.pulse`     the pulse-converter experiment (chapters 6, 7)
- :mod:`rnncourse.checks`    exercise checks with clear pass / fail messages
- :mod:`rnncourse.student`   turns solution notebooks into student notebooks
"""

from . import (
    cells,
    checks,
    counting,
    data,
    esn,
    gradients,
    gru_tools,
    metrics,
    models,
    numpy_rnn,
    plots,
    pulse,
    signals,
    tasks,
    timeseries,
    train,
    truncated,
)
from .utils import count_params, device, set_seed

__version__ = "0.1.0"

__all__ = [
    "cells",
    "checks",
    "count_params",
    "counting",
    "data",
    "device",
    "esn",
    "gradients",
    "gru_tools",
    "metrics",
    "models",
    "numpy_rnn",
    "plots",
    "pulse",
    "set_seed",
    "signals",
    "tasks",
    "timeseries",
    "train",
    "truncated",
]
