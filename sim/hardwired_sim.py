"""Run a hardwired array's RTL on user data and compare with the reference model."""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np

from hwgen.errors import MismatchError, ToolError
from hwgen.hardwired.config import HardwiredConfig
from hwgen.hardwired.rtl import build_design_graph, output_width, ports_info

from .hardwired_ref import check_operands, hardwired_gemv, torch_gemv
from .runner import run_testbench

__all__ = ["simulate_hardwired"]


def simulate_hardwired(config: HardwiredConfig, verilog: str, weights: np.ndarray | None, acts: np.ndarray,
                       simulator: str = "verilator", seed: int = 0, gap: float = 0.2) -> np.ndarray:
    """``(B, M)`` int64 results of the RTL on ``acts`` (``(N,)`` or ``(B, N)``).

    ``weights``, if given, must equal the design's own matrix (`InputError`
    otherwise). The reference model is first checked against PyTorch, then the RTL
    against the reference; any difference raises `MismatchError`. ``gap`` is the
    probability of an idle input cycle.
    """
    w, a = check_operands(config, weights, acts)
    _, graph = build_design_graph(config, w)
    expected = hardwired_gemv(config, w, a, graph=graph)
    torch_y = torch_gemv(w, a)
    if not np.array_equal(expected, torch_y):
        raise MismatchError("reference model differs from PyTorch A @ W (a generator bug)")
    wy = output_width(w, config.act)
    info = ports_info(config, wy)
    with tempfile.TemporaryDirectory(prefix="hwgen-hw-sim-") as tmp:
        tmp = Path(tmp)
        np.savez(tmp / "in.npz", act_lanes=a, act_width=config.act.width, lanes=config.workload.m,
                 lane_width=wy, latency=info["latency_cycles"], seed=seed, gap=gap)
        run_testbench(verilog, config.top, "sim.tb_hardwired", simulator,
                      {"HWGEN_TB_IN": str(tmp / "in.npz"), "HWGEN_TB_OUT": str(tmp / "out.npz")}, tmp)
        got = np.load(tmp / "out.npz")["y"]
    if got.shape != expected.shape:
        raise ToolError(f"simulation returned {got.shape[0]} results, expected {expected.shape[0]}")
    if not np.array_equal(got, expected):
        b, j = np.argwhere(got != expected)[0]
        raise MismatchError(
            f"RTL differs from the reference model in {int(np.sum(got != expected))} of {got.size} outputs; "
            f"first at [{b}, {j}]: RTL {got[b, j]}, reference {expected[b, j]}")
    return got
