"""Run the LUT core's RTL on user data and compare with the reference model."""

from __future__ import annotations

import numpy as np

from hwgen.config import LutConfig
from hwgen.weights.shape import LutCoreShape
from hwgen.formats import pack_activations, pack_keys

from .reference import check_operands, lut_gemv
from .stream import GemvJob, PortWidths, column_decode, gemv_beats, job_shape, run_stream

__all__ = ["lut_job", "lut_widths", "simulate_lut"]


def lut_widths(config: LutConfig) -> PortWidths:
    return PortWidths(config.act.width, LutCoreShape(config).key_width,
                      config.fetchers, config.accumulator_width)


def lut_job(config: LutConfig, weights: np.ndarray, acts: np.ndarray, name: str = "gemv") -> GemvJob:
    """The beats and reference result of ``acts @ weights`` on the core (any shape within its maxima)."""
    shaped, weights = job_shape(config, weights)
    weights, acts = check_operands(shaped, weights, acts)
    t = shaped.tiling
    batch = acts.shape[0]
    beats = gemv_beats(config, t.n, t.m, pack_activations(acts, t), pack_keys(weights, t), t.fetchers)
    return GemvJob(name, beats, lut_gemv(shaped, weights, acts), column_decode(batch, t))


def simulate_lut(config: LutConfig, verilog: str, weights: np.ndarray, acts: np.ndarray,
                 simulator: str = "verilator", seed: int = 0, gap: float = 0.1,
                 stall: float = 0.1,
                 harness: str | None = None) -> np.ndarray:
    """``(B, M)`` results of the RTL; raises `MismatchError` if they differ from the reference.

    ``gap`` and ``stall`` are the probabilities of an idle input cycle and of a
    back-pressured output cycle, so the handshake is exercised, not just the datapath.
    """
    return run_stream(verilog, config.top, lut_widths(config), lut_job(config, weights, acts),
                      simulator, seed, gap, stall, harness)
