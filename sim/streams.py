"""Stream any design's beats through a simulator, on the fast path or through cocotb.

The stimulus and result files are `sim.stimulus`'s; the fast path is the generated
C++ harness of `sim.fastsim` (Verilator), the other is the cocotb testbench
`sim.tb_streams` (any simulator, the regression harness). Both behave the same
cycle by cycle, so they deliver the same payloads at the same cycles.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np

from hwgen.errors import ToolError

from .fastsim import run_fast
from .runner import run_testbench
from .stimulus import Outcome, StreamPort, read_outcome, write_stimulus

__all__ = ["run_streams", "HARNESSES"]

HARNESSES = ("fast", "cocotb")


def run_streams(verilog: str, top: str, ports: list[StreamPort], inputs: dict[str, np.ndarray],
                expected: dict[str, int], simulator: str = "verilator", seed: int = 0, gap: float = 0.1,
                stall: float = 0.1, harness: str | None = None, progress: bool = True,
                levels: list[str] = ()) -> Outcome:
    """Stream ``inputs`` (``{port: (beats, bytes) uint8}``) through the design until every output
    port has delivered its ``expected`` beats; raises `ToolError` on a hang or a protocol error.

    ``harness`` is "fast" (Verilator only; the default there) or "cocotb" (the default on Icarus).
    ``gap`` / ``stall``: probabilities of an idle input cycle and of a back-pressured output cycle.
    ``levels``: plain outputs (flags) whose final values the `Outcome` reports.
    """
    harness = harness or ("fast" if simulator == "verilator" else "cocotb")
    if harness not in HARNESSES:
        raise ToolError(f"unknown harness {harness!r}; choose one of {', '.join(HARNESSES)}")
    if harness == "fast" and simulator != "verilator":
        raise ToolError(f"the fast harness runs on Verilator, not {simulator}")
    with tempfile.TemporaryDirectory(prefix="hwgen-sim-") as tmp:
        folder = Path(tmp)
        write_stimulus(folder, top, ports, inputs, expected, seed, gap, stall, levels)
        if harness == "fast":
            run_fast(verilog, top, ports, folder, progress, levels=levels)
        else:
            run_testbench(verilog, top, "sim.tb_streams", simulator, {"HWGEN_TB_DIR": str(folder)}, folder)
        return read_outcome(folder, ports)
