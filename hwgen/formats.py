"""Numeric formats and key encodings: the single source of truth.

The generator, the reference model and the cost model all import from here, so a
key means the same thing to the RTL, to the Python model and to the estimate.

Ternary key encoding
--------------------
`hwgen.weights.ternary` (re-exported here): a group of ``mu`` weights is its balanced-ternary
value, the key ``sign << index_bits | index``, entry 0 the constant zero.

Streaming layout
----------------
An ``(N, M)`` GEMV is walked in tiles of ``(L*mu) x K``: column block outer, row
block inner (output-stationary, the accumulator holds K partial sums). One beat
carries ``L*mu`` activations (lane ``l*mu + j`` is row ``r*L*mu + l*mu + j``) and
``L*K`` keys (lane ``l*K + k`` is LUT ``l``, output column ``c*K + k``). Rows
beyond ``N`` and columns beyond ``M`` are zero-padded by `pack_keys` /
`pack_activations`.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from .bits import signed_width  # noqa: F401  (re-exported: the one source of widths)
from .errors import InputError
from .weights.ternary import (  # noqa: F401  (re-exported: the ternary key encoding)
    check_ternary, decode_keys, encode_keys, entry_coefficients, key_index_bits, key_width, lut_entries)


# ----------------------------------------------------------------------------
# Activation formats


@dataclass(frozen=True)
class ActivationFormat:
    """One activation type. Integers are two's complement; floats IEEE-754-like."""

    name: str
    width: int
    is_float: bool
    exponent_bits: int = 0
    mantissa_bits: int = 0

    @property
    def min(self) -> int:
        if self.is_float:
            raise TypeError(f"{self.name} is a float format and has no integer range")
        return -(1 << (self.width - 1))

    @property
    def max(self) -> int:
        if self.is_float:
            raise TypeError(f"{self.name} is a float format and has no integer range")
        return (1 << (self.width - 1)) - 1


ACTIVATIONS: dict[str, ActivationFormat] = {
    "int4": ActivationFormat("int4", 4, False),
    "int8": ActivationFormat("int8", 8, False),
    "fp8_e4m3": ActivationFormat("fp8_e4m3", 8, True, 4, 3),
    "fp8_e5m2": ActivationFormat("fp8_e5m2", 8, True, 5, 2),
    "bf16": ActivationFormat("bf16", 16, True, 8, 7),
    "fp16": ActivationFormat("fp16", 16, True, 5, 10),
}

def widens(narrow: str, wide: str) -> bool:
    """Does float format ``wide`` hold every value of ``narrow`` exactly (same format included)?

    Every finite value (subnormals too), and infinities when ``narrow`` has them.
    """
    a, b = ACTIVATIONS[narrow], ACTIVATIONS[wide]
    if not (a.is_float and b.is_float):
        return False
    if a == b:
        return True
    a_bias, b_bias = (1 << (a.exponent_bits - 1)) - 1, (1 << (b.exponent_bits - 1)) - 1
    a_has_inf = not (a.exponent_bits == 4 and a.mantissa_bits == 3)
    b_has_inf = not (b.exponent_bits == 4 and b.mantissa_bits == 3)
    a_emax = (1 << a.exponent_bits) - 1 - a_bias - (1 if a_has_inf else 0)
    b_emax = (1 << b.exponent_bits) - 2 - b_bias
    return (b.mantissa_bits >= a.mantissa_bits
            and (1 - b_bias - b.mantissa_bits) <= (1 - a_bias - a.mantissa_bits)  # smallest subnormal
            and b_emax >= a_emax and (b_has_inf or not a_has_inf))


def check_int_activations(acts: np.ndarray, fmt: ActivationFormat, name: str = "activations") -> np.ndarray:
    """Return integer activations as int64 ``(B, N)`` after a range check."""
    acts = np.asarray(acts)
    if acts.ndim not in (1, 2):
        raise InputError(f"{name} must have shape (N,) or (B, N), got {acts.shape}")
    if acts.dtype.kind == "f":
        if not np.all(np.isfinite(acts)) or np.any(acts != np.round(acts)):
            raise InputError(f"{name} for {fmt.name} must hold integers, found non-integer values")
    elif acts.dtype.kind not in "iu":
        raise InputError(f"{name} must be an integer array, got dtype {acts.dtype}")
    acts2 = np.atleast_2d(acts).astype(np.int64)
    out = (acts2 < fmt.min) | (acts2 > fmt.max)
    if np.any(out):
        b, n = np.argwhere(out)[0]
        raise InputError(
            f"{name} out of {fmt.name} range [{fmt.min}, {fmt.max}]: {acts2[b, n]} at [{b}, {n}]"
        )
    return acts2


# ----------------------------------------------------------------------------
# Tiling and packing


@dataclass(frozen=True)
class Tiling:
    """How an ``(N, M)`` GEMV maps onto tiles of ``(L*mu) x K``."""

    n: int
    m: int
    mu: int
    luts: int
    fetchers: int

    @property
    def rows_per_tile(self) -> int:
        return self.luts * self.mu

    @property
    def row_blocks(self) -> int:
        return -(-self.n // self.rows_per_tile)

    @property
    def col_blocks(self) -> int:
        return -(-self.m // self.fetchers)

    @property
    def tiles(self) -> int:
        return self.row_blocks * self.col_blocks

    @property
    def padded_n(self) -> int:
        return self.row_blocks * self.rows_per_tile

    @property
    def padded_m(self) -> int:
        return self.col_blocks * self.fetchers


def pack_keys(weights: np.ndarray, tiling: Tiling) -> np.ndarray:
    """Key stream for a ternary ``(N, M)`` matrix: shape ``(tiles, L*K)``, tile ``c*R + r``."""
    t = tiling
    w = np.zeros((t.padded_n, t.padded_m), dtype=np.int8)
    w[: t.n, : t.m] = weights
    # (R, L, mu, C, K) -> groups along mu
    groups = w.reshape(t.row_blocks, t.luts, t.mu, t.col_blocks, t.fetchers)
    keys = encode_keys(np.moveaxis(groups, 2, -1))  # (R, L, C, K)
    keys = keys.transpose(2, 0, 1, 3)  # (C, R, L, K)
    return keys.reshape(t.tiles, t.luts * t.fetchers)


def pack_activations(acts: np.ndarray, tiling: Tiling) -> np.ndarray:
    """Activation stream for ``(B, N)`` activations: shape ``(B, row_blocks, L*mu)``, each
    vector once (the core's activation buffer keeps it for the other column blocks)."""
    t = tiling
    acts = np.atleast_2d(acts)
    padded = np.zeros((acts.shape[0], t.padded_n), dtype=acts.dtype)
    padded[:, : t.n] = acts
    return padded.reshape(acts.shape[0], t.row_blocks, t.rows_per_tile)


# ----------------------------------------------------------------------------
# BitNet b1.58 quantization (the default path from float tensors)


#: The floor of both BitNet scales (transformers / Microsoft BitNet ``clamp(min=1e-5)``).
BITNET_EPS = 1e-5


def quantize_weights_absmean(weights: np.ndarray, eps: float = BITNET_EPS) -> tuple[np.ndarray, float]:
    """Ternary weights by absmean scaling; returns ``(int8 ternary, scale)``, ``W ~ q * scale``.

    ``scale = max(mean|W|, eps)`` (the rule BitNet's released weights were made with) and
    ``q = clamp(round_half_even(W / scale), -1, 1)``, decided exactly: with the clamp the
    only threshold is ``|W / scale| = 1/2`` (a tie, which rounds to 0), so ``q`` is
    ``sign(W)`` where ``2|W| > scale``, a comparison of two exact floats.
    """
    w = np.asarray(weights, dtype=np.float64)
    scale = max(float(np.mean(np.abs(w))) if w.size else 0.0, eps)
    q = np.where(2.0 * np.abs(w) > scale, np.sign(w), 0.0).astype(np.int8)
    return q, scale


#: Distance from a .5 tie below which a float64 quotient is re-decided exactly.
_TIE_BAND = 2.0**-20


def _round_half_even_ratio(num: np.ndarray, den: np.ndarray, factor: int) -> np.ndarray:
    """``round_half_even(factor * num / den)`` elementwise, exact for any float inputs.

    The float64 quotient decides every element whose fraction is clearly away from
    .5; the few within `_TIE_BAND` of a tie (exact ties included) are re-decided
    with `fractions.Fraction`, so no element is rounded twice.
    """
    r = factor * num / den
    q = np.round(r)
    near = np.flatnonzero(np.abs(np.abs(r - np.floor(r)) - 0.5) < _TIE_BAND)
    num_b, den_b = np.broadcast_to(num, r.shape).ravel(), np.broadcast_to(den, r.shape).ravel()
    flat = q.ravel()
    for i in near:
        flat[i] = round(Fraction(factor) * Fraction(float(num_b[i])) / Fraction(float(den_b[i])))
    return flat.reshape(r.shape)


def quantize_activations_absmax(acts: np.ndarray, bits: int = 8, eps: float = BITNET_EPS
                                ) -> tuple[np.ndarray, np.ndarray]:
    """Per-token absmax quantization to signed ``bits``; returns ``(int64 q, per-token scale)``.

    ``m = max(max|x|, eps)`` per token and ``q = clamp(round_half_even(qmax * x / m))``
    with the product and division exact (`_round_half_even_ratio`), so exact .5 ties
    round to even. ``scale = qmax / m`` (``q ~ x * scale``).
    """
    x = np.atleast_2d(np.asarray(acts, dtype=np.float64))
    qmax = (1 << (bits - 1)) - 1
    m = np.maximum(np.max(np.abs(x), axis=-1, keepdims=True), eps)
    q = np.clip(_round_half_even_ratio(x, m, qmax), -qmax - 1, qmax).astype(np.int64)
    return q, qmax / m[:, 0]


# ----------------------------------------------------------------------------
# Weight formats (ternary, Sherry, iFairy, int2/3/4 bit-planes, binary): one module each in
# `hwgen.weights`, re-exported here so this module stays the single source of truth.

from .weights import WEIGHT_SPECS, WeightSpec, check_design as check_weight_design  # noqa: E402
from .weights import weight_max_abs, weight_spec  # noqa: E402

#: Every weight format a LUT design may name (ternary first: the default).
WEIGHT_FORMATS = tuple(WEIGHT_SPECS)
