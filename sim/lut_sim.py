"""Run the integer LUT core's RTL (any weight format) on user data and compare with the reference model.

The streaming harness is `sim.streams` (fast C++ or `sim.tb_streams`): a result beat is
``K * lanes`` accumulators, which the testbench treats as ``K * lanes`` columns.
"""

from __future__ import annotations

import numpy as np

from hwgen.config import LutConfig
from hwgen.formats import pack_activations
from hwgen.weights import pack_format_keys
from hwgen.weights.shape import LutCoreShape

from .reference import check_operands, combine, lane_tiling, lut_gemv_codes
from .stream import GemvJob, PortWidths, column_decode, gemv_beats, job_shape, run_stream

__all__ = ["lut_job", "lut_operands", "lut_widths", "simulate_lut"]


def lut_widths(config: LutConfig) -> PortWidths:
    s = LutCoreShape(config)
    return PortWidths(config.act.width, s.key_width, s.result_lanes, config.accumulator_width)


def lut_operands(config: LutConfig, weights: np.ndarray,
                 acts: np.ndarray) -> tuple[LutConfig, np.ndarray, np.ndarray]:
    """``(config at the GEMV's shape, codes, activation lanes)``, or `InputError` for data the core
    cannot run: cheap, so it runs before the design is elaborated (`hwgen.api.check_operands`)."""
    shaped, weights = job_shape(config, weights)
    return (shaped, *check_operands(shaped, weights, acts))


def lut_job(config: LutConfig, weights: np.ndarray, acts: np.ndarray, name: str = "gemv") -> GemvJob:
    """The beats and reference result of ``acts @ weights`` (any shape within the core's maxima)."""
    shaped, codes, lanes = lut_operands(config, weights, acts)
    expected = lut_gemv_codes(shaped, codes, lanes)  # (B, M, P)
    s = LutCoreShape(shaped)
    t = shaped.tiling
    batch = lanes.shape[0]
    beats = gemv_beats(config, t.n, t.m, pack_activations(lanes, lane_tiling(shaped)),
                       pack_format_keys(s.spec, codes, t), t.fetchers)
    return GemvJob(name, beats, expected, column_decode(batch, t, s.lanes), finish=lambda got: combine(shaped, got))


def simulate_lut(config: LutConfig, verilog: str, weights: np.ndarray, acts: np.ndarray,
                 simulator: str = "verilator", seed: int = 0, gap: float = 0.1,
                 stall: float = 0.1,
                 harness: str | None = None) -> np.ndarray:
    """``(B, M)`` results of the RTL (int64, complex128 for iFairy); `MismatchError` if they
    differ from the reference model. ``gap`` and ``stall`` are the probabilities of an idle
    input cycle and of a back-pressured output cycle, so the handshake is exercised, not
    just the datapath."""
    return run_stream(verilog, config.top, lut_widths(config), lut_job(config, weights, acts),
                      simulator, seed, gap, stall, harness)
