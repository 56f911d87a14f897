"""Bit-exact floating-point adder for the float activation formats.

`FpAdder` adds (or subtracts) two values of one of the float formats of
`hwgen.formats.ACTIVATIONS` with a single IEEE-754 round-to-nearest-even
rounding. `sim.fpref.fp_add` is its bit-exact Python reference, and the
policy below is shared by both (the constants come from the functions of this
module, so there is one definition of the canonical NaN and of the overflow
behaviour).

Policy
------
- **Rounding**: round to nearest, ties to even, once, on the exact sum.
- **Subnormals**: supported fully (gradual underflow), as IEEE-754. Inputs are
  never flushed and subnormal results are produced. The sum of two values of a
  format is a multiple of the smallest subnormal, so a non-zero exact sum never
  rounds to zero.
- **Zeros**: ``x + (-x) = +0``; ``(-0) + (-0) = -0``; ``(+0) + (-0) = +0``.
  ``a - b`` is ``a + (-b)`` with ``-b`` the sign flip of ``b``, so
  ``(-0) - (+0) = -0`` and ``x - x = +0``.
- **NaN**: any NaN input, and ``inf - inf``, give the format's one canonical
  quiet NaN (`canonical_nan`): sign 0, exponent all ones, mantissa MSB set and
  the rest zero (fp16 ``0x7E00``, bf16 ``0x7FC0``, fp8_e5m2 ``0x7E``), and for
  fp8_e4m3 its only NaN encoding ``0x7F``. Input NaN payloads and signs are not
  propagated.
- **Infinities** (fp16, bf16, fp8_e5m2): propagate with their sign; a finite
  result whose rounded magnitude exceeds the largest finite value overflows to
  infinity of the result's sign (IEEE RNE overflow).
- **fp8_e4m3** is OCP FP8 E4M3FN: no infinities, ``S.1111.111`` is NaN (the
  only NaN), ``S.1111.000``-``S.1111.110`` are normal numbers, the largest is
  448. Overflow *saturates*: a result that rounds above 448 gives ``+-448``
  (sign kept). This is what PyTorch does (``torch.float8_e4m3fn``, 2.13: a
  float32 sum cast back saturates every finite overflow, and even ``+-inf``, to
  ``+-448``, and only a NaN becomes NaN), and it is OCP's saturating
  conversion mode.

Pipelining
----------
``pipeline`` register stages, each gated by ``en``; latency is ``pipeline``
cycles of ``en`` high. The datapath is unpack/compare/swap/align, add,
normalize (leading-zero count and shift), round/pack. Registers go after these
points: ``pipeline=1``: after the add; ``2``: after the alignment and after the
add; ``3``: after the alignment, the add and the normalization; more than 3
adds the extra stages at the output (for the synthesis tool to retime).
"""

from __future__ import annotations

from amaranth.hdl import Cat, Const, Module, Mux, Signal, Value
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from .formats import ACTIVATIONS, ActivationFormat

__all__ = [
    "FpAdder",
    "float_format",
    "has_infinity",
    "canonical_nan",
    "max_finite_bits",
    "infinity_bits",
    "STAGE_POINTS",
    "shift_right",
    "shift_left",
]

# ----------------------------------------------------------------------------
# Variable shifts as explicit logarithmic shifters
#
# The float units write their variable shifts through these instead of Amaranth's
# ``>>`` / ``<<``. Both give the same function (zero fill, the operand's width), but
# ``>>`` by a signal becomes a Yosys ``$shr``/``$shl`` cell, which Yosys's ``share``
# pass (run by ``synth``) tries to merge with every other shift of the design. For
# that it enumerates the mux conditions under which each shift's result is used,
# following the combinational logic up to the next register: through two chained
# float adders (a reduction tree level feeding the accumulator adder in one pipeline
# stage) that is ~290,000 patterns per shift, and ``share`` alone took 87 s and
# 3.9 GB (fp16 MAC, 2x2) or 2:45 and 7.2 GB (fp16 LUT core, mu=2 L=2 K=4) in Yosys
# 0.23 while finding nothing to share (every shift is in use every cycle). Written
# as stages of 2:1 muxes, the same logarithmic shifter Yosys's own techmap makes of
# a ``$shr``, there is no cell for ``share`` to consider.


def _log_shift(value, amount, left: bool):
    value = Value.cast(value)
    n = len(value)
    out = value
    for i in range(len(amount)):
        step = 1 << i
        if step >= n:
            shifted = Const(0, n)
        elif left:
            shifted = Cat(Const(0, step), out[: n - step])
        else:
            shifted = Cat(out[step:], Const(0, step))
        out = Mux(amount[i], shifted, out)
    return out


def shift_right(value, amount):
    """``value >> amount`` (unsigned ``amount``, zero fill, ``len(value)`` bits) as a
    logarithmic shifter of 2:1 muxes (why: the comment above)."""
    return _log_shift(value, amount, left=False)


def shift_left(value, amount):
    """``(value << amount)[:len(value)]`` (unsigned ``amount``) as a logarithmic
    shifter of 2:1 muxes (why: the comment above)."""
    return _log_shift(value, amount, left=True)


#: Where register stages go, by pipeline depth (beyond 3: the rest at the output).
STAGE_POINTS = {
    0: (),
    1: ("add",),
    2: ("align", "add"),
    3: ("align", "add", "normalize"),
}


# ----------------------------------------------------------------------------
# Policy constants (shared with the reference model)


def float_format(fmt: ActivationFormat | str) -> ActivationFormat:
    """The float `ActivationFormat` for ``fmt`` (a format or its name)."""
    if isinstance(fmt, str):
        if fmt not in ACTIVATIONS:
            raise TypeError(f"Format must be one of {sorted(ACTIVATIONS)}, not {fmt!r}")
        fmt = ACTIVATIONS[fmt]
    if not isinstance(fmt, ActivationFormat) or not fmt.is_float:
        floats = sorted(k for k, v in ACTIVATIONS.items() if v.is_float)
        raise TypeError(f"Format must be a float activation format ({', '.join(floats)}), not {fmt!r}")
    return fmt


def has_infinity(fmt: ActivationFormat | str) -> bool:
    """False for fp8_e4m3 (OCP E4M3FN: no infinities, only NaN at exponent all ones)."""
    fmt = float_format(fmt)
    return not (fmt.exponent_bits == 4 and fmt.mantissa_bits == 3)


def canonical_nan(fmt: ActivationFormat | str) -> int:
    """The one NaN bit pattern the adder produces (positive, quiet)."""
    fmt = float_format(fmt)
    e, m = fmt.exponent_bits, fmt.mantissa_bits
    if not has_infinity(fmt):
        return (1 << (e + m)) - 1
    return (((1 << e) - 1) << m) | (1 << (m - 1))


def infinity_bits(fmt: ActivationFormat | str) -> int | None:
    """Bit pattern of +inf, or None when the format has none."""
    fmt = float_format(fmt)
    if not has_infinity(fmt):
        return None
    return ((1 << fmt.exponent_bits) - 1) << fmt.mantissa_bits


def max_finite_bits(fmt: ActivationFormat | str) -> int:
    """Bit pattern of the largest finite positive value (448 for fp8_e4m3)."""
    fmt = float_format(fmt)
    e, m = fmt.exponent_bits, fmt.mantissa_bits
    if not has_infinity(fmt):
        return (1 << (e + m)) - 2
    return (((1 << e) - 2) << m) | ((1 << m) - 1)


# ----------------------------------------------------------------------------
# The adder


class FpAdder(wiring.Component):
    """Floating-point adder/subtractor, round to nearest even (policy in the module doc).

    Parameters
    ----------
    fmt : ActivationFormat or str
        A float format of `hwgen.formats.ACTIVATIONS` (``fp8_e4m3``,
        ``fp8_e5m2``, ``bf16``, ``fp16``) or its name.
    pipeline : int
        Register stages (latency in cycles); 0 is purely combinational.

    Attributes
    ----------
    a, b : In(width)
        Operand bit patterns.
    sub : In(1)
        Compute ``a - b`` instead of ``a + b``.
    result : Out(width)
        The rounded sum, ``pipeline`` enabled cycles after its operands.
    en : In(1), only when ``pipeline > 0``
        Advances every stage register when high; low stalls the whole
        pipeline (initial value 1, so an unconnected ``en`` runs freely).

    Raises
    ------
    TypeError
        If ``fmt`` is not a float format or ``pipeline`` is not a non-negative integer.
    """

    def __init__(self, fmt: ActivationFormat | str, pipeline: int = 0):
        fmt = float_format(fmt)
        if not isinstance(pipeline, int) or isinstance(pipeline, bool) or pipeline < 0:
            raise TypeError(f"Pipeline depth must be a non-negative integer, not {pipeline!r}")
        self._fmt = fmt
        self._pipeline = pipeline
        members = {
            "a": In(fmt.width),
            "b": In(fmt.width),
            "sub": In(1),
            "result": Out(fmt.width),
        }
        if pipeline > 0:
            members["en"] = In(1, init=1)
        super().__init__(members)

    @property
    def fmt(self) -> ActivationFormat:
        return self._fmt

    @property
    def pipeline(self) -> int:
        return self._pipeline

    @property
    def latency(self) -> int:
        return self._pipeline

    def _stage(self, m: Module, point: str, values: dict) -> dict:
        """Register ``values`` (gated by ``en``) if a stage sits at ``point``, else pass them on."""
        points = STAGE_POINTS[min(self._pipeline, 3)]
        if point not in points:
            return values
        out = {}
        for name, value in values.items():
            reg = Signal.like(value, name=f"{point}_{name}")
            with m.If(self.en):
                m.d.sync += reg.eq(value)
            out[name] = reg
        return out

    def elaborate(self, platform):
        m = Module()
        fmt = self._fmt
        E, M, W = fmt.exponent_bits, fmt.mantissa_bits, fmt.width
        N = M + 4  # hidden bit, mantissa, guard, round, sticky
        exp_ones = (1 << E) - 1
        with_inf = has_infinity(fmt)

        # --- Unpack, classify, compare/swap, align -------------------------
        sa = self.a[W - 1]
        sb = self.b[W - 1] ^ self.sub  # subtraction is a sign flip of b
        mag_a = self.a[: W - 1]
        mag_b = self.b[: W - 1]

        def classify(mag):
            exp, man = mag[M:], mag[:M]
            if with_inf:
                return (exp == exp_ones) & (man != 0), (exp == exp_ones) & (man == 0)
            return mag == (1 << (W - 1)) - 1, Const(0, 1)

        nan_a, inf_a = classify(mag_a)
        nan_b, inf_b = classify(mag_b)
        eff_sub = sa ^ sb

        is_nan = Signal()
        is_inf = Signal()
        inf_sign = Signal()
        m.d.comb += [
            is_nan.eq(nan_a | nan_b | (inf_a & inf_b & eff_sub)),
            is_inf.eq(inf_a | inf_b),
            inf_sign.eq(Mux(inf_a, sa, sb)),
        ]

        swap = mag_b > mag_a
        mag_big = Signal(W - 1)
        mag_small = Signal(W - 1)
        sign_big = Signal()
        m.d.comb += [
            mag_big.eq(Mux(swap, mag_b, mag_a)),
            mag_small.eq(Mux(swap, mag_a, mag_b)),
            sign_big.eq(Mux(swap, sb, sa)),
        ]

        def effective(mag):
            exp, man = mag[M:], mag[:M]
            normal = exp != 0
            return Mux(normal, exp, 1), Cat(man, normal)  # effective exponent, significand

        exp_big, sig_big = effective(mag_big)
        exp_small, sig_small = effective(mag_small)

        dist = Signal(E)
        m.d.comb += dist.eq(exp_big - exp_small)  # >= 0 since |big| >= |small|
        shift = Signal(range(N + 1))
        m.d.comb += shift.eq(Mux(dist > N, N, dist))
        # small significand with 3 zero guard bits, above N zero bits that catch what shifts out
        wide = Signal(2 * N)
        m.d.comb += wide.eq(shift_right(Cat(Const(0, N + 3), sig_small), shift))
        small_aligned = Signal(N)
        m.d.comb += small_aligned.eq(wide[N:] | (wide[:N] != 0))  # sticky into bit 0

        s1 = self._stage(m, "align", {
            "is_nan": is_nan, "is_inf": is_inf, "inf_sign": inf_sign,
            "sign": sign_big, "zero_sign": sa & sb, "eff_sub": eff_sub,
            "exp": exp_big, "big": Cat(Const(0, 3), sig_big), "small": small_aligned,
        })

        # --- Add -------------------------------------------------------------
        total = Signal(N + 1)
        m.d.comb += total.eq(Mux(s1["eff_sub"], s1["big"] - s1["small"], s1["big"] + s1["small"]))

        s2 = self._stage(m, "add", {
            "is_nan": s1["is_nan"], "is_inf": s1["is_inf"], "inf_sign": s1["inf_sign"],
            "sign": s1["sign"], "zero_sign": s1["zero_sign"], "exp": s1["exp"], "total": total,
        })

        # --- Normalize -------------------------------------------------------
        tot = s2["total"]
        low = tot[:N]
        lzc = Signal(range(N + 1))
        m.d.comb += lzc.eq(N)
        for i in range(N):  # the highest set bit assigns last and wins
            with m.If(low[i]):
                m.d.comb += lzc.eq(N - 1 - i)
        # shift left by lzc, but not below the minimum exponent (gradual underflow)
        left = Signal(range(N + 1))
        m.d.comb += left.eq(Mux(lzc < s2["exp"], lzc, s2["exp"] - 1))
        norm = Signal(N)
        exp_norm = Signal(E + 1)
        with m.If(tot[N]):  # carry out: shift right by one, keep the sticky
            m.d.comb += [
                norm.eq(Cat(tot[1] | tot[0], tot[2 : N + 1])),
                exp_norm.eq(s2["exp"] + 1),
            ]
        with m.Else():
            m.d.comb += [
                norm.eq(shift_left(low, left)),
                exp_norm.eq(s2["exp"] - left),
            ]
        exp_field = Signal(E + 1)
        m.d.comb += exp_field.eq(Mux(norm[N - 1], exp_norm, 0))  # no hidden bit: subnormal/zero

        s3 = self._stage(m, "normalize", {
            "is_nan": s2["is_nan"], "is_inf": s2["is_inf"], "inf_sign": s2["inf_sign"],
            "sign": s2["sign"], "zero_sign": s2["zero_sign"], "exp_field": exp_field, "norm": norm,
        })

        # --- Round (RNE) and pack ---------------------------------------------
        nrm = s3["norm"]
        lsb, guard, sticky = nrm[3], nrm[2], nrm[1] | nrm[0]
        round_up = guard & (sticky | lsb)
        # exponent:mantissa as one integer, so a mantissa carry bumps the exponent
        packed = Signal(E + M + 2)
        m.d.comb += packed.eq(Cat(nrm[3 : 3 + M], s3["exp_field"]) + round_up)

        max_finite = max_finite_bits(fmt)
        result = Signal(W)
        with m.If(s3["is_nan"]):
            m.d.comb += result.eq(canonical_nan(fmt))
        with m.Elif(s3["is_inf"]):
            m.d.comb += result.eq(Cat(Const(infinity_bits(fmt) or 0, W - 1), s3["inf_sign"]))
        with m.Elif(packed == 0):  # exact cancellation (or two zeros)
            m.d.comb += result.eq(Cat(Const(0, W - 1), s3["zero_sign"]))
        with m.Elif(packed > max_finite):
            overflow = infinity_bits(fmt) if with_inf else max_finite  # e4m3fn saturates
            m.d.comb += result.eq(Cat(Const(overflow, W - 1), s3["sign"]))
        with m.Else():
            m.d.comb += result.eq(Cat(packed[: W - 1], s3["sign"]))

        # extra stages beyond the three datapath points sit at the output
        for i in range(self._pipeline - 3):
            reg = Signal(W, name=f"out_{i}")
            with m.If(self.en):
                m.d.sync += reg.eq(result)
            result = reg
        m.d.comb += self.result.eq(result)
        return m
