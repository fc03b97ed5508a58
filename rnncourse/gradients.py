"""Measuring how gradients vanish or explode through time, and the remedies (chapter 5)."""
