"""Bit-exact floating-point multiplier for the MAC baseline's float multiplier variant.

`FpMultiplier(fmt_a, fmt_b, fmt_out)` multiplies two float values of (possibly
different) formats and rounds the exact product once, round to nearest even,
into ``fmt_out``. `sim.float_reference.fp_mul` is its reference (the exact
float64 product rounded by `sim.fpref.round_to_bits`).

Policy (the adder's, `hwgen.fpadd`, where it applies)
------------------------------------------------------
- NaN in, or ``inf * 0``: the canonical NaN of ``fmt_out``.
- ``inf * x`` (x non-zero, not NaN): infinity with the product's sign
  (``fmt_out`` fp8_e4m3, which has none: +-448, saturation).
- Finite products: the exact product rounded once (RNE), with gradual underflow
  (a product below half the smallest subnormal rounds to a signed zero);
  overflow gives infinity (fp8_e4m3: saturates to +-448). The sign of a zero
  product is the xor of the operand signs.
"""

from __future__ import annotations

from amaranth.hdl import Cat, Const, Module, Mux, Signal, signed
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from .formats import ActivationFormat
from .fpadd import canonical_nan, float_format, has_infinity, infinity_bits, max_finite_bits, shift_right
from .fpconv import leading_zeros

__all__ = ["FpMultiplier"]


class FpMultiplier(wiring.Component):
    """Combinational ``a * b`` rounded into ``fmt_out`` (policy in the module doc).

    Parameters
    ----------
    fmt_a, fmt_b, fmt_out : ActivationFormat or str
        Float formats of the operands and of the result.
    """

    def __init__(self, fmt_a: ActivationFormat | str, fmt_b: ActivationFormat | str,
                 fmt_out: ActivationFormat | str):
        self._fa, self._fb, self._fo = float_format(fmt_a), float_format(fmt_b), float_format(fmt_out)
        super().__init__({"a": In(self._fa.width), "b": In(self._fb.width), "result": Out(self._fo.width)})

    def elaborate(self, platform):
        m = Module()
        fa, fb, fo = self._fa, self._fb, self._fo

        def unpack(bits, f):
            E, M, W = f.exponent_bits, f.mantissa_bits, f.width
            exp, man = bits[M: W - 1], bits[:M]
            if has_infinity(f):
                nan = (exp == (1 << E) - 1) & (man != 0)
                inf = (exp == (1 << E) - 1) & (man == 0)
            else:
                nan, inf = bits[: W - 1] == (1 << (W - 1)) - 1, Const(0, 1)
            zero = bits[: W - 1] == 0
            sig = Cat(man, exp != 0)
            lsb_exp = Mux(exp == 0, 1, exp) - ((1 << (E - 1)) - 1) - M  # exponent of the significand LSB
            return bits[W - 1], nan, inf, zero, sig, lsb_exp

        sa, nan_a, inf_a, zero_a, sig_a, le_a = unpack(self.a, fa)
        sb, nan_b, inf_b, zero_b, sig_b, le_b = unpack(self.b, fb)
        sign = sa ^ sb
        is_nan = nan_a | nan_b | (inf_a & zero_b) | (inf_b & zero_a)
        is_inf = inf_a | inf_b

        EXP = 12  # signed exponent arithmetic width: every format here is within +-2^10
        NP = len(sig_a) + len(sig_b)
        prod = Signal(NP, name="prod")
        m.d.comb += prod.eq(sig_a * sig_b)
        e_lsb = Signal(signed(EXP), name="e_lsb")
        m.d.comb += e_lsb.eq(le_a + le_b)
        lz = leading_zeros(m, prod, "lz")
        e = Signal(signed(EXP), name="e")  # unbiased exponent of the leading one
        m.d.comb += e.eq(e_lsb + (NP - 1) - lz)

        Eo, Mo, Wo = fo.exponent_bits, fo.mantissa_bits, fo.width
        bias_o = (1 << (Eo - 1)) - 1
        emin = 1 - bias_o
        # LSB exponent of the result significand, and the right shift taking prod there
        t = Signal(signed(EXP), name="t")
        m.d.comb += t.eq(Mux(e < emin, emin, e) - Mo)
        S0 = Mo + 2  # pre-shift so that left shifts become right shifts
        NX = NP + S0
        x = Cat(Const(0, S0), prod)
        r = Signal(signed(EXP), name="r")
        m.d.comb += r.eq(t - e_lsb + S0)
        rr = Signal(range(NX + 1), name="rr")
        m.d.comb += rr.eq(Mux(r > NX, NX, Mux(r < 0, 0, r)))
        y = Signal(2 * NX, name="y")
        m.d.comb += y.eq(shift_right(Cat(Const(0, NX), x), rr))  # not `>>`: see hwgen.fpadd
        far = r > NX  # everything is below the round bit: sticky only
        q = Signal(Mo + 2, name="q")
        rnd = Signal(name="rnd")
        sticky = Signal(name="sticky")
        m.d.comb += [
            q.eq(Mux(far, 0, y[NX:])),
            rnd.eq(Mux(far, 0, y[NX - 1])),
            sticky.eq(Mux(far, x != 0, y[: NX - 1] != 0)),
        ]
        round_up = rnd & (sticky | q[0])
        field = Signal(signed(EXP), name="field")
        m.d.comb += field.eq(Mux(q[Mo], e + bias_o, 0))
        big = field > (1 << Eo) - 1
        packed = Signal(Eo + Mo + 2, name="packed")
        m.d.comb += packed.eq(Cat(q[:Mo], field[: Eo + 1]) + round_up)

        max_finite = max_finite_bits(fo)
        overflow = infinity_bits(fo) if has_infinity(fo) else max_finite
        with m.If(is_nan):
            m.d.comb += self.result.eq(canonical_nan(fo))
        with m.Elif(is_inf):
            m.d.comb += self.result.eq(Cat(Const(overflow, Wo - 1), sign))
        with m.Elif(zero_a | zero_b):
            m.d.comb += self.result.eq(Cat(Const(0, Wo - 1), sign))
        with m.Elif(big | (packed > max_finite)):
            m.d.comb += self.result.eq(Cat(Const(overflow, Wo - 1), sign))
        with m.Else():
            m.d.comb += self.result.eq(Cat(packed[: Wo - 1], sign))
        return m
