"""Hardwired Neurons (HNLPU, ASPLOS '26, section 3): value regions over a weight-independent fabric.

A neuron ``y[j] = sum_i C[i, j] * a[i]`` is computed accumulate -> multiply -> accumulate:

1. **Route.** Input ``i`` is wired to a slot of the region of its constant's value:
   one region per signed magnitude of the format's alphabet (FP4: 2 x 7 regions for
   ``2 * fp4`` in {1, 2, 3, 4, 6, 8, 12}; MXFP4: the same values times ``2**k``,
   ``k < scale_span``). Zero weights are not wired. The two regions of magnitude ``c``
   have ``capacities[c]`` slots each; unused slots are tied to 0. This routing is the only weight-dependent part
   (the *wiring*, HNLPU's metal embedding).
2. **Accumulate.** Each region sums its slots: a popcount of one activation bit each
   (bit-serial, LSB first) or of whole activations (parallel variant).
3. **Multiply.** Per magnitude ``c``, ``d = sum(+c region) - sum(-c region)`` is
   multiplied by ``c`` as CSD shift-and-add: at most one constant multiplier per value.
4. **Accumulate.** A balanced adder tree sums the products into ``t``. Bit-serial:
   ``t`` of bit-plane ``b`` has weight ``2**b`` (``-2**(Wa-1)`` for the sign plane),
   summed by a shift-right accumulator: ``s = H +- t``, ``H <- s >> 1`` and ``s[0]``
   shifts into the low word ``L``, so ``y = H * 2**Wa + L`` after ``Wa`` planes and the
   adder is only as wide as ``t``.

The `Fabric` (neurons, alphabet, capacity, activation width, serial or parallel) fixes
all logic and every width from its own parameters, never from the weights, so every
matrix that fits gives byte-identical fabric Verilog (`hwgen.hardwired.hn_rtl`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from hwgen import formats
from hwgen.errors import InputError

from .config import HardwiredConfig
from .adder_graph import csd_digits

__all__ = ["Fabric", "fabric_of", "route", "region_counts", "bound_width", "tree_plan", "csd_terms",
           "fabric_counts"]


def bound_width(bound: int) -> int:
    """Two's-complement width of ``[-bound, bound]``."""
    return formats.signed_width(-bound, bound)


def tree_plan(bounds: list[int]) -> list[tuple[int, int, int, int]]:
    """Balanced pairwise adder tree over leaves with magnitude ``bounds``.

    Returns nodes ``(level, left, right, bound)``; leaves are ids ``0..len-1`` and node
    ``k`` gets id ``len + k``; an odd leftover passes up a level unchanged. The last
    node (or the single leaf) is the root.
    """
    ids = list(range(len(bounds)))
    all_bounds = list(bounds)
    nodes, level = [], 0
    while len(ids) > 1:
        nxt = []
        for k in range(0, len(ids) - 1, 2):
            a, b = ids[k], ids[k + 1]
            all_bounds.append(all_bounds[a] + all_bounds[b])
            nodes.append((level, a, b, all_bounds[-1]))
            nxt.append(len(all_bounds) - 1)
        if len(ids) % 2:
            nxt.append(ids[-1])
        ids, level = nxt, level + 1
    return nodes


def csd_terms(mag: int) -> list[tuple[int, int]]:
    """``(shift, sign)`` of the canonical signed digits of ``mag``, most significant first."""
    digits = csd_digits(np.array([mag]), mag.bit_length() + 1)[0].tolist()
    return [(k, s) for k, s in reversed(list(enumerate(digits))) if s]


@dataclass(frozen=True)
class Fabric:
    """The weight-independent HN array: ``neurons`` x ``2 * len(magnitudes)`` regions; the two regions
    of ``magnitudes[k]`` have ``capacities[k]`` slots each."""

    neurons: int
    magnitudes: tuple[int, ...]
    capacities: tuple[int, ...]
    act: formats.ActivationFormat
    serial: bool

    @property
    def regions(self) -> int:
        """Regions per neuron: region ``2k`` takes ``+magnitudes[k]``, ``2k + 1`` takes ``-magnitudes[k]``."""
        return 2 * len(self.magnitudes)

    @property
    def slot_width(self) -> int:
        return 1 if self.serial else self.act.width

    @property
    def region_slots(self) -> tuple[int, ...]:
        """Slots of each region of a neuron, in region order."""
        return tuple(c for c in self.capacities for _ in range(2))

    @property
    def neuron_slots(self) -> int:
        return sum(self.region_slots)

    @property
    def slots(self) -> int:
        return self.neurons * self.neuron_slots

    def slot_base(self, neuron: int, region: int) -> int:
        """Index of the first slot of ``region`` of ``neuron``."""
        return neuron * self.neuron_slots + sum(self.region_slots[:region])

    @property
    def leaf_range(self) -> tuple[int, int]:
        """Range of one slot's value: a bit, or a whole activation."""
        return (0, 1) if self.serial else (self.act.min, self.act.max)

    @property
    def diff_bounds(self) -> tuple[int, ...]:
        """Largest ``|sum(+c region) - sum(-c region)|`` per magnitude."""
        lo, hi = self.leaf_range
        return tuple(cap * (hi - lo) for cap in self.capacities)

    @property
    def term_bound(self) -> int:
        """Largest ``|t|``: every region full of extreme values."""
        return sum(d * mag for d, mag in zip(self.diff_bounds, self.magnitudes))

    @property
    def term_width(self) -> int:
        return bound_width(self.term_bound)

    @property
    def output_width(self) -> int:
        """Bits of each output lane: ``{H, L}`` (serial) or ``t`` (parallel)."""
        return self.term_width + self.act.width if self.serial else self.term_width

    @property
    def initiation_interval(self) -> int:
        return self.act.width if self.serial else 1

    def describe(self) -> str:
        mode = f"bit-serial LSB first, {self.act.name}" if self.serial else f"parallel {self.act.name}"
        regions = ", ".join(f"+-{m}: {c}" for m, c in zip(self.magnitudes, self.capacities))
        return f"{self.neurons} neurons, slots per value region {{{regions}}}, {mode}"


def region_counts(constants: np.ndarray, magnitudes: tuple[int, ...]) -> np.ndarray:
    """Inputs per (neuron, region): ``(M, 2 * len(magnitudes))``."""
    c = np.asarray(constants, dtype=np.int64)
    cols = []
    for mag in magnitudes:
        cols += [np.count_nonzero(c == mag, axis=0), np.count_nonzero(c == -mag, axis=0)]
    return np.stack(cols, axis=1)


def fabric_of(config: HardwiredConfig, constants: np.ndarray) -> Fabric:
    """The design's fabric: ``region_capacity`` (one number, or one per magnitude) if given, else per
    magnitude the matrix's fullest region of that value times ``region_slack``."""
    cap = config.region_capacity
    if cap is None:
        fullest = region_counts(constants, config.magnitudes).reshape(constants.shape[1], -1, 2).max(axis=(0, 2))
        caps = tuple(max(1, math.ceil(int(f) * config.region_slack)) for f in fullest)
    elif isinstance(cap, int):
        caps = (cap,) * len(config.magnitudes)
    else:
        caps = tuple(cap)
    return Fabric(config.workload.m, config.magnitudes, caps, config.act, config.bit_serial)


def route(fabric: Fabric, constants: np.ndarray, exponents: np.ndarray) -> np.ndarray:
    """Slot table ``(M, R, max capacity)``: the input wired to each slot, ``-1`` where tied to zero.

    Raises `InputError` naming the neuron and weight value of the first region the
    matrix overflows (``exponents`` give the value: constant ``* 2**e[j]``).
    """
    c = np.asarray(constants, dtype=np.int64)
    m, r = fabric.neurons, fabric.regions
    caps = np.array(fabric.region_slots)
    counts = region_counts(c, fabric.magnitudes)
    over = counts > caps[None, :]
    if np.any(over):
        j, reg = (int(x) for x in np.argwhere(over)[0])
        value = (1 if reg % 2 == 0 else -1) * fabric.magnitudes[reg // 2] * 2.0 ** int(exponents[j])
        value_text = f"{value:g}" if exponents[j] else str(int(value))
        raise InputError(f"neuron {j}: {counts[j, reg]} inputs have weight {value_text}, more than its "
                         f"region's capacity {caps[reg]} (region_capacity)")
    table = np.full((m, r, int(caps.max())), -1, dtype=np.int64)
    for reg, mag in enumerate(fabric.magnitudes):
        for side, sign in enumerate((1, -1)):
            rows, cols = np.nonzero(c.T == sign * mag)  # neuron-major, inputs ascending
            start = np.searchsorted(rows, np.arange(m))
            table[rows, 2 * reg + side, np.arange(rows.size) - start[rows]] = cols
    return table


def fabric_counts(fabric: Fabric) -> dict[str, int]:
    """Logic of the fabric by role, in input bits, adder bits and register bits (what the cost model prices).

    Synthesis merges each value's two region trees and their difference into one
    multi-operand (carry-save) adder, so the regions are counted by what enters it:
    ``region_input_bits``, every slot's bits (one per slot bit-serial, the activation's
    width parallel), and ``signed_slots``, the parallel slots whose sign is extended
    across that adder's width. ``diff_bits``: the adder closing each value's sum;
    ``mult_add_bits``: CSD shift-and-add terms beyond the first; ``tree_add_bits``: the
    final tree; ``acc_bits``: the serial accumulator's adder; registers by role.
    """
    f = fabric
    products = [d * mag for d, mag in zip(f.diff_bounds, f.magnitudes)]
    mult = sum((len(csd_terms(mag)) - 1) * bound_width(p) for mag, p in zip(f.magnitudes, products))
    tree = sum(bound_width(b) for *_, b in tree_plan(products))
    m, tw, wa = f.neurons, f.term_width, f.act.width
    return {
        "region_input_bits": f.slots * f.slot_width,
        "signed_slots": 0 if f.serial else f.slots,
        "diff_bits": m * sum(bound_width(d) for d in f.diff_bounds),
        "mult_add_bits": m * mult,
        "tree_add_bits": m * tree,
        "acc_bits": m * (tw + 1) if f.serial else 0,
        "acc_reg_bits": m * (tw + wa) if f.serial else 0,
        "output_reg_bits": m * f.output_width,
    }
