"""Signed select: one table entry chosen by an index, negated by a sign bit.

The ternary LUT core's fetch (index 0 reads a constant zero: the all-zero weight group)
and the other formats' fetches (every code names an entry) are this one block.
"""

from amaranth import Array, Module, Mux, Signal, signed, unsigned
from amaranth.lib import data, wiring
from amaranth.lib.wiring import In, Out


class SignedSelect(wiring.Component):
    """``value = (-1)**sign * table[index]`` for a key ``sign << index_bits | index``.

    ``table`` is the entries, after a constant zero at index 0 when ``zero_entry`` (the
    ternary LUT, whose groups can sum to zero); formats whose groups never sum to zero
    (Sherry, +-1 bit-planes) use every code. Indices past the table read 0, which keeps
    the mux a full case.

    Parameters
    ----------
    entries : int
        Table entries E (``1 <= E + zero_entry <= 2**index_bits``).
    index_bits : int
        Width of the index; the sign bit sits just above it (may be 0: one entry).
    entry_width, out_width : int
        Width of one entry and of the (possibly negated) result.
    zero_entry : bool
        Index 0 reads a constant zero and entry ``i`` sits at index ``i + 1``.
    """

    def __init__(self, entries: int, index_bits: int, entry_width: int, out_width: int,
                 zero_entry: bool = False):
        if not isinstance(entries, int) or not 1 <= entries + int(zero_entry) <= 1 << index_bits or entries < 1:
            raise TypeError(f"entries must be an integer in 1..{(1 << index_bits) - int(zero_entry)}, "
                            f"not {entries!r}")
        self._index_bits = index_bits
        self._zero_entry = zero_entry
        super().__init__({
            "entries": In(data.ArrayLayout(signed(entry_width), entries)),
            "key": In(unsigned(index_bits + 1)),
            "value": Out(signed(out_width)),
        })

    def elaborate(self, platform):
        m = Module()
        selected = Signal.like(self.value, name="selected")
        if self._index_bits == 0:
            m.d.comb += selected.eq(self.entries[0])
        else:
            lead = [0] if self._zero_entry else []
            unused = (1 << self._index_bits) - len(lead) - len(self.entries)
            table = Array([*lead, *self.entries, *([0] * unused)])
            m.d.comb += selected.eq(table[self.key[: self._index_bits]])
        negate = self.key[self._index_bits]
        m.d.comb += self.value.eq(Mux(negate, -selected, selected))
        return m
