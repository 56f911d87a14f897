"""Fetch: one LUT entry selected by a key, negated by the key's sign bit."""

from amaranth import Array, Module, Mux, Signal, signed, unsigned
from amaranth.lib import data, wiring
from amaranth.lib.wiring import In, Out


class Fetch(wiring.Component):
    """A ``(E+1):1`` mux over the entries (index 0 is the constant zero) and a negator.

    Parameters
    ----------
    entries : int
        Built entries E of the LUT.
    index_bits : int
        Width of the key's index field; the sign bit sits just above it.
    entry_width, out_width : int
        Width of one entry and of the (possibly negated) result.
    """

    def __init__(self, entries: int, index_bits: int, entry_width: int, out_width: int):
        self._index_bits = index_bits
        super().__init__({
            "entries": In(data.ArrayLayout(signed(entry_width), entries)),
            "key": In(unsigned(index_bits + 1)),
            "value": Out(signed(out_width)),
        })

    def elaborate(self, platform):
        m = Module()
        # Index 0 is the zero entry; indices past E (unused codes) also read zero,
        # which keeps the mux a full case.
        unused = (1 << self._index_bits) - 1 - len(self.entries)
        table = Array([0, *self.entries, *([0] * unused)])
        index = self.key[: self._index_bits]
        negate = self.key[self._index_bits]
        selected = Signal.like(self.value, name="selected")
        m.d.comb += selected.eq(table[index])
        m.d.comb += self.value.eq(Mux(negate, -selected, selected))
        return m
