"""Time-series experiments of chapters 2 and 3: the sunspot split, linear AR models, NMSE tables."""
