"""Binary weights {-1, +1} (BinaryConnect / XNOR-Net style): ``weights: binary``, 1 bit per weight.

A group of ``mu`` weights ``w_j`` in {-1, +1} selects the signed sum ``sum_j w_j x_j``.
With sign symmetry the LUT holds the ``2**(mu-1)`` sums ``x_0 +- x_1 ... +- x_{mu-1}``
(first term positive: the +-1 table of one bit-plane, `hwgen.weights.bitplane.plane_targets`)
and the group's key is ``sign << (mu-1) | index``: ``sign = (w_0 == -1)``, index bit
``j-1`` set when ``w_j != w_0`` (`hwgen.weights.bitplane.plane_keys`). The key is ``mu``
bits, so a weight costs one bit, and the fetch is one signed select (`signed_select`: no
zero entry, no correction). Against ternary at ``mu = 4`` the table has 8 entries instead
of 40 and the key 4 bits instead of 7.

Zero is not a binary weight: a matrix holding one is rejected. Padding rows use +1 (they
meet zero activations).
"""

from __future__ import annotations

import numpy as np

from ..errors import InputError
from .bitplane import plane_keys, plane_targets
from .spec import WeightSpec, check_integers


def check_binary(weights: np.ndarray, name: str = "weights") -> np.ndarray:
    """``(N, M)`` matrix of -1 / +1; returns int64. Raises `InputError` at the first zero."""
    w = check_integers(weights, name, -1, 1, "binary (values in {-1, 1})")
    if np.any(w == 0):
        r, c = np.argwhere(w == 0)[0]
        raise InputError(f"{name} must be binary (values in {{-1, 1}}): found 0 at [{r}, {c}]")
    return w


class BinarySpec(WeightSpec):
    name = "binary"
    signed_select = True
    hardwired_weights = "ternary"  # a +-1 matrix is a ternary matrix without zeros

    def mac_weights(self, activation_is_float):
        return "ternary"  # sign-select, as ternary

    def targets(self, mu):
        return plane_targets(mu)

    def key_width(self, mu):
        return mu

    def check(self, weights, name="weights"):
        return check_binary(weights, name)

    def pad_fill(self, rows):
        return np.ones_like(rows)

    def encode(self, groups):
        return plane_keys(np.asarray(groups, dtype=np.int64))


SPEC = BinarySpec()
