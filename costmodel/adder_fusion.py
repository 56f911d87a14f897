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

Not every one of those full adders survives: above an operand's width its row holds
copies of one sign bit, and full adders of identical inputs are one gate after ABC's
structural hashing. `carry_save_adders` therefore replays ``maccmap``'s row packing and
carry-save tree on symbolic bits and counts the distinct gates (a 16-operand tree fused
into an 11-bit accumulator: 110.5 full adders, not 15 rows of 11; the replay's XOR count
equals Yosys's after ``opt_merge``, `tests/test_synthesis_structure.py`).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from hwgen.datapath import tree_levels
from hwgen.formats import signed_width

__all__ = ["FusedAdder", "may_overflow", "fuse_reduction", "carry_save_adders", "accumulator_carry_save",
           "reduction_adders"]


@dataclass(frozen=True)
class FusedAdder:
    """One adder synthesis builds: its operands' widths and its output width."""

    operands: tuple[int, ...]
    width: int

    @property
    def carry_save_bits(self) -> float:
        """Distinct full adders of its carry-save rows (0 for two operands)."""
        return carry_save_adders(self.operands, self.width)


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


class _Gates:
    """Structurally hashed two-input gates over symbolic bits (0 is constant zero)."""

    def __init__(self) -> None:
        self.nodes: dict[tuple, int] = {}
        self.xors = 0
        self.last = 0

    def new_bit(self) -> int:
        self.last += 1
        return self.last

    def gate(self, op: str, a: int, b: int) -> int:
        if a == 0 or b == 0:
            return (a or b) if op != "and" else 0
        if a == b:
            return 0 if op == "xor" else a
        key = (op, min(a, b), max(a, b))
        if key not in self.nodes:
            self.nodes[key] = self.new_bit()
            self.xors += op == "xor"
        return self.nodes[key]

    def full_add(self, a: int, b: int, c: int) -> tuple[int, int]:
        """Yosys's ``$fa`` gate mapping: ``(sum, carry)``."""
        t = self.gate("xor", a, b)
        return self.gate("xor", t, c), self.gate("or", self.gate("and", a, b), self.gate("and", c, t))


def _maccmap_xors(operands: tuple[int, ...], width: int, full_width_operand: bool) -> int:
    """Distinct XOR gates of ``maccmap``'s carry-save rows for signed ``operands``.

    A replay of ``MaccmapWorker``: operand bits, sign-extended to ``width``, go into
    per-column sets; rows take the lowest-ordered bit of each column and low-column bits
    are packed into the rows' carry-ins; rows are reduced three at a time. The bit order
    is the operands' order, with the ``full_width_operand`` (the accumulator) first, as
    Yosys orders the accumulator register's wire before the tree's.
    """
    gates = _Gates()
    words = [[gates.new_bit() for _ in range(width)]] if full_width_operand else []
    for w in operands:
        bits = [gates.new_bit() for _ in range(min(w, width))]
        words.append(bits + [bits[-1]] * (width - len(bits)))
    columns: list[list[int]] = [[] for _ in range(width)]

    def add(bit: int, position: int) -> None:
        if position >= width:
            return
        if bit in columns[position]:  # x + x = 2x
            columns[position].remove(bit)
            add(bit, position + 1)
        else:
            columns[position].append(bit)
            columns[position].sort()

    for word in words:
        for position, bit in enumerate(word):
            add(bit, position)
    rows: list[list[int]] = []
    carry_ins: list[int] = []
    while any(columns):
        rows.append([column.pop(0) if column else 0 for column in columns])
        free = max(len(rows) - 2, 0) - len(carry_ins)
        for position in range(width):
            if 1 << position > free:
                break
            while columns[position] and 1 << position <= free:
                carry_ins += [columns[position].pop(0)] * (1 << position)
                free -= 1 << position
    while len(rows) > 2:
        reduced = []
        for i in range(0, len(rows) - len(rows) % 3, 3):
            sums, carries = zip(*(gates.full_add(*bits) for bits in zip(*rows[i:i + 3])))
            reduced += [list(sums), [carry_ins.pop() if carry_ins else 0, *carries[:-1]]]
        rows = reduced + rows[len(rows) - len(rows) % 3:]
    return gates.xors


@lru_cache(maxsize=None)
def carry_save_adders(operands: tuple[int, ...], width: int, accumulator: bool = False) -> float:
    """Full adders (two XORs each, a half adder counts half) of a fused adder's carry-save
    rows after structural hashing; ``accumulator`` adds a full-width operand ordered first."""
    return _maccmap_xors(operands, width, full_width_operand=accumulator) / 2


@lru_cache(maxsize=None)
def accumulator_carry_save(operands: tuple[int, ...]) -> tuple[float, float]:
    """``(base, per_bit)``: a tree fused into an accumulator of width W costs
    ``base + per_bit * W`` carry-save full adders; linear because each extra accumulator
    bit adds one column whose only distinct bits are the accumulator's."""
    bound = sum(1 << (w - 1) for w in operands)
    start = signed_width(-bound, bound) + 4
    at_start, above = (carry_save_adders(operands, w, accumulator=True) for w in (start, start + 1))
    return at_start - (above - at_start) * start, above - at_start


def reduction_adders(luts: int, leaf_bound: int, registered: list[bool]) -> tuple[int, float, float]:
    """What one column's reduction tree costs in adders: ``(carry-propagate bits, carry-save
    full adders, carry-save full adders per accumulator bit)``; the last is non-zero when
    the tree fuses into the accumulator, whose width the caller multiplies it by."""
    tree, into_acc = fuse_reduction(luts, leaf_bound, registered)
    acc_base, acc_per_bit = accumulator_carry_save(into_acc) if into_acc else (0.0, 0.0)
    return sum(a.width for a in tree), sum(a.carry_save_bits for a in tree) + acc_base, acc_per_bit
