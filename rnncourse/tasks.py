"""Synthetic long-lag tasks for chapter 5 (and later chapters)."""
