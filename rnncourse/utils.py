"""Device, seeds, SCALE, parameter counts and showing package code in a page (every chapter)."""

from __future__ import annotations

import random
import re

import numpy as np
import torch


def device(prefer: str = "auto") -> torch.device:
    """Return the device the notebooks compute on.

    ``prefer="auto"`` picks CUDA if it is available, else Apple's MPS, else the CPU, unless the
    environment variable ``RNNCOURSE_DEVICE`` names one (``cpu``, ``cuda``, ``cuda:1``, ``mps``
    or ``auto``): ``RNNCOURSE_DEVICE=cpu`` runs a notebook on the CPU of a GPU machine.
    Pass ``"cpu"``, ``"cuda"`` (or ``"cuda:N"``) or ``"mps"`` to ask for one explicitly; this
    beats the variable. Asking for one that is not available raises a ``RuntimeError``
    rather than silently falling back. Resolve the device once at the top of a notebook and
    pass it on.
    """
    if not isinstance(prefer, str):
        raise TypeError(f"prefer must be a string such as 'auto' or 'cpu', got {type(prefer).__name__}")
    import os

    source = ""
    if prefer.strip().lower() == "auto" and os.environ.get("RNNCOURSE_DEVICE", "").strip():
        prefer = os.environ["RNNCOURSE_DEVICE"]
        source = f"RNNCOURSE_DEVICE={prefer!r}: "
    choice = prefer.strip().lower()
    mps_ok = getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available()
    if choice == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        if mps_ok:
            return torch.device("mps")
        return torch.device("cpu")
    if choice == "cpu":
        return torch.device("cpu")
    kind, _, index = choice.partition(":")
    if kind == "cuda" and (not index or index.isdigit()):
        if not torch.cuda.is_available():
            raise RuntimeError(f"{source}device({prefer!r}) was asked for, but no CUDA GPU is available")
        if index and int(index) >= torch.cuda.device_count():
            raise RuntimeError(f"{source}device({prefer!r}) was asked for, but there are only "
                               f"{torch.cuda.device_count()} CUDA GPU(s)")
        return torch.device(choice)
    if choice == "mps":
        if not mps_ok:
            raise RuntimeError(f"{source}device('mps') was asked for, but MPS is not available")
        return torch.device("mps")
    raise ValueError(f"{source}unknown device {prefer!r}: expected 'auto', 'cpu', 'cuda', 'cuda:N' or 'mps'")


# Device types without float64 tensors (Apple's MPS).
_NO_FLOAT64 = frozenset({"mps"})


def float64_if_supported(device) -> torch.dtype:
    """``torch.float64`` on a device that has it, else ``torch.float32`` (MPS has no float64).

    For sums where float64 is a nicety (beam-search scores, sampling probabilities); maths
    checks that need float64 run on the CPU.
    """
    return torch.float32 if torch.device(device).type in _NO_FLOAT64 else torch.float64


def set_seed(seed: int) -> None:
    """Seed Python's ``random``, NumPy's global generator and torch (CPU and all GPUs).

    Functions in rnncourse that draw random numbers take their own ``seed`` or generator
    argument; this call makes the rest of a notebook (weight initialisation, dropout, ...)
    repeatable.
    """
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise TypeError(f"seed must be an int, got {type(seed).__name__}")
    if seed < 0:
        raise ValueError(f"seed must be non-negative, got {seed}")
    random.seed(int(seed))
    np.random.seed(int(seed) % 2**32)
    torch.manual_seed(int(seed))  # also seeds every CUDA device


def scale(default: int = 1) -> int:
    """The notebooks' SCALE: ``RNNCOURSE_SCALE`` from the environment if set, else ``default``.

    Every chapter multiplies its training budget by SCALE. The prose's numbers are for
    SCALE = 1 (2 CPU cores); a GPU can run a larger one, and a test can run a chapter at a
    larger scale unchanged (``RNNCOURSE_SCALE=4 pytest tests/test_notebooks.py -k 06``).
    """
    import os

    raw = os.environ.get("RNNCOURSE_SCALE")
    if raw is None or raw.strip() == "":
        return int(default)
    try:
        value = int(raw)
    except ValueError:
        raise ValueError(f"RNNCOURSE_SCALE must be a positive whole number such as 1 or 4, "
                         f"got {raw!r}") from None
    if value < 1:
        raise ValueError(f"RNNCOURSE_SCALE must be a positive whole number such as 1 or 4, got {raw!r}")
    return value


def to_numpy(a, dtype=np.float64) -> np.ndarray:
    """``a`` (a tensor, array, list or number) as a NumPy array of ``dtype`` on the CPU.

    Tensors are detached and copied from their device first. Raises ``TypeError`` for things
    that are not numbers (a string, a dict, ``None``).
    """
    if isinstance(a, torch.Tensor):
        a = a.detach().cpu()
        if a.dtype in (torch.bfloat16, torch.float16):  # NumPy has no bfloat16
            a = a.float()
        a = a.numpy()
    try:
        return np.asarray(a) if dtype is None else np.asarray(a, dtype=dtype)
    except (TypeError, ValueError):
        raise TypeError(f"expected numbers (an array, a tensor or a list), got {type(a).__name__}") from None


def count_params(module: torch.nn.Module) -> int:
    """Number of trainable parameters (elements with ``requires_grad``) of ``module``."""
    if not isinstance(module, torch.nn.Module):
        raise TypeError(f"count_params expects a torch.nn.Module, got {type(module).__name__}")
    return sum(p.numel() for p in module.parameters() if p.requires_grad)


# a long line of package code wraps in the page (and in the PDF) instead of running off the column
_WRAP = "white-space: pre-wrap; overflow-wrap: anywhere"


class Source(str):
    """The source code of package objects, as :func:`show_source` returns it: a string that a
    notebook shows as highlighted code blocks (HTML), each under its file and line, and
    everything else as plain text, each part under a ``# name: file, line n`` comment."""

    def __new__(cls, parts):
        parts = [(str(where), str(text)) for where, text in parts]
        self = super().__new__(cls, "\n\n".join(text for _, text in parts))
        self.parts = parts                                   # [(where, code)], one per object
        self.where = "; ".join(where for where, _ in parts)
        return self

    def __repr__(self) -> str:                     # plain text: the code itself, not a quoted string
        return "\n\n".join(f"# {where}\n{text}" for where, text in self.parts)

    def _repr_html_(self) -> str:
        from html import escape
        try:
            from pygments import highlight
            from pygments.formatters import HtmlFormatter
            from pygments.lexers import PythonLexer
        except ImportError:                        # no pygments: plain preformatted blocks
            def body(text):
                return f'<pre style="{_WRAP}">{escape(text)}</pre>'
        else:
            def body(text):
                html = highlight(text, PythonLexer(), HtmlFormatter(noclasses=True, nobackground=True))
                return re.sub(r'<pre(?: style="([^"]*)")?',             # add _WRAP to its style
                              lambda m: f'<pre style="{_WRAP}; {m.group(1) or ""}"', html, count=1)
        return "<div>" + "".join(f"<small><code>{escape(where)}</code></small>{body(text)}"
                                 for where, text in self.parts) + "</div>"


def _source_part(obj) -> tuple[str, str]:
    """``(where, code)`` of one function, class or method: its name, file and first line."""
    import inspect
    import os
    import textwrap

    if inspect.ismodule(obj) or not (inspect.isclass(obj) or inspect.isroutine(obj)):
        raise TypeError(f"show_source expects a function, class or method of the package, got "
                        f"{type(obj).__name__} {obj!r:.60}")
    target = inspect.unwrap(obj)
    try:
        lines, first = inspect.getsourcelines(target)
        path = inspect.getsourcefile(target) or "?"
    except (OSError, TypeError) as err:
        raise TypeError(f"show_source: no Python source for {obj!r:.60} ({err}); it shows code "
                        "written in Python, such as rnncourse's functions and classes") from None
    parts = os.path.normpath(path).split(os.sep)
    short = "/".join(parts[parts.index("rnncourse"):]) if "rnncourse" in parts else parts[-1]
    name = getattr(obj, "__qualname__", getattr(obj, "__name__", "?"))
    return f"{name}: {short}, line {first}", textwrap.dedent("".join(lines)).rstrip("\n")


def show_source(obj, *more) -> Source:
    """The source of package functions, classes or methods, to show in a chapter's page.

    A chapter that trains a model from the package shows that model's code this way, so a reader
    sees the code that runs rather than a copy of it (a copy can drift; this cannot). Put it last
    in a code cell: ``rc.show_source(ch10.Seq2Seq)``. Several objects are shown one after the
    other, each under its own header (file and first line): the parts of a long class that
    teach, ``rc.show_source(ch11.Captioner.start, ch11.Captioner.forward)``.
    """
    return Source([_source_part(o) for o in (obj, *more)])
