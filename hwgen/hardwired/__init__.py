"""Hardwired-neuron arrays (``kind: hardwired``): weights baked into constant adder graphs.

- `config`: ``parse_hardwired(raw) -> HardwiredConfig`` and the weight loader;
- `graph`: CSD digits, zero pruning, balanced shared adder trees (`build_graph`);
- `rtl`: structural Verilog straight from the graph (`hwgen.hardwired.rtl.generate_verilog`).

The package exports the bottom-layer parts only (config and graph: `hwgen.config` parses
``kind: hardwired`` through it); the Verilog emitter is a layer up and is imported as
`hwgen.hardwired.rtl` (tests/test_layers.py).
"""

from .config import HardwiredConfig, load_weights, parse_hardwired
from .graph import AdderGraph, build_graph

__all__ = ["HardwiredConfig", "parse_hardwired", "load_weights", "AdderGraph", "build_graph"]
