"""Bit-plane fetch: ``b`` +-1 plane look-ups combined by shift-and-add.

See `hwgen.weights.bitplane`: plane ``k`` of the key selects ``+-P_k`` from the
``2**(mu-1)``-entry +-1 table; the value is ``sum_k 2**k * (+-P_k)`` (Horner, most
significant plane first, ``b - 1`` adders). The column's correction (subtract the tree
sum of the entry-0 values, halve) is in `hwgen.rtl.lut_core`.
"""

from amaranth import Module, Signal, signed, unsigned
from amaranth.lib import data, wiring
from amaranth.lib.wiring import In, Out

from ..formats import signed_width
from .signed_select import SignedSelect


class BitplaneFetch(wiring.Component):
    """``values[0] = sum_k 2**k * select(key plane k)``.

    Parameters
    ----------
    bits : int
        Planes b (weight bits).
    mu : int
        Activations per group; each plane key is ``mu`` bits.
    entry_width : int
        Width of one table entry.
    entry_bound : int
        Largest entry magnitude; sizes every partial sum exactly.
    """

    def __init__(self, bits: int, mu: int, entry_width: int, entry_bound: int):
        if not isinstance(bits, int) or bits < 1:
            raise TypeError(f"bits must be a positive integer, not {bits!r}")
        self._bits, self._mu, self._entry_width, self._bound = bits, mu, entry_width, entry_bound
        out_bound = ((1 << bits) - 1) * entry_bound
        super().__init__({
            "entries": In(data.ArrayLayout(signed(entry_width), 2 ** (mu - 1))),
            "key": In(unsigned(bits * mu)),
            "values": Out(data.ArrayLayout(signed(signed_width(-out_bound, out_bound)), 1)),
        })

    def elaborate(self, platform):
        m = Module()
        mu, bound = self._mu, self._bound
        total, total_bound = None, 0
        for k in reversed(range(self._bits)):
            width = signed_width(-bound, bound)
            select = SignedSelect(2 ** (mu - 1), mu - 1, self._entry_width, width)
            m.submodules[f"plane{k}"] = select
            m.d.comb += [select.entries.eq(self.entries), select.key.eq(self.key[k * mu:(k + 1) * mu])]
            if total is None:
                total, total_bound = select.value, bound
            else:
                total_bound = 2 * total_bound + bound
                acc = Signal(signed(signed_width(-total_bound, total_bound)), name=f"horner{k}")
                m.d.comb += acc.eq((total << 1) + select.value)
                total = acc
        m.d.comb += self.values[0].eq(total)
        return m
