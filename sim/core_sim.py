"""Run a float LUT core on user data and compare with its reference model."""

from __future__ import annotations

import numpy as np

from hwgen.floatpath import FloatLutShape
from hwgen.formats import pack_activations, pack_keys

from .float_reference import check_float_operands, float_lut_gemv_bits
from .stream import GemvJob, PortWidths, column_decode, gemv_beats, job_shape, run_stream

__all__ = ["float_lut_job", "float_lut_operands", "float_lut_widths", "simulate_float_lut"]


def float_lut_widths(config) -> PortWidths:
    return PortWidths(config.act.width, FloatLutShape(config).key_width,
                      config.fetchers, config.acc_format.width, signed=False)


def float_lut_operands(config, weights: np.ndarray, acts: np.ndarray) -> tuple:
    """``(config at the GEMV's shape, ternary weights, activation bit patterns)``, or `InputError`
    for data the core cannot run: cheap, so it runs before the design is elaborated."""
    shaped, weights = job_shape(config, weights)
    return (shaped, *check_float_operands(shaped, weights, acts))


def float_lut_job(config, weights: np.ndarray, acts: np.ndarray, name: str = "gemv") -> GemvJob:
    """Beats and reference bit patterns of ``acts @ weights`` (any shape within the maxima)."""
    shaped, weights, bits = float_lut_operands(config, weights, acts)
    t = shaped.tiling
    batch = bits.shape[0]
    beats = gemv_beats(config, t.n, t.m, pack_activations(bits, t), pack_keys(weights, t), t.fetchers)
    return GemvJob(name, beats, float_lut_gemv_bits(shaped, weights, bits), column_decode(batch, t),
                   finish=lambda got: got.astype(np.uint16), show=hex)


def simulate_float_lut(config, verilog: str, weights: np.ndarray, acts: np.ndarray,
                       simulator: str = "verilator", seed: int = 0, gap: float = 0.1,
                       stall: float = 0.1,
                       harness: str | None = None) -> np.ndarray:
    """``(B, M)`` result bit patterns of a float LUT core; `MismatchError` if not the reference's."""
    return run_stream(verilog, config.top, float_lut_widths(config), float_lut_job(config, weights, acts),
                      simulator, seed, gap, stall, harness)
