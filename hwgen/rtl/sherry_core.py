"""Sherry fetch: the 5-bit packed 3:4 group selects one of 16 entries and a sign.

See `hwgen.weights.sherry` for the key. The LUT build is the 20-adder graph of the 16
three-term sums; the core around it is `hwgen.rtl.format_core.FormatCore`.
"""

from amaranth import Module, signed, unsigned
from amaranth.lib import data, wiring
from amaranth.lib.wiring import In, Out

from .signed_select import SignedSelect


class SherryFetch(wiring.Component):
    """16:1 mux by the key's low 4 bits, negated by bit 4.

    Parameters
    ----------
    entry_width, out_width : int
        Width of one table entry and of the fetched value.
    """

    def __init__(self, entry_width: int, out_width: int):
        self._widths = (entry_width, out_width)
        super().__init__({
            "entries": In(data.ArrayLayout(signed(entry_width), 16)),
            "key": In(unsigned(5)),
            "values": Out(data.ArrayLayout(signed(out_width), 1)),
        })

    def elaborate(self, platform):
        m = Module()
        m.submodules.select = select = SignedSelect(16, 4, *self._widths)
        m.d.comb += [select.entries.eq(self.entries), select.key.eq(self.key),
                     self.values[0].eq(select.value)]
        return m
