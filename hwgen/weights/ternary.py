"""Ternary weights {-1, 0, +1} (BitNet b1.58): ``weights: ternary``, the default format.

A group of ``mu`` weights ``w[0..mu-1]`` is read as a balanced-ternary number
``v = sum_j w[j] * 3**j`` in ``[-E, E]`` with ``E = (3**mu - 1) // 2``. ``v == 0`` exactly
when all weights are zero, and negating the weights negates ``v``. So the key is
``index = |v|`` (which LUT entry) plus ``sign = v < 0`` (negate the entry): entry ``i``
holds the signed sum whose balanced-ternary value is ``+i``, and entry 0 is the constant
zero that is never built (`zero_entry`). The key is ``key_index_bits(mu) + 1`` bits wide,
sign in the top bit; the fetch is one signed select. The table is the ``E`` sums built by
`hwgen.lutgraph.build_lut_graph` (its entry order and canonical form, highest digit
positive, are the balanced-ternary ones, not `hwgen.weights.graph`'s). Ternary is also the
one format float cores take (`float_activations`).
"""

from __future__ import annotations

import math

import numpy as np

from ..lutgraph import LutGraph, build_lut_graph, entry_coefficients, lut_entries, naive_adders
from .spec import WeightSpec, check_integers


def key_index_bits(mu: int) -> int:
    """Bits of the entry index, zero entry included: ``ceil(log2(E + 1))``."""
    return max(1, math.ceil(math.log2(lut_entries(mu) + 1)))


def key_width(mu: int) -> int:
    """Bits of one key: the index plus the sign bit."""
    return key_index_bits(mu) + 1


def balanced_value(weights: np.ndarray) -> np.ndarray:
    """Balanced-ternary value of weight groups along the last axis (digit j weighs 3**j)."""
    mu = weights.shape[-1]
    powers = 3 ** np.arange(mu, dtype=np.int64)
    return (weights.astype(np.int64) * powers).sum(axis=-1)


def encode_keys(groups: np.ndarray) -> np.ndarray:
    """Keys (``sign << index_bits | index``) for ternary groups along the last axis."""
    mu = groups.shape[-1]
    value = balanced_value(groups)
    sign = (value < 0).astype(np.int64)
    return (sign << key_index_bits(mu)) | np.abs(value)


def decode_keys(keys: np.ndarray, mu: int) -> tuple[np.ndarray, np.ndarray]:
    """Split keys into (index, negate) arrays."""
    keys = np.asarray(keys, dtype=np.int64)
    bits = key_index_bits(mu)
    return keys & ((1 << bits) - 1), (keys >> bits) & 1


def check_ternary(weights: np.ndarray, name: str = "weights") -> np.ndarray:
    """Return ``weights`` as int8 after checking every value is in {-1, 0, 1}."""
    return check_integers(weights, name, -1, 1, "ternary (values in {-1, 0, 1})").astype(np.int8)


class TernarySpec(WeightSpec):
    name = "ternary"
    signed_select = True
    zero_entry = True
    float_activations = True
    hardwired_weights = "ternary"

    def mac_weights(self, activation_is_float):
        return "ternary"  # sign-select

    def targets(self, mu):
        return tuple(entry_coefficients(mu, i) for i in range(1, lut_entries(mu) + 1))

    def graph(self, mu) -> LutGraph:
        return build_lut_graph(mu)

    def naive_adders(self, mu):
        return naive_adders(mu)  # every entry summed from all mu terms, zeros included

    def key_width(self, mu):
        return key_width(mu)

    def check(self, weights, name="weights"):
        return check_ternary(weights, name)

    def encode(self, groups):
        return encode_keys(groups)


SPEC = TernarySpec()
