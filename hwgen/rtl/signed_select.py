"""Signed select: one table entry chosen by an index, negated by a sign bit (no zero entry)."""

from amaranth import Array, Module, Mux, Signal, signed, unsigned
from amaranth.lib import data, wiring
from amaranth.lib.wiring import In, Out


class SignedSelect(wiring.Component):
    """``value = (-1)**sign * entries[index]`` for a key ``sign << index_bits | index``.

    Unlike the ternary `Fetch` there is no constant-zero entry: formats whose groups never
    sum to zero (Sherry, +-1 bit-planes) use every code. Indices past ``entries`` read 0.

    Parameters
    ----------
    entries : int
        Table entries E (``1 <= E <= 2**index_bits``).
    index_bits : int
        Width of the index; the sign bit sits just above it (may be 0: one entry).
    entry_width, out_width : int
        Width of one entry and of the (possibly negated) result.
    """

    def __init__(self, entries: int, index_bits: int, entry_width: int, out_width: int):
        if not isinstance(entries, int) or not 1 <= entries <= 1 << index_bits:
            raise TypeError(f"entries must be an integer in 1..{1 << index_bits}, not {entries!r}")
        self._index_bits = index_bits
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
            unused = (1 << self._index_bits) - len(self.entries)
            table = Array([*self.entries, *([0] * unused)])
            m.d.comb += selected.eq(table[self.key[: self._index_bits]])
        negate = self.key[self._index_bits]
        m.d.comb += self.value.eq(Mux(negate, -selected, selected))
        return m
