"""Exercise checks for chapter 03."""

from __future__ import annotations

from . import call, check, compare, fail  # noqa: F401
