"""2-4-bit integer weights through bit-planes (T-MAC / BPDQ / ELUTQ style).

An int-b weight ``w`` in ``[-2**(b-1), 2**(b-1) - 1]`` is split into ``b`` planes of
signed binary digits ``s_k`` in {-1, +1}: with ``u = w + 2**(b-1)`` (offset binary) and
``s_k = 2*bit_k(u) - 1``,

``2*w + 1 = sum_k 2**k * s_k``.

So ``sum_j w_j x_j = (sum_k 2**k P_k - S) / 2`` with ``P_k = sum_j s_kj x_j`` (a +-1
sum: a table look-up) and ``S = sum_j x_j``. A +-1 table has sign symmetry, so a group
of ``mu`` activations needs only ``2**(mu-1)`` entries (``x_0 +- x_1 ... +- x_{mu-1}``);
entry 0 (all plus) is ``S`` itself, so the correction needs no extra adder graph. The
key of one plane is ``sign << (mu-1) | index``: ``sign = s_0 < 0`` and index bit
``j-1`` set when ``s_j != s_0``. A weight group's key is the ``b`` plane keys, plane
``k`` in bits ``[k*mu, (k+1)*mu)``: ``b`` bits per weight.

The fetch combines the planes by shift-and-add (Horner, most significant plane first);
each column sums its L fetched values in the tree, subtracts the tree sum of the L
entry-0 values and halves (exact: the difference is always even).
"""

from __future__ import annotations

import numpy as np

from ..bits import signed_width
from .spec import FetchCounts, WeightSpec, check_integers, select


def plane_targets(mu: int) -> tuple[tuple[int, ...], ...]:
    return tuple((1, *(-1 if (i >> (j - 1)) & 1 else 1 for j in range(1, mu))) for i in range(2 ** (mu - 1)))


def planes(weights: np.ndarray, bits: int) -> np.ndarray:
    """Signed digits ``(..., bits)`` in {-1, +1} with ``2*w + 1 = sum_k 2**k s_k``."""
    u = np.asarray(weights, dtype=np.int64) + (1 << (bits - 1))
    return 2 * ((u[..., None] >> np.arange(bits)) & 1) - 1


def plane_keys(signs: np.ndarray) -> np.ndarray:
    """Keys of +-1 groups along the last axis."""
    s0 = signs[..., :1]
    flips = (signs[..., 1:] != s0).astype(np.int64)
    index = (flips << np.arange(flips.shape[-1], dtype=np.int64)).sum(axis=-1)
    mu = signs.shape[-1]
    return ((s0[..., 0] < 0).astype(np.int64) << (mu - 1)) | index


class BitplaneSpec(WeightSpec):
    correction = True

    def __init__(self, bits: int):
        self.bits = bits
        self.name = f"int{bits}"
        self.weight_max_abs = 1 << (bits - 1)
        # hardwired arrays come in int2 and int4: int3 is priced as int4 (an upper bound)
        self.hardwired_weights = "int2" if bits == 2 else "int4"

    def targets(self, mu):
        return plane_targets(mu)

    def key_width(self, mu):
        return self.bits * mu

    def check(self, weights, name="weights"):
        lo, hi = -(1 << (self.bits - 1)), (1 << (self.bits - 1)) - 1
        return check_integers(weights, name, lo, hi, f"{self.name} (integers in [{lo}, {hi}])")

    def encode(self, groups):
        digits = np.moveaxis(planes(groups, self.bits), -1, 0)  # (b, ..., mu)
        mu = groups.shape[-1]
        keys = np.zeros(groups.shape[:-1], dtype=np.int64)
        for k in range(self.bits):
            keys |= plane_keys(digits[k]) << (k * mu)
        return keys

    def fetch_counts(self, mu, entries, entry_width, fetch_width, entry_bound, table_bits):
        # b selects and negators (one per plane), then b - 1 shift-and-add adders (Horner)
        b = self.bits
        horner = [signed_width(-((1 << (k + 2)) - 1) * entry_bound, ((1 << (k + 2)) - 1) * entry_bound)
                  for k in range(b - 1)]
        return FetchCounts(b * entries * entry_width if entries > 1 else 0, b * entries,
                           b * signed_width(-entry_bound, entry_bound), mu - 1,
                           shift_adds=b - 1, shift_add_bits=sum(horner))

    def fetch_bound(self, entry_bound):
        return ((1 << self.bits) - 1) * entry_bound

    def fetch(self, table, keys, mu):
        mask, half = (1 << mu) - 1, mu - 1
        total = None
        for k in reversed(range(self.bits)):
            key = (keys >> (k * mu)) & mask
            value = select(table, key & ((1 << half) - 1))
            value = np.where((key >> half).astype(bool), -value, value)
            total = value if total is None else 2 * total + value
        return total[..., None]


SPECS = {f"int{b}": BitplaneSpec(b) for b in (2, 3, 4)}
