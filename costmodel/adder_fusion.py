"""Which reduction-tree adders synthesis fuses into multi-operand adders.

Yosys's ``alumacc`` pass turns every ``+`` into a ``$macc`` cell and merges a macc into
the one adder that consumes it when the consumer reads its whole, untruncated output and
(for a narrower output) the operands cannot overflow it (`may_overflow`, a port of
``macc_may_overflow``); ``maccmap`` then builds a fused adder of N operands at output
width W as N - 2 rows of W full adders (carry-save, every operand sign-extended to W) and
one W-bit carry-propagate adder; a two-operand one stays an ordinary W-bit adder.

In the LUT core this fuses each unregistered run of reduction-tree levels, and, when the
tree's last levels are unregistered and its sum is not truncated, the accumulator's add
as well, at the accumulator's width: an unregistered 8-input tree chained into a 12-bit
accumulator becomes 7 rows of 12 full adders instead of 7 adders 6 to 8 bits wide. The
Amaranth ``a + b`` is one bit wider than both operands; a tree node whose exact width is
narrower (an odd level's pass-through added in) is a truncated slice that stops fusion.
"""

from __future__ import annotations

from dataclasses import dataclass

from hwgen.datapath import tree_levels
from hwgen.formats import signed_width

__all__ = ["FusedAdder", "may_overflow", "fuse_reduction"]


@dataclass(frozen=True)
class FusedAdder:
    """One adder synthesis builds: its operands' widths and its output width."""

    operands: tuple[int, ...]
    width: int

    @property
    def carry_save_bits(self) -> int:
        """Full adders of the carry-save rows (0 for two operands)."""
        return max(len(self.operands) - 2, 0) * self.width


def may_overflow(operands, width: int) -> bool:
    """Yosys's ``macc_may_overflow`` for signed operands: can their sum need more than ``width`` bits?"""
    acc_sum, acc_shift = 0, 0
    for size in sorted(operands):
        while size - acc_shift > 20:
            acc_sum = (acc_sum + (acc_sum & 1)) >> 1
            acc_shift += 1
        acc_sum += (1 << (size - acc_shift)) - 1
    return acc_shift + acc_sum.bit_length() > width


@dataclass
class _Macc:
    operands: list[int]
    natural: int  # width of the ``a + b`` result
    exact: int    # width of the signal it drives

    def fusable(self, consumer_width: int) -> bool:
        return self.natural == self.exact and (
            self.natural == consumer_width or not may_overflow(self.operands, self.natural))


def fuse_reduction(luts: int, leaf_bound: int, registered: list[bool]) -> tuple[tuple[FusedAdder, ...], tuple[int, ...]]:
    """The adders of one column's reduction tree as synthesis builds them.

    ``registered[i]`` says whether tree level ``i`` is registered. Returns ``(tree,
    into_accumulator)``: the tree's own adders, and the operand widths that fuse into the
    accumulator's add (empty when the tree's sum enters it as one operand).
    """
    leaf = signed_width(-leaf_bound, leaf_bound)
    values: list[tuple[int, _Macc | None]] = [(leaf, None)] * luts
    bounds = [leaf_bound] * luts
    done: list[_Macc] = []

    def operands(consumer_width: int, value) -> list[int]:
        width, macc = value
        if macc is not None and macc.fusable(consumer_width):
            return macc.operands
        if macc is not None:
            done.append(macc)
        return [width]

    for level, is_registered in zip(tree_levels(luts), registered):
        next_values, next_bounds = [], []
        for group in level:
            bound = sum(bounds[i] for i in group)
            exact = signed_width(-bound, bound)
            if len(group) == 1:
                macc = values[group[0]][1]
            else:
                a, b = values[group[0]], values[group[1]]
                natural = max(a[0], b[0]) + 1
                macc = _Macc(operands(natural, a) + operands(natural, b), natural, exact)
            if is_registered and macc is not None:
                done.append(macc)
                macc = None
            next_values.append((exact, macc))
            next_bounds.append(bound)
        values, bounds = next_values, next_bounds
    width, macc = values[0]
    into_accumulator: tuple[int, ...] = ()
    if macc is not None and macc.natural == macc.exact and not may_overflow(macc.operands, macc.natural):
        into_accumulator = tuple(macc.operands)
    elif macc is not None:
        done.append(macc)
    return tuple(FusedAdder(tuple(m.operands), m.exact) for m in done), into_accumulator
