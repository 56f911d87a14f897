"""Hardwired-neuron arrays (``kind: hardwired``): weights baked into constant adder graphs.

- `config`: ``parse_hardwired(raw) -> HardwiredConfig`` and the weight loader;
- `graph`: CSD digits, zero pruning, balanced shared adder trees (`build_graph`);
- `rtl`: structural Verilog straight from the graph (`generate_verilog`).
"""

from .config import HardwiredConfig, load_weights, parse_hardwired
from .graph import AdderGraph, build_graph
from .rtl import generate_verilog

__all__ = ["HardwiredConfig", "parse_hardwired", "load_weights", "AdderGraph", "build_graph", "generate_verilog"]
