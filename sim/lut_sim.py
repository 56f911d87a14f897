"""Run the LUT core's RTL on user data and compare with the reference model."""

from __future__ import annotations

import numpy as np

from hwgen.config import LutConfig
from hwgen.datapath import LutCoreShape
from hwgen.formats import pack_activations, pack_keys

from .reference import check_operands, lut_gemv
from .stream import compare, run_stream


def simulate_lut(config: LutConfig, verilog: str, weights: np.ndarray, acts: np.ndarray,
                 simulator: str = "verilator", seed: int = 0, gap: float = 0.1,
                 stall: float = 0.1,
                 harness: str | None = None) -> np.ndarray:
    """``(B, M)`` results of the RTL; raises `MismatchError` if they differ from the reference.

    ``gap`` and ``stall`` are the probabilities of an idle input cycle and of a
    back-pressured output cycle, so the handshake is exercised, not just the datapath.
    """
    weights, acts = check_operands(config, weights, acts)
    expected = lut_gemv(config, weights, acts)
    t = config.tiling
    batch = acts.shape[0]
    sums, last = run_stream(
        verilog, config.top, pack_activations(acts, t).reshape(batch * t.tiles, -1), config.act.width,
        pack_keys(weights, t), LutCoreShape(config).key_width, batch * t.col_blocks, config.fetchers,
        config.accumulator_width, simulator, seed, gap, stall, harness=harness)
    got = sums.reshape(batch, t.padded_m)[:, : t.m]
    compare(got, expected, last, batch, t.col_blocks)
    return got
