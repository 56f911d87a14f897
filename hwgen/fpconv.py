"""Exact widening of a float format into a wider one (fp8 -> fp16 / bf16), for wide accumulation.

`FpWiden(narrow, wide)` converts bit patterns of ``narrow`` into the pattern of
the same value in ``wide``; `hwgen.formats.widens` says which pairs hold every
value exactly, so no rounding is ever needed. Policy, as `hwgen.fpadd`: signed
zeros and infinities keep their sign, every NaN becomes ``wide``'s canonical
NaN, subnormals of ``narrow`` become normals (or subnormals) of ``wide``.
`sim.float_reference.fp_widen` is the reference.
"""

from __future__ import annotations

from amaranth.hdl import Cat, Const, Module, Mux, Signal, signed
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from .formats import ActivationFormat, widens
from .fpadd import canonical_nan, float_format, has_infinity, infinity_bits, shift_left, shift_right

__all__ = ["FpWiden", "leading_zeros"]


def leading_zeros(m: Module, value, name: str) -> Signal:
    """Count of leading zeros of ``value`` (its width when zero), as a combinational signal."""
    n = len(value)
    lzc = Signal(range(n + 1), name=name)
    count = n
    for i in range(n):  # a priority chain of muxes: the highest set bit is outermost
        count = Mux(value[i], n - 1 - i, count)
    m.d.comb += lzc.eq(count)
    return lzc


class FpWiden(wiring.Component):
    """Combinational exact conversion ``narrow`` -> ``wide``.

    Parameters
    ----------
    narrow, wide : ActivationFormat or str
        Float formats with ``widens(narrow, wide)``; equal formats give a wire.

    Raises
    ------
    TypeError
        If a format is not a float format or ``wide`` cannot hold ``narrow`` exactly.
    """

    def __init__(self, narrow: ActivationFormat | str, wide: ActivationFormat | str):
        narrow, wide = float_format(narrow), float_format(wide)
        if not widens(narrow.name, wide.name):
            raise TypeError(f"Format {wide.name} does not hold every {narrow.name} value, not a widening")
        self._narrow, self._wide = narrow, wide
        super().__init__({"a": In(narrow.width), "result": Out(wide.width)})

    def elaborate(self, platform):
        m = Module()
        n, w = self._narrow, self._wide
        if n == w:
            m.d.comb += self.result.eq(self.a)
            return m
        En, Mn, Wn = n.exponent_bits, n.mantissa_bits, n.width
        Ew, Mw, Ww = w.exponent_bits, w.mantissa_bits, w.width
        bias_n, bias_w = (1 << (En - 1)) - 1, (1 << (Ew - 1)) - 1
        sign = self.a[Wn - 1]
        exp, man = self.a[Mn: Wn - 1], self.a[:Mn]
        if has_infinity(n):
            is_nan = (exp == (1 << En) - 1) & (man != 0)
            is_inf = (exp == (1 << En) - 1) & (man == 0)
        else:
            is_nan = self.a[: Wn - 1] == (1 << (Wn - 1)) - 1
            is_inf = Const(0, 1)
        sig = Cat(man, exp != 0)  # Mn + 1 bits
        lz = leading_zeros(m, sig, "lz")
        # unbiased exponent of the leading one, then the wide biased exponent
        e_w = Signal(signed(max(En, Ew) + 3), name="e_w")
        m.d.comb += e_w.eq(Mux(exp == 0, 1, exp) - bias_n - lz + bias_w)
        norm = Signal(Mn + 1, name="norm")
        m.d.comb += norm.eq(shift_left(sig, lz))  # leading one at bit Mn (not `<<`: see hwgen.fpadd)
        frac = Cat(Const(0, Mw - Mn), norm[:Mn])  # Mw bits
        sub_shift = Signal(range(Mw + 2), name="sub_shift")
        m.d.comb += sub_shift.eq(Mux(e_w < 1, 1 - e_w, 0))
        sub_man = Signal(Mw, name="sub_man")
        m.d.comb += sub_man.eq(shift_right(Cat(frac, Const(1, 1)), sub_shift))  # exact: wide holds the value
        with m.If(is_nan):
            m.d.comb += self.result.eq(canonical_nan(w))
        if has_infinity(n):  # (a constant-false branch would make Verilator see overlapping cases)
            with m.Elif(is_inf):
                m.d.comb += self.result.eq(Cat(Const(infinity_bits(w), Ww - 1), sign))
        with m.Elif(sig == 0):
            m.d.comb += self.result.eq(Cat(Const(0, Ww - 1), sign))
        with m.Elif(e_w < 1):
            m.d.comb += self.result.eq(Cat(sub_man, Const(0, Ew), sign))
        with m.Else():
            m.d.comb += self.result.eq(Cat(frac, e_w[:Ew], sign))
        return m
