"""Exercise checks for chapter 01."""

from __future__ import annotations

from . import call, check, compare, fail  # noqa: F401
