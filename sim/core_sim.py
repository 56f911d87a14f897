"""Run a float LUT core on user data and compare with its reference model."""

from __future__ import annotations

import numpy as np

from hwgen.floatpath import FloatLutShape
from hwgen.formats import pack_activations, pack_keys

from .float_reference import check_float_operands, float_lut_gemv_bits
from .stream import compare, run_stream


def simulate_float_lut(config, verilog: str, weights: np.ndarray, acts: np.ndarray,
                       simulator: str = "verilator", seed: int = 0, gap: float = 0.1,
                       stall: float = 0.1,
                       harness: str | None = None) -> np.ndarray:
    """``(B, M)`` result bit patterns of a float LUT core; `MismatchError` if not the reference's."""
    weights, bits = check_float_operands(config, weights, acts)
    expected = float_lut_gemv_bits(config, weights, bits)
    t = config.tiling
    batch = bits.shape[0]
    sums, last = run_stream(
        verilog, config.top, pack_activations(bits, t).reshape(batch * t.tiles, -1), config.act.width,
        pack_keys(weights, t), FloatLutShape(config).key_width, batch * t.col_blocks, config.fetchers,
        config.acc_format.width, simulator, seed, gap, stall, signed=False, harness=harness)
    got = sums.reshape(batch, t.padded_m)[:, : t.m]
    compare(got, expected, last, batch, t.col_blocks, show=hex)
    return got.astype(np.uint16)
