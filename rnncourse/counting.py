"""Counting strings and gate recordings for chapter 6."""
