"""Run a hardwired array's RTL on user data and compare with the reference model."""

from __future__ import annotations

import numpy as np

from hwgen.errors import MismatchError, ToolError
from hwgen.hardwired.config import HardwiredConfig
from hwgen.hardwired.rtl import build_design_graph, output_width, ports_info

from .hardwired_ref import check_operands, hardwired_gemv, torch_gemv
from .lanes import bytes_to_lanes, lanes_to_bytes
from .stimulus import StreamPort
from .streams import run_streams

__all__ = ["simulate_hardwired"]


def simulate_hardwired(config: HardwiredConfig, verilog: str, weights: np.ndarray | None, acts: np.ndarray,
                       simulator: str = "verilator", seed: int = 0, gap: float = 0.2,
                       harness: str | None = None) -> np.ndarray:
    """``(B, M)`` int64 results of the RTL on ``acts`` (``(N,)`` or ``(B, N)``).

    ``weights``, if given, must equal the design's own matrix (`InputError`
    otherwise). The reference model is first checked against PyTorch, then the RTL
    against the reference; any difference raises `MismatchError`. ``gap`` is the
    probability of an idle input cycle; ``harness`` as in `sim.streams.run_streams`.
    """
    w, a = check_operands(config, weights, acts)
    _, graph = build_design_graph(config, w)
    expected = hardwired_gemv(config, w, a, graph=graph)
    torch_y = torch_gemv(w, a)
    if not np.array_equal(expected, torch_y):
        raise MismatchError("reference model differs from PyTorch A @ W (a generator bug)")
    wy = output_width(w, config.act)
    info = ports_info(config, wy)
    width = {port["name"]: port["width"] for port in info["ports"]}
    ports = [StreamPort("a", "in", width["a"], "a", "in_valid", "in_ready"),
             StreamPort("y", "out", width["y"], "y", "out_valid", None)]
    outcome = run_streams(verilog, config.top, ports, {"a": lanes_to_bytes(a, config.act.width)},
                          {"y": len(a)}, simulator, seed, gap, 0.0, harness)
    latency = outcome.stamps["y"] - outcome.stamps["a"]
    if not np.all(latency == info["latency_cycles"]):
        raise ToolError(f"hardwired array latency {sorted(set(latency.tolist()))}, expected {info['latency_cycles']}")
    got = bytes_to_lanes(outcome.outputs["y"], config.workload.m, wy)
    if not np.array_equal(got, expected):
        b, j = np.argwhere(got != expected)[0]
        raise MismatchError(
            f"RTL differs from the reference model in {int(np.sum(got != expected))} of {got.size} outputs; "
            f"first at [{b}, {j}]: RTL {got[b, j]}, reference {expected[b, j]}")
    return got
