"""hwgen: generate and explore LUT-based low-bit and hardwired-neuron accelerators."""

__version__ = "0.1.0"
