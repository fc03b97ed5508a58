"""Echo state networks: a fixed random reservoir with a trained linear readout (chapter 5)."""
