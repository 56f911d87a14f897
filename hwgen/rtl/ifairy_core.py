"""iFairy fetch: a complex entry selected by index, rotated by ``i**e_0`` (swap and negate).

See `hwgen.weights.ifairy` for the key and the table layout (``Re`` entries, then ``Im``
entries). Multiplying by +-1, +-i costs no multiplier: the rotation is one 2:1 swap mux
and a conditional negator per part.
"""

from amaranth import Array, Module, Mux, Signal, signed, unsigned
from amaranth.lib import data, wiring
from amaranth.lib.wiring import In, Out


class IfairyFetch(wiring.Component):
    """``values = (re, im)`` of ``i**key[0:2] * C[key >> 2]``.

    Parameters
    ----------
    mu : int
        Complex activations per group; the table has ``2 * 4**(mu-1)`` real entries.
    entry_width, out_width : int
        Width of one real table entry and of each output part.
    """

    def __init__(self, mu: int, entry_width: int, out_width: int):
        if not isinstance(mu, int) or mu < 1:
            raise TypeError(f"mu must be a positive integer, not {mu!r}")
        self._mu = mu
        super().__init__({
            "entries": In(data.ArrayLayout(signed(entry_width), 2 * 4 ** (mu - 1))),
            "key": In(unsigned(2 * mu)),
            "values": Out(data.ArrayLayout(signed(out_width), 2)),
        })

    def elaborate(self, platform):
        m = Module()
        q = 4 ** (self._mu - 1)
        re = Signal.like(self.values[0], name="re")
        im = Signal.like(self.values[1], name="im")
        if self._mu == 1:
            m.d.comb += [re.eq(self.entries[0]), im.eq(self.entries[1])]
        else:
            index = self.key[2:]
            m.d.comb += [re.eq(Array(self.entries[i] for i in range(q))[index]),
                         im.eq(Array(self.entries[q + i] for i in range(q))[index])]
        rot = self.key[:2]
        swap, neg_re, neg_im = rot[0], rot[0] ^ rot[1], rot[1]
        out_re = Signal.like(re, name="swapped_re")
        out_im = Signal.like(im, name="swapped_im")
        m.d.comb += [out_re.eq(Mux(swap, im, re)), out_im.eq(Mux(swap, re, im))]
        m.d.comb += [self.values[0].eq(Mux(neg_re, -out_re, out_re)),
                     self.values[1].eq(Mux(neg_im, -out_im, out_im))]
        return m
