"""Run a non-ternary LUT core's RTL on user data and compare with the reference model.

The streaming testbench is the ternary core's (`sim.tb_lut_core`): a result beat is
``K * lanes`` accumulators, which the testbench treats as ``K * lanes`` columns.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np

from hwgen.config import LutConfig
from hwgen.errors import MismatchError, ToolError
from hwgen.formats import pack_activations
from hwgen.weights import pack_format_keys
from hwgen.weights.shape import FormatShape

from .format_ref import check_format_operands, combine, format_gemv_codes, lane_tiling
from .runner import run_testbench


def simulate_format(config: LutConfig, verilog: str, weights: np.ndarray, acts: np.ndarray,
                    simulator: str = "verilator", seed: int = 0, gap: float = 0.1,
                    stall: float = 0.1) -> np.ndarray:
    """``(B, M)`` results of the RTL (int64, complex128 for iFairy); `MismatchError` if they
    differ from the reference model. ``gap`` / ``stall``: random input gaps and back-pressure."""
    codes, lanes = check_format_operands(config, weights, acts)
    expected = format_gemv_codes(config, codes, lanes)  # (B, M, P)
    s = FormatShape(config)
    t = config.tiling
    batch = lanes.shape[0]
    act_lanes = pack_activations(lanes, lane_tiling(config))  # (B, tiles, L*inputs)
    with tempfile.TemporaryDirectory(prefix="hwgen-sim-") as tmp:
        tmp = Path(tmp)
        np.savez(
            tmp / "in.npz",
            act_lanes=act_lanes.reshape(batch * t.tiles, -1),
            act_width=config.act.width,
            key_lanes=pack_format_keys(s.spec, codes, t),
            key_width=s.key_width,
            results=batch * t.col_blocks,
            fetchers=s.result_lanes,
            acc_width=config.accumulator_width,
            seed=seed, gap=gap, stall=stall,
        )
        run_testbench(verilog, config.top, "sim.tb_lut_core", simulator,
                      {"HWGEN_TB_IN": str(tmp / "in.npz"), "HWGEN_TB_OUT": str(tmp / "out.npz")}, tmp)
        out = np.load(tmp / "out.npz")
        sums, last = out["sums"], out["last"]
    if sums.shape[0] != batch * t.col_blocks:
        raise ToolError(f"simulation returned {sums.shape[0]} result beats, expected {batch * t.col_blocks}")
    expected_last = np.tile(np.arange(t.col_blocks) == t.col_blocks - 1, batch)
    if not np.array_equal(last.astype(bool), expected_last):
        raise MismatchError("RTL set 'last' on the wrong result beats")
    got = sums.reshape(batch, t.padded_m, s.lanes)[:, : t.m]
    if not np.array_equal(got, expected):
        b, j, p = np.argwhere(got != expected)[0]
        count = int(np.sum(np.any(got != expected, axis=-1)))
        raise MismatchError(
            f"RTL differs from the reference model in {count} of {expected.shape[0] * expected.shape[1]} outputs; "
            f"first at [{b}, {j}] lane {p}: RTL {got[b, j, p]}, reference {expected[b, j, p]}"
        )
    return combine(config, got)
