"""Truncated backpropagation through time in PyTorch (chapter 4)."""
