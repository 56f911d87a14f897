"""Run a hardwired array's RTL on user data and compare with the reference model."""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np

from hwgen.errors import MismatchError, ToolError
from hwgen.hardwired.config import HardwiredConfig, scale_to_constants
from hwgen.hardwired.design import hn_parts
from hwgen.hardwired.rtl import build_design_graph, output_width, ports_info

from .hardwired_ref import check_operands, hardwired_gemv, hn_gemv, scaled_result, torch_gemv
from .runner import run_testbench

__all__ = ["simulate_hardwired", "reference_lanes"]


def reference_lanes(config: HardwiredConfig, values: np.ndarray, a: np.ndarray) -> tuple[np.ndarray, np.ndarray, int]:
    """``(lanes, exponents, lane_width)``: the reference model's integer outputs for either architecture."""
    constants, exponents = scale_to_constants(config, values)
    if config.architecture == "hn":
        fabric, table = hn_parts(config, constants, exponents)
        return hn_gemv(fabric, table, a), exponents, fabric.output_width
    _, graph = build_design_graph(config, constants)
    return hardwired_gemv(config, values, a, graph=graph), exponents, output_width(constants, config.act)


def simulate_hardwired(config: HardwiredConfig, verilog: str, weights: np.ndarray | None, acts: np.ndarray,
                       simulator: str = "verilator", seed: int = 0, gap: float = 0.2) -> np.ndarray:
    """``(B, M)`` results of the RTL on ``acts`` (``(N,)`` or ``(B, N)``): int64, or exact float64
    for FP4 / MXFP4 weights.

    ``weights``, if given, must equal the design's own matrix (`InputError`
    otherwise). The reference model is first checked against PyTorch, then the RTL
    against the reference; any difference raises `MismatchError`. ``gap`` is the
    probability of an idle input cycle.
    """
    values, a = check_operands(config, weights, acts)
    expected, exponents, wy = reference_lanes(config, values, a)
    if not np.array_equal(scaled_result(config, expected, exponents), torch_gemv(values, a)):
        raise MismatchError("reference model differs from PyTorch A @ W (a generator bug)")
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
    return scaled_result(config, got, exponents)
