"""Bit-exact reference of `hwgen.fpadd.FpAdder`, vectorized over bit patterns.

The policy (RNE, gradual underflow, one canonical NaN, overflow to infinity,
fp8_e4m3 as OCP E4M3FN that saturates at +-448) is documented in
`hwgen.fpadd`; its constants (`canonical_nan`, `max_finite_bits`, ...) are
imported from there, the arithmetic is not: this module decodes to float64,
adds in float64 and rounds to the target with its own numpy RNE rounding, so it
is independent of both the RTL and PyTorch.

Why one float64 addition then one rounding is the correctly rounded sum
-----------------------------------------------------------------------
- fp8_e4m3, fp8_e5m2, fp16: every value is a multiple of the smallest
  subnormal (2^-9, 2^-16, 2^-24) and below 2^9, 2^16, 2^16; the exact sum is
  such a multiple below 2^10, 2^17, 2^17, which needs at most 19, 33, 41
  significant bits <= 53. The float64 sum is exact, so the only rounding is ours.
- bf16: operands span 2^-133 .. 2^128, so the float64 sum is not always exact
  (exponents more than ~45 apart). But double rounding is innocuous for
  addition when the intermediate precision p and the target precision q satisfy
  p >= 2q + 2 (Figueroa, "When is double rounding innocuous?", 1995):
  53 >= 2*8 + 2. Directly: the float64 sum is inexact only when the smaller
  operand is below 2^-45 of the larger, and then the exact sum is nowhere near a
  bf16 rounding boundary (half a bf16 ulp away from the larger operand, which
  lies on the bf16 grid), so both round the same way. No float64 overflow or
  underflow is possible (bf16 range is within float64's).
- A result in the subnormal range is exact (sums of multiples of the smallest
  subnormal), so gradual underflow never rounds.
"""

from __future__ import annotations

import numpy as np

from hwgen.errors import InputError
from hwgen.formats import ActivationFormat
from hwgen.fpadd import canonical_nan, float_format, has_infinity, infinity_bits, max_finite_bits

__all__ = ["fp_add", "to_bits", "from_bits", "round_to_bits", "special_values", "corner_operands"]


def _check_bits(bits, fmt: ActivationFormat, name: str) -> np.ndarray:
    arr = np.asarray(bits)
    if arr.dtype.kind not in "iu":
        raise InputError(f"{name} must be integer bit patterns of {fmt.name}, got dtype {arr.dtype}")
    arr = arr.astype(np.int64)
    bad = (arr < 0) | (arr >= (1 << fmt.width))
    if np.any(bad):
        idx = tuple(int(i) for i in np.argwhere(bad)[0])
        raise InputError(f"{name} holds {arr[idx].item()} at {idx}, not a {fmt.width}-bit {fmt.name} pattern")
    return arr


def from_bits(bits, fmt: ActivationFormat | str) -> np.ndarray:
    """Bit patterns (any integer dtype) -> float64 values (NaN for every NaN pattern)."""
    fmt = float_format(fmt)
    b = _check_bits(bits, fmt, "bits")
    E, M, W = fmt.exponent_bits, fmt.mantissa_bits, fmt.width
    bias = (1 << (E - 1)) - 1
    sign = (b >> (W - 1)) & 1
    exp = (b >> M) & ((1 << E) - 1)
    man = b & ((1 << M) - 1)
    sig = np.where(exp == 0, man, man | (1 << M)).astype(np.float64)
    value = np.ldexp(sig, np.maximum(exp, 1) - bias - M)
    if has_infinity(fmt):
        top = exp == (1 << E) - 1
        value = np.where(top & (man == 0), np.inf, value)
        value = np.where(top & (man != 0), np.nan, value)
    else:
        value = np.where((b & ((1 << (W - 1)) - 1)) == (1 << (W - 1)) - 1, np.nan, value)
    return np.where(sign == 1, -value, value)


def round_to_bits(values, fmt: ActivationFormat | str) -> np.ndarray:
    """Round float64 values to ``fmt`` (RNE) under the adder's policy -> uint16 patterns.

    NaN -> canonical NaN; overflow (and +-inf) -> +-inf, or +-max (448) for fp8_e4m3.
    """
    fmt = float_format(fmt)
    x = np.asarray(values, dtype=np.float64)
    E, M, W = fmt.exponent_bits, fmt.mantissa_bits, fmt.width
    bias = (1 << (E - 1)) - 1
    emin = 1 - bias

    nan = np.isnan(x)
    inf = np.isinf(x)
    ax = np.abs(np.where(nan | inf, 0.0, x))
    nonzero = ax > 0
    safe = np.where(nonzero, ax, 1.0)
    _, e2 = np.frexp(safe)  # safe = f * 2**e2 with f in [0.5, 1)
    exp = np.maximum(e2.astype(np.int64) - 1, emin)
    sig = np.rint(np.ldexp(safe, M - exp))  # exact scaling, RNE to an integer significand
    sig = np.where(nonzero, sig, 0.0).astype(np.int64)
    carry = sig >= (1 << (M + 1))  # rounded up to the next binade
    sig = np.where(carry, sig >> 1, sig)
    exp = exp + carry
    normal = sig >= (1 << M)
    exp_field = np.where(normal, exp + bias, 0)
    mag = (exp_field << M) | (sig & ((1 << M) - 1))

    max_mag = max_finite_bits(fmt)
    over_mag = infinity_bits(fmt) if has_infinity(fmt) else max_mag
    mag = np.where((mag > max_mag) | inf, over_mag, mag)
    bits = (np.signbit(x).astype(np.int64) << (W - 1)) | mag
    bits = np.where(nan, canonical_nan(fmt), bits)
    return bits.astype(np.uint16)


def fp_add(a_bits, b_bits, fmt: ActivationFormat | str, sub=False) -> np.ndarray:
    """``a + b`` (or ``a - b`` where ``sub``) on bit patterns, exactly as `FpAdder` computes it.

    ``sub`` is a bool or an array broadcasting with the operands. Returns uint16 patterns.
    """
    fmt = float_format(fmt)
    a = from_bits(a_bits, fmt)
    b = from_bits(b_bits, fmt)
    b = np.where(np.asarray(sub, dtype=bool), -b, b)
    with np.errstate(invalid="ignore", over="ignore"):
        total = a + b  # exact for fp8/fp16, innocuously double-rounded for bf16 (module doc)
    return round_to_bits(total, fmt)


def to_bits(values, fmt: ActivationFormat | str) -> np.ndarray:
    """Float values (float16/32/64) exactly representable in ``fmt`` -> uint16 bit patterns.

    NaN maps to the canonical NaN, +-inf to infinity where the format has one.

    Raises
    ------
    InputError
        Naming the first value (and its index) that ``fmt`` cannot represent exactly.
    """
    fmt = float_format(fmt)
    arr = np.asarray(values)
    if arr.dtype.kind not in "fiu":
        raise InputError(f"values for {fmt.name} must be a float array, got dtype {arr.dtype}")
    x = arr.astype(np.float64)
    bits = round_to_bits(x, fmt)
    back = from_bits(bits, fmt)
    ok = (back == x) | (np.isnan(back) & np.isnan(x))
    if not has_infinity(fmt):
        ok &= ~np.isinf(x)
    if not np.all(ok):
        idx = tuple(int(i) for i in np.argwhere(~ok)[0]) if x.ndim else ()
        raise InputError(f"value {arr[idx].item()!r} at {idx} is not representable in {fmt.name}")
    return bits


def special_values(fmt: ActivationFormat | str) -> np.ndarray:
    """Bit patterns of the format's corner values and their negatives.

    Zeros, smallest/middle/largest subnormal, smallest normals, 1 and its
    neighbours, the largest finite values, infinity and two NaNs (where the
    format has them).
    """
    fmt = float_format(fmt)
    E, M, W = fmt.exponent_bits, fmt.mantissa_bits, fmt.width
    bias = (1 << (E - 1)) - 1
    one = bias << M
    top = max_finite_bits(fmt)
    mags = [0, 1, 1 << (M - 1), (1 << M) - 1, 1 << M, (1 << M) + 1, (2 << M) - 1,
            one - 1, one, one + 1, top - 1, top]
    if has_infinity(fmt):
        mags += [infinity_bits(fmt), canonical_nan(fmt), infinity_bits(fmt) | 1]
    else:
        mags += [canonical_nan(fmt)]
    mags = np.array(mags, dtype=np.int64)
    return np.concatenate([mags, mags | (1 << (W - 1))]).astype(np.uint16)


def corner_operands(fmt: ActivationFormat | str, count: int = 4096, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Directed operand pairs ``(a, b)`` that stress an adder, as uint16 patterns.

    Every pair of `special_values`, then ``count`` structured random pairs per
    class: exponents 0..M+4 apart with random signs (alignment, guard/round/
    sticky, ties, cancellation), near-equal magnitudes (massive cancellation),
    the top binades (overflow) and the bottom binades (subnormal results).
    """
    fmt = float_format(fmt)
    E, M, W = fmt.exponent_bits, fmt.mantissa_bits, fmt.width
    rng = np.random.default_rng(seed)
    sv = special_values(fmt).astype(np.int64)
    pa, pb = np.meshgrid(sv, sv)
    out_a, out_b = [pa.ravel()], [pb.ravel()]
    top_exp = (1 << E) - 2 if has_infinity(fmt) else (1 << E) - 1

    def pack(sign, exp, man):
        return (sign << (W - 1)) | (exp << M) | man

    def rsign(n):
        return rng.integers(0, 2, n)

    def rman(n):
        return rng.integers(0, 1 << M, n)

    n = count
    # exponents d apart (0..M+4): alignment, rounding and ties, cancellation
    ea = rng.integers(1, top_exp + 1, n)
    eb = np.maximum(ea - rng.integers(0, M + 5, n), 0)
    out_a.append(pack(rsign(n), ea, rman(n)))
    out_b.append(pack(rsign(n), eb, rman(n)))
    # ties: b is exactly half an ulp of a, or half an ulp plus one more bit
    ea = rng.integers(M + 2, top_exp + 1, n)
    out_a.append(pack(rsign(n), ea, rman(n)))
    out_b.append(pack(rsign(n), ea - M - 1, rng.choice([0, 1, 1 << (M - 1)], n)))
    # near-equal magnitudes, opposite signs: massive cancellation into subnormals
    a = pack(rsign(n), rng.integers(0, top_exp + 1, n), rman(n))
    out_a.append(a)
    out_b.append(a ^ (1 << (W - 1)) ^ rng.integers(0, 1 << min(M + 2, W - 1), n))
    # top binades: overflow to infinity / saturation
    out_a.append(pack(rsign(n), rng.integers(top_exp - 1, top_exp + 1, n), rman(n)))
    out_b.append(pack(rsign(n), rng.integers(top_exp - M - 2, top_exp + 1, n), rman(n)))
    # bottom binades: subnormal and min-normal results
    out_a.append(pack(rsign(n), rng.integers(0, 3, n), rman(n)))
    out_b.append(pack(rsign(n), rng.integers(0, 3, n), rman(n)))
    a = np.concatenate(out_a).astype(np.uint16)
    b = np.concatenate(out_b).astype(np.uint16)
    return a, b
