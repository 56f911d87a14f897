"""Bit-exact reference of the MAC baseline (`hwgen.rtl.mac_core`), and its simulation check.

Same order as the hardware: per tile, ``rows * columns`` products; per column,
the pairwise tree over the rows (`hwgen.datapath.tree_levels`); across row
blocks, accumulation in stream order (row block 0 starts the sum). Integers are
exact (order-free); floats round at every product (fp16 weights) and every addition.
"""

from __future__ import annotations

import numpy as np

from hwgen.config import MacConfig
from hwgen.datapath import tree_levels
from hwgen.errors import InputError
from hwgen.floatpath import MacShape, pack_mac_weights, ternary_weight_code
from hwgen.formats import check_int_activations, check_ternary, pack_activations

from .float_reference import check_float_activations, fp_mul, fp_neg, fp_widen, ordered_accumulate, ordered_tree
from .fpref import fp_add, to_bits
from .reference import check_shapes
from .stream import GemvJob, PortWidths, column_decode, gemv_beats, job_shape, run_stream

__all__ = ["check_mac_operands", "mac_gemv", "mac_gemv_checked", "mac_job", "mac_operands", "mac_widths",
           "simulate_mac"]


def check_mac_weights(config: MacConfig, weights: np.ndarray) -> np.ndarray:
    """Weights as the lane values' source: ternary / int8 integers, or fp16 bit patterns."""
    weights = np.asarray(weights)
    if weights.ndim != 2:
        raise InputError(f"weights must be a 2-D (N, M) matrix, got shape {weights.shape}")
    if config.weights == "ternary":
        return check_ternary(weights).astype(np.int64)
    if config.weights == "int8":
        fmt = type("Int8", (), {"name": "int8", "min": -128, "max": 127})()
        return check_int_activations(weights, fmt, "weights")  # same range check, (N, M) kept
    if weights.dtype.kind not in "fiu":
        raise InputError(f"fp16 weights must be a float array, got dtype {weights.dtype}")
    try:
        return to_bits(weights, "fp16").astype(np.int64)
    except InputError as exc:
        raise InputError(f"weights: {exc}") from None


def check_mac_operands(config: MacConfig, weights: np.ndarray, acts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    w = check_mac_weights(config, weights)
    a = (check_float_activations(acts, config.act) if config.is_float
         else check_int_activations(acts, config.act))
    check_shapes(config, w.shape, a.shape[1])
    return w, a


def mac_gemv_checked(config: MacConfig, w: np.ndarray, a: np.ndarray) -> np.ndarray:
    """``(B, M)`` results (int64, or bit patterns of the accumulation format) on checked operands."""
    t = config.tiling
    R, K = config.rows, config.columns
    batch = a.shape[0]
    wp = np.zeros((t.padded_n, t.padded_m), dtype=np.int64)
    wp[: t.n, : t.m] = w
    ap = np.zeros((batch, t.padded_n), dtype=np.int64)
    ap[:, : t.n] = a
    wt = wp.reshape(t.row_blocks, R, t.col_blocks, K).transpose(2, 0, 1, 3)[None]  # (1, C, Rb, R, K)
    at = ap.reshape(batch, 1, t.row_blocks, R, 1)  # (B, 1, Rb, R, 1)
    levels = tree_levels(R)
    if not config.is_float:
        prod = at * wt
        column = prod.sum(axis=3)  # integers: exact in any order
        totals = column.sum(axis=2)
        return totals.reshape(batch, t.padded_m)[:, : t.m]
    fmt, acc = config.act, config.acc_format
    abits = np.broadcast_to(at, (batch, t.col_blocks, t.row_blocks, R, K)).astype(np.uint16)
    if config.weights == "ternary":
        prod = np.where(wt < 0, fp_neg(abits, fmt), abits)
        prod = np.where(wt == 0, np.uint16(0), prod).astype(np.uint16)
    else:
        prod = fp_mul(abits, np.broadcast_to(wt, abits.shape), fmt, "fp16", fmt)
    column = ordered_tree(levels, [prod[..., r, :] for r in range(R)], lambda x, y: fp_add(x, y, fmt))
    column = fp_widen(column, fmt, acc)  # (B, C, Rb, K)
    totals = ordered_accumulate([column[:, :, r, :] for r in range(t.row_blocks)], lambda x, y: fp_add(x, y, acc))
    return totals.reshape(batch, t.padded_m)[:, : t.m].astype(np.uint16)


def mac_gemv(config: MacConfig, weights: np.ndarray, acts: np.ndarray) -> np.ndarray:
    """Reference ``(B, M)`` result of the MAC core on user data."""
    w, a = check_mac_operands(config, weights, acts)
    return mac_gemv_checked(config, w, a)


def mac_widths(config: MacConfig) -> PortWidths:
    out_width = config.acc_format.width if config.is_float else config.accumulator_width
    return PortWidths(config.act.width, MacShape(config).weight_width,
                      config.columns, out_width, signed=not config.is_float)


def mac_operands(config: MacConfig, weights: np.ndarray, acts: np.ndarray) -> tuple[MacConfig, np.ndarray, np.ndarray]:
    """``(config at the GEMV's shape, weight lanes, activation lanes)``, or `InputError` for data
    the core cannot run: cheap, so it runs before the design is elaborated."""
    shaped, weights = job_shape(config, weights)
    return (shaped, *check_mac_operands(shaped, weights, acts))


def mac_job(config: MacConfig, weights: np.ndarray, acts: np.ndarray, name: str = "gemv") -> GemvJob:
    """Beats and reference result of ``acts @ weights`` on the MAC core (any shape within its maxima)."""
    shaped, w, a = mac_operands(config, weights, acts)
    t = shaped.tiling
    batch = a.shape[0]
    codes = ternary_weight_code(w) if config.weights == "ternary" else w
    beats = gemv_beats(config, t.n, t.m, pack_activations(a, t), pack_mac_weights(codes, t), t.fetchers)
    finish = (lambda got: got.astype(np.uint16)) if config.is_float else (lambda got: got.astype(np.int64))
    return GemvJob(name, beats, mac_gemv_checked(shaped, w, a), column_decode(batch, t), finish=finish,
                   show=hex if config.is_float else str)


def simulate_mac(config: MacConfig, verilog: str, weights: np.ndarray, acts: np.ndarray,
                 simulator: str = "verilator", seed: int = 0, gap: float = 0.1, stall: float = 0.1,
                 harness: str | None = None) -> np.ndarray:
    """``(B, M)`` RTL results (int64, or float bit patterns); `MismatchError` if not the reference's."""
    return run_stream(verilog, config.top, mac_widths(config), mac_job(config, weights, acts),
                      simulator, seed, gap, stall, harness)
