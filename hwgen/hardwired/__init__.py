"""Hardwired-neuron arrays (``kind: hardwired``): weights baked into logic.

- `config`: ``parse_hardwired(raw) -> HardwiredConfig`` and the weight loader (integer, FP4, MXFP4);
- `adder_graph`: the graph both sharings build (`AdderGraph`), CSD digits, widths, live sets;
- `graph`: zero pruning, balanced shared adder trees (`build_graph`); `cse`: all-pairs
  sub-expression extraction instead (a C kernel, `cse_kernel.c`, built by `hwgen.native`);
- `rtl`: structural Verilog straight from the graph (`hwgen.hardwired.rtl.generate_verilog`),
  ``architecture: adder-graph``;
- `hn`, `hn_rtl`: HNLPU's Hardwired Neurons (value regions over a weight-independent fabric,
  a separate wiring netlist), ``architecture: hn``;
- `design`: the files, ports and counts of either architecture (`generate_design`).

The package exports the bottom-layer parts only (config and graph: `hwgen.config` parses
``kind: hardwired`` through it); the emitters are a layer up and are imported by module
(`hwgen.hardwired.rtl`, `hwgen.hardwired.design`; tests/test_layers.py).
"""

from .adder_graph import AdderGraph
from .config import HardwiredConfig, load_weights, parse_hardwired
from .graph import build_graph

__all__ = ["HardwiredConfig", "parse_hardwired", "load_weights", "AdderGraph", "build_graph"]
