"""A simple RNN in NumPy: forward pass, backpropagation through time, gradient checks (chapter 4)."""
