"""Hardwired-neuron arrays (``kind: hardwired``): weights baked into logic.

- `config`: ``parse_hardwired(raw) -> HardwiredConfig`` and the weight loader (integer, FP4, MXFP4);
- `graph`: CSD digits, zero pruning, balanced shared adder trees (`build_graph`); `cse`: all-pairs
  sub-expression extraction for it;
- `rtl`: structural Verilog straight from the graph (`generate_verilog`), ``architecture: adder-graph``;
- `hn`, `hn_rtl`: HNLPU's Hardwired Neurons (value regions over a weight-independent fabric,
  a separate wiring netlist), ``architecture: hn``;
- `design`: the files, ports and counts of either architecture (`generate_design`).
"""

from .config import HardwiredConfig, load_weights, parse_hardwired
from .graph import AdderGraph, build_graph
from .rtl import generate_verilog

__all__ = ["HardwiredConfig", "parse_hardwired", "load_weights", "AdderGraph", "build_graph", "generate_verilog"]
