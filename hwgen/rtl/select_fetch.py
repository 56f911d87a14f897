"""The fetch of formats whose key is one signed select (`WeightSpec.signed_select`: Sherry, binary).

The key ``sign << index_bits | index`` picks table entry ``index``, negated when ``sign`` is
set: one `SignedSelect` with every code naming an entry. The core around it is
`hwgen.rtl.lut_core.LutCore`; the numpy reference is `WeightSpec.fetch`.
"""

from amaranth import Module, signed, unsigned
from amaranth.lib import data, wiring
from amaranth.lib.wiring import In, Out

from .signed_select import SignedSelect


class SelectFetch(wiring.Component):
    """``entries:1`` mux by the key's low ``index_bits`` bits, negated by the bit above.

    Parameters
    ----------
    entries : int
        Table entries (Sherry: 16; binary: ``2**(mu-1)``).
    index_bits : int
        Bits of the index below the sign bit.
    entry_width, out_width : int
        Width of one table entry and of the fetched value.
    """

    def __init__(self, entries: int, index_bits: int, entry_width: int, out_width: int):
        self._select = (entries, index_bits, entry_width, out_width)
        super().__init__({
            "entries": In(data.ArrayLayout(signed(entry_width), entries)),
            "key": In(unsigned(index_bits + 1)),
            "values": Out(data.ArrayLayout(signed(out_width), 1)),
        })

    def elaborate(self, platform):
        m = Module()
        m.submodules.select = select = SignedSelect(*self._select)
        m.d.comb += [select.entries.eq(self.entries), select.key.eq(self.key),
                     self.values[0].eq(select.value)]
        return m
