"""Signals and filters for chapter 1: a window (FIR) against a recursive filter (IIR)."""
