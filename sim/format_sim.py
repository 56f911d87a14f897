"""Run a non-ternary LUT core's RTL on user data and compare with the reference model.

The streaming harness is the ternary core's (`sim.streams`: fast C++ or `sim.tb_streams`): a result beat is
``K * lanes`` accumulators, which the testbench treats as ``K * lanes`` columns.
"""

from __future__ import annotations

import numpy as np

from hwgen.config import LutConfig
from hwgen.formats import pack_activations
from hwgen.weights import pack_format_keys
from hwgen.weights.shape import FormatShape

from .format_ref import check_format_operands, combine, format_gemv_codes, lane_tiling
from .stream import compare, run_stream


def simulate_format(config: LutConfig, verilog: str, weights: np.ndarray, acts: np.ndarray,
                    simulator: str = "verilator", seed: int = 0, gap: float = 0.1,
                    stall: float = 0.1,
                    harness: str | None = None) -> np.ndarray:
    """``(B, M)`` results of the RTL (int64, complex128 for iFairy); `MismatchError` if they
    differ from the reference model. ``gap`` / ``stall``: random input gaps and back-pressure."""
    codes, lanes = check_format_operands(config, weights, acts)
    expected = format_gemv_codes(config, codes, lanes)  # (B, M, P)
    s = FormatShape(config)
    t = config.tiling
    batch = lanes.shape[0]
    act_lanes = pack_activations(lanes, lane_tiling(config))  # (B, tiles, L*inputs)
    sums, last = run_stream(
        verilog, config.top, act_lanes.reshape(batch * t.tiles, -1), config.act.width,
        pack_format_keys(s.spec, codes, t), s.key_width, batch * t.col_blocks, s.result_lanes,
        config.accumulator_width, simulator, seed, gap, stall, harness=harness)
    got = sums.reshape(batch, t.padded_m, s.lanes)[:, : t.m]
    compare(got, expected, last, batch, t.col_blocks)
    return combine(config, got)
