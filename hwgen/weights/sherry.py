"""Sherry: 3:4 sparse ternary weights, 4 weights in 5 bits (1.25 bit per weight).

In every group of 4 weights along N (rows ``4g .. 4g+3`` of a column) exactly one is
zero and the other three are +-1. There are ``4 * 2**3 = 32`` such groups; with sign
symmetry they are 16 LUT entries and a sign, so the 5-bit packed group *is* the key:

``key = sign << 4 | zero_position << 2 | flips``

* ``zero_position`` (0..3): which of the four weights is zero;
* the three non-zero weights ``w_a, w_b, w_c`` (in row order) are read relative to the
  first: ``sign = (w_a == -1)``, ``flips`` bit 0 is ``w_b != w_a``, bit 1 ``w_c != w_a``.

Entry ``zero_position * 4 + flips`` holds ``x_a +- x_b +- x_c`` (the canonical sum, first
term positive); the fetch negates it when ``sign`` is set. Against plain ternary at
``mu = 4`` the LUT has 16 entries instead of 40 (no zero entry), the key is 5 bits
instead of 7, and the build needs 20 adders instead of 36 (`hwgen.weights.graph`).
"""

from __future__ import annotations

import numpy as np

from ..errors import InputError
from .spec import WeightSpec, check_integers

GROUP = 4
PAD_PATTERN = np.array([1, 1, 1, 0], dtype=np.int64)  # a valid group for padding


def _entry_weights(index: int) -> tuple[int, ...]:
    zero, flips = divmod(index, 4)
    signs = [1, -1 if flips & 1 else 1, -1 if flips & 2 else 1]
    out = []
    for j in range(GROUP):
        out.append(0 if j == zero else signs.pop(0))
    return tuple(out)


ENTRY_WEIGHTS = tuple(_entry_weights(i) for i in range(16))


def check_pattern(weights: np.ndarray, name: str = "weights") -> np.ndarray:
    """Ternary ``(N, M)`` with exactly one zero in every group of 4 rows; returns int64.

    Raises `InputError` naming the first bad group (column-major scan: lowest column,
    then lowest group).
    """
    w = check_integers(weights, name, -1, 1, "ternary (values in {-1, 0, 1})")
    n, m = w.shape
    if n % GROUP:
        raise InputError(f"{name} for sherry need N a multiple of {GROUP}, got N = {n}")
    zeros = (w.reshape(n // GROUP, GROUP, m) == 0).sum(axis=1)  # (groups, M)
    bad = zeros != 1
    if np.any(bad):
        c, g = np.argwhere(bad.T)[0]
        raise InputError(
            f"{name} break Sherry's 3:4 pattern: rows {GROUP * g}..{GROUP * g + 3} of column {c} "
            f"hold {zeros[g, c]} zeros {w[GROUP * g:GROUP * g + 4, c].tolist()}, need exactly 1"
        )
    return w


def pack(weights: np.ndarray) -> np.ndarray:
    """``(N, M)`` Sherry weights -> ``(N/4, M)`` 5-bit codes (uint8)."""
    w = check_pattern(weights)
    n, m = w.shape
    return encode_groups(np.moveaxis(w.reshape(n // GROUP, GROUP, m), 1, -1)).astype(np.uint8)


def unpack(codes: np.ndarray) -> np.ndarray:
    """Inverse of `pack`: ``(G, M)`` 5-bit codes -> ``(4G, M)`` int8 weights."""
    codes = np.asarray(codes, dtype=np.int64)
    if np.any((codes < 0) | (codes > 31)):
        raise InputError("Sherry codes must be 5-bit values 0..31")
    base = np.array(ENTRY_WEIGHTS, dtype=np.int64)[codes & 15]  # (G, M, 4)
    w = np.where((codes >> 4)[..., None].astype(bool), -base, base)
    g, m = codes.shape
    return np.moveaxis(w, -1, 1).reshape(g * GROUP, m).astype(np.int8)


def encode_groups(groups: np.ndarray) -> np.ndarray:
    """5-bit keys of valid 3:4 groups along the last axis (length 4)."""
    groups = np.asarray(groups, dtype=np.int64)
    zero = np.argmax(groups == 0, axis=-1)
    nonzero = np.sort(np.where(groups != 0, np.arange(GROUP), GROUP), axis=-1)[..., :3]  # row order
    vals = np.take_along_axis(groups, nonzero, axis=-1)  # (..., 3)
    first = vals[..., 0]
    flips = (vals[..., 1] != first).astype(np.int64) | ((vals[..., 2] != first).astype(np.int64) << 1)
    return ((first < 0).astype(np.int64) << 4) | (zero << 2) | flips


class SherrySpec(WeightSpec):
    name = "sherry"
    group_sizes = (GROUP,)
    row_multiple, row_reason = GROUP, " (3:4 groups)"
    hardwired_weights = "ternary"  # a Sherry matrix is ternary
    signed_select = True

    def mac_weights(self, activation_is_float):
        return "ternary"  # sign-select, as ternary

    def targets(self, mu):
        return ENTRY_WEIGHTS

    def key_width(self, mu):
        return 5

    def check(self, weights, name="weights"):
        return check_pattern(weights, name)

    def pad_fill(self, rows):
        return PAD_PATTERN[rows % GROUP]

    def encode(self, groups):
        return encode_groups(groups)


SPEC = SherrySpec()
