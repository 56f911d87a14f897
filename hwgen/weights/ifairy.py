"""iFairy / Fairy2i: complex weights in {+1, -1, +i, -i}, 2 bits each.

A weight is ``i**e`` with exponent code ``e`` in 0..3 (``+1, +i, -1, -i``). Multiplying an
activation ``x = xr + i*xi`` by it only swaps and/or negates ``xr`` and ``xi``; no
multiplier. Activations are complex with integer parts in the activation type's range;
each complex activation is two real lanes ``(xr, xi)`` (lane ``2j`` and ``2j + 1``).

LUT with rotation symmetry. For a group of ``mu`` activations the products
``sum_j i**e_j * x_j`` take ``4**mu`` values, but multiplying every weight by ``i``
only rotates the sum. So the table keeps the ``Q = 4**(mu-1)`` sums with ``e_0 = 0``
and the key is

``key = index << 2 | e_0``,  ``index = sum_{j>=1} ((e_j - e_0) mod 4) * 4**(j-1)``

(``2*mu`` bits, the same 2 bits per weight as the raw codes). The fetch selects the
complex entry ``C`` and rotates it by ``i**e_0``: ``(re, im) -> (re, im), (-im, re),
(-re, -im), (im, -re)``. The table itself is real: ``Re C`` for every index (lowest term
``+xr_0``) followed by ``Im C`` for every index (lowest term ``+xi_0``), ``2*Q`` signed
sums of the ``2*mu`` real lanes, built by `hwgen.weights.graph` with shared halves.
"""

from __future__ import annotations

import numpy as np

from ..errors import InputError
from .spec import FetchCounts, WeightSpec, check_matrix, select

VALUES = np.array([1, 1j, -1, -1j], dtype=np.complex128)
MAX_GROUP = 4


def real_coeffs(e: int) -> tuple[int, int]:
    """Coefficients of ``(xr, xi)`` in ``Re(i**e * x)``."""
    return [(1, 0), (0, -1), (-1, 0), (0, 1)][e % 4]


def imag_coeffs(e: int) -> tuple[int, int]:
    """Coefficients of ``(xr, xi)`` in ``Im(i**e * x)``."""
    return [(0, 1), (1, 0), (0, -1), (-1, 0)][e % 4]


def index_exponents(index: int, mu: int) -> tuple[int, ...]:
    """Normalized exponents ``(0, e_1, ..., e_{mu-1})`` of table index ``index``."""
    return (0, *((index >> (2 * (j - 1))) & 3 for j in range(1, mu)))


def table_targets(mu: int) -> tuple[tuple[int, ...], ...]:
    q = 4 ** (mu - 1)
    re, im = [], []
    for index in range(q):
        exps = index_exponents(index, mu)
        re.append(tuple(c for e in exps for c in real_coeffs(e)))
        im.append(tuple(c for e in exps for c in imag_coeffs(e)))
    return tuple(re + im)


def check_weights(weights: np.ndarray, name: str = "weights") -> np.ndarray:
    """``(N, M)`` weights in {+1, -1, +i, -i} (any numeric dtype) -> exponent codes (int64)."""
    w = check_matrix(weights, name, allow_complex=True).astype(np.complex128)
    match = w[..., None] == VALUES
    bad = ~match.any(axis=-1)
    if np.any(bad):
        r, c = np.argwhere(bad)[0]
        raise InputError(f"{name} for ifairy must be in {{+1, -1, +i, -i}}: found {w[r, c]!r} at [{r}, {c}]")
    return np.argmax(match, axis=-1).astype(np.int64)


def check_activations(acts: np.ndarray, lo: int, hi: int, fmt: str, name: str = "activations") -> np.ndarray:
    """Complex (or real) ``(N,)`` / ``(B, N)`` activations with integer parts in ``[lo, hi]``.

    Returns int64 ``(B, N, 2)``: real and imaginary parts.
    """
    acts = np.asarray(acts)
    if acts.ndim not in (1, 2):
        raise InputError(f"{name} must have shape (N,) or (B, N), got {acts.shape}")
    if acts.dtype.kind not in "iufc":
        raise InputError(f"{name} must be a numeric (complex) array, got dtype {acts.dtype}")
    z = np.atleast_2d(acts).astype(np.complex128)
    parts = np.stack([z.real, z.imag], axis=-1)
    if not np.all(np.isfinite(parts)) or np.any(parts != np.round(parts)):
        raise InputError(f"{name} for ifairy must have integer real and imaginary parts")
    out = (parts < lo) | (parts > hi)
    if np.any(out):
        b, n, part = np.argwhere(out)[0]
        raise InputError(f"{name} out of {fmt} range [{lo}, {hi}]: {z[b, n]} at [{b}, {n}] "
                         f"({'imaginary' if part else 'real'} part)")
    return parts.astype(np.int64)


def encode_groups(groups: np.ndarray) -> np.ndarray:
    """Keys of exponent-code groups along the last axis."""
    groups = np.asarray(groups, dtype=np.int64)
    e0 = groups[..., 0]
    rel = (groups[..., 1:] - e0[..., None]) % 4
    shifts = 2 * np.arange(rel.shape[-1], dtype=np.int64)
    index = (rel << shifts).sum(axis=-1) if rel.shape[-1] else np.zeros_like(e0)
    return (index << 2) | e0


def rotate(re: np.ndarray, im: np.ndarray, e: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``i**e * (re + i*im)`` as the hardware does it: a swap on bit 0, negations."""
    swap = (e & 1).astype(bool)
    out_re = np.where(swap, im, re)
    out_im = np.where(swap, re, im)
    neg_re = ((e ^ (e >> 1)) & 1).astype(bool)
    neg_im = ((e >> 1) & 1).astype(bool)
    return np.where(neg_re, -out_re, out_re), np.where(neg_im, -out_im, out_im)


class IfairySpec(WeightSpec):
    name = "ifairy"
    lanes = 2
    complex = True
    group_sizes = tuple(range(1, MAX_GROUP + 1))

    def mac_weights(self, activation_is_float):
        return None  # complex weights: no real multiplier baseline

    def fetch_counts(self, mu, entries, entry_width, fetch_width, entry_bound, table_bits):
        # two (E/2):1 muxes (Re, Im), a 2:1 swap per part and two negators
        q = entries // 2
        return FetchCounts(2 * q * entry_width + 4 * fetch_width, 2 * q + 4, 2 * fetch_width,
                           max(1, 2 * (mu - 1)), swap=True)

    def targets(self, mu):
        return table_targets(mu)

    def key_width(self, mu):
        return 2 * mu

    def check(self, weights, name="weights"):
        return check_weights(weights, name)

    def dense(self, codes):
        return VALUES[codes]

    def encode(self, groups):
        return encode_groups(groups)

    def fetch(self, table, keys, mu):
        q = 4 ** (mu - 1)
        index, e0 = keys >> 2, keys & 3
        re = select(table[..., :q], index)
        im = select(table[..., q:], index)
        return np.stack(rotate(re, im, e0), axis=-1)


SPEC = IfairySpec()
