"""Drive a streaming GEMV core through its cocotb testbench and check what comes out.

Every core with the LUT core's interface (ternary, other weight formats, float, MAC)
shares the testbench `sim.tb_lut_core`: activation lanes and key (or weight) lanes
in, result beats out, with random input gaps and output back-pressure.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np

from hwgen.errors import MismatchError, ToolError

from .runner import run_testbench

__all__ = ["run_stream", "compare"]


def run_stream(verilog: str, top: str, act_lanes: np.ndarray, act_width: int, key_lanes: np.ndarray,
               key_width: int, results: int, lanes_out: int, out_width: int, simulator: str = "verilator",
               seed: int = 0, gap: float = 0.1, stall: float = 0.1,
               signed: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """Stream the beats through the RTL; returns ``(sums (beats, lanes_out), last flags)``.

    Sums are two's-complement integers if ``signed``, else raw ``out_width``-bit patterns.
    """
    with tempfile.TemporaryDirectory(prefix="hwgen-sim-") as tmp:
        tmp = Path(tmp)
        np.savez(tmp / "in.npz", act_lanes=act_lanes, act_width=act_width, key_lanes=key_lanes,
                 key_width=key_width, results=results, fetchers=lanes_out, acc_width=out_width,
                 seed=seed, gap=gap, stall=stall)
        run_testbench(verilog, top, "sim.tb_lut_core", simulator,
                      {"HWGEN_TB_IN": str(tmp / "in.npz"), "HWGEN_TB_OUT": str(tmp / "out.npz")}, tmp)
        out = np.load(tmp / "out.npz")
        sums, last = out["sums"], out["last"]
    if sums.shape[0] != results:
        raise ToolError(f"simulation returned {sums.shape[0]} result beats, expected {results}")
    return (sums if signed else sums & ((1 << out_width) - 1)), last


def compare(got: np.ndarray, expected: np.ndarray, last: np.ndarray, batch: int, col_blocks: int,
            show=str) -> None:
    """Raise `MismatchError` unless the results and the ``last`` flags are exactly as expected."""
    expected_last = np.tile(np.arange(col_blocks) == col_blocks - 1, batch)
    if not np.array_equal(last.astype(bool), expected_last):
        raise MismatchError("RTL set 'last' on the wrong result beats")
    if not np.array_equal(got, expected):
        first = tuple(np.argwhere(got != expected)[0])
        count = int(np.sum(got != expected))
        raise MismatchError(
            f"RTL differs from the reference model in {count} of {got.size} outputs; "
            f"first at [{', '.join(map(str, first))}]: RTL {show(got[first].item())}, "
            f"reference {show(expected[first].item())}"
        )
