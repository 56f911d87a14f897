"""`sim.fpref` (the adder's reference model) against PyTorch and against hand-worked corners.

PyTorch's result is one rounding of a float32 sum: float16/bfloat16 tensors add
in float32 and round once; float8 tensors have no CPU add kernel (torch 2.13:
"add_stub not implemented for 'Float8_e4m3fn'"), so ``(a.float() + b.float())``
is cast back. That float32 sum is exact for fp8_e4m3 (tested below); for the
others it may be inexact but is innocuously double-rounded (24 >= 2q + 2 for
q = 3, 8, 11), so every torch result here is the correctly rounded sum. NaN
results are compared as NaN-ness only: the reference gives the canonical NaN,
torch's NaN sign and payload depend on the CPU.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from hwgen.errors import InputError
from hwgen.formats import ACTIVATIONS
from hwgen.fpadd import canonical_nan
from sim.fpref import corner_operands, fp_add, from_bits, round_to_bits, special_values, to_bits

TORCH = {
    "fp8_e4m3": torch.float8_e4m3fn,
    "fp8_e5m2": torch.float8_e5m2,
    "fp16": torch.float16,
    "bf16": torch.bfloat16,
}
FP8 = ("fp8_e4m3", "fp8_e5m2")
FP16 = ("fp16", "bf16")


def _torch_view(bits: np.ndarray, fmt: str) -> torch.Tensor:
    bits = np.asarray(bits, dtype=np.uint16)
    if ACTIVATIONS[fmt].width == 8:
        return torch.from_numpy(bits.astype(np.uint8)).view(TORCH[fmt])
    return torch.from_numpy(bits.view(np.int16).copy()).view(TORCH[fmt])


def _torch_bits(t: torch.Tensor, fmt: str) -> np.ndarray:
    if ACTIVATIONS[fmt].width == 8:
        return t.view(torch.uint8).numpy().astype(np.uint16)
    return t.view(torch.int16).numpy().view(np.uint16)


def torch_add(a: np.ndarray, b: np.ndarray, fmt: str, sub) -> np.ndarray:
    """PyTorch's single-rounded ``a +- b`` on bit patterns."""
    ta, tb = _torch_view(a, fmt), _torch_view(b, fmt)
    neg = torch.from_numpy(np.broadcast_to(np.asarray(sub, dtype=bool), a.shape).copy())
    if ACTIVATIONS[fmt].width == 8:
        fa, fb = ta.float(), tb.float()
        return _torch_bits(torch.where(neg, fa - fb, fa + fb).to(TORCH[fmt]), fmt)
    return _torch_bits(torch.where(neg, ta - tb, ta + tb), fmt)


def assert_same(a, b, sub, got, want, fmt):
    """Bit-equal, except that a NaN only has to be a NaN in ``want`` (torch) and canonical in ``got``."""
    want_nan = np.isnan(from_bits(want, fmt))
    bad = (got != want) & ~want_nan
    bad |= want_nan & (got != canonical_nan(fmt))
    if np.any(bad):
        i = np.flatnonzero(bad)[0]
        s = np.broadcast_to(np.asarray(sub, dtype=bool), a.shape)
        op = "-" if s[i] else "+"
        pytest.fail(f"{fmt}: {int(bad.sum())} of {a.size} differ; first: 0x{a[i]:04x} {op} 0x{b[i]:04x} -> "
                    f"reference 0x{got[i]:04x}, torch 0x{want[i]:04x}")


def all_pairs_8bit() -> tuple[np.ndarray, np.ndarray]:
    a, b = np.meshgrid(np.arange(256, dtype=np.uint16), np.arange(256, dtype=np.uint16))
    return a.ravel(), b.ravel()


# ----------------------------------------------------------------------------
# Against PyTorch


@pytest.mark.parametrize("sub", [False, True])
@pytest.mark.parametrize("fmt", FP8)
def test_fp8_exhaustive_vs_torch(fmt, sub):
    a, b = all_pairs_8bit()
    assert_same(a, b, sub, fp_add(a, b, fmt, sub=sub), torch_add(a, b, fmt, sub), fmt)


def test_fp8_e4m3_float32_sum_is_exact():
    """The premise that torch rounds once for e4m3: every float32 sum of two e4m3 values is exact."""
    a, b = all_pairs_8bit()
    fa, fb = from_bits(a, "fp8_e4m3"), from_bits(b, "fp8_e4m3")
    ok = ~np.isnan(fa) & ~np.isnan(fb)
    exact = fa[ok] + fb[ok]
    assert np.array_equal((fa[ok].astype(np.float32) + fb[ok].astype(np.float32)).astype(np.float64), exact)


@pytest.mark.parametrize("fmt", ["fp8_e4m3", "fp8_e5m2", "fp16"])
def test_float64_sum_is_exact(fmt):
    """The reference's premise: a float64 sum of two fp8/fp16 values is exact (TwoSum error is zero)."""
    if ACTIVATIONS[fmt].width == 8:
        a, b = all_pairs_8bit()
    else:
        sv = special_values(fmt)
        a = np.concatenate([np.repeat(sv, sv.size), np.arange(1 << 16, dtype=np.uint16)])
        b = np.concatenate([np.tile(sv, sv.size), np.arange(1 << 16, dtype=np.uint16)[::-1]])
    x, y = from_bits(a, fmt), from_bits(b, fmt)
    ok = np.isfinite(x) & np.isfinite(y)
    x, y = x[ok], y[ok]
    s = x + y
    bb = s - x
    err = (x - (s - bb)) + (y - bb)  # Knuth's TwoSum: the exact rounding error of s
    assert np.all(err == 0)


@pytest.mark.parametrize("fmt", FP16)
def test_16bit_random_vs_torch(fmt):
    rng = np.random.default_rng(2024)
    a, b = rng.integers(0, 1 << 16, (2, 1_000_000), dtype=np.uint16)
    sub = rng.integers(0, 2, a.size).astype(bool)
    assert_same(a, b, sub, fp_add(a, b, fmt, sub=sub), torch_add(a, b, fmt, sub), fmt)


@pytest.mark.parametrize("fmt", (*FP8, *FP16))
def test_corners_vs_torch(fmt):
    a, b = corner_operands(fmt, count=20_000, seed=3)
    for sub in (False, True):
        assert_same(a, b, sub, fp_add(a, b, fmt, sub=sub), torch_add(a, b, fmt, sub), fmt)


def _operands(fmt):
    return st.one_of(st.sampled_from(special_values(fmt).tolist()), st.integers(0, (1 << 16) - 1))


@pytest.mark.parametrize("fmt", FP16)
def test_16bit_property_vs_torch(fmt):
    @settings(max_examples=800, deadline=None, derandomize=True)
    @given(a=_operands(fmt), b=_operands(fmt), sub=st.booleans())
    def check(a, b, sub):
        a_, b_ = np.array([a], np.uint16), np.array([b], np.uint16)
        assert_same(a_, b_, sub, fp_add(a_, b_, fmt, sub=sub), torch_add(a_, b_, fmt, sub), fmt)

    check()


@pytest.mark.parametrize("fmt", (*FP8, *FP16))
def test_rounding_vs_torch_cast(fmt):
    """`round_to_bits` (the reference's only rounding) against torch's float32 -> format cast."""
    rng = np.random.default_rng(11)
    x = rng.integers(0, 1 << 32, 500_000, dtype=np.uint64).astype(np.uint32).view(np.float32)
    with np.errstate(invalid="ignore"):  # signalling NaNs among the random patterns
        got = round_to_bits(x.astype(np.float64), fmt)
    want = _torch_bits(torch.from_numpy(x).to(TORCH[fmt]), fmt)
    bits = x.view(np.uint32)
    assert_same(bits, np.zeros_like(bits), False, got, want, fmt)


# ----------------------------------------------------------------------------
# Hand-worked corners (independent of torch)


CASES = [
    # fmt, a, op, b, expected, what
    ("fp16", 0x3C00, "+", 0x1000, 0x3C00, "1 + 2^-11: tie, to even (down)"),
    ("fp16", 0x3C01, "+", 0x1000, 0x3C02, "(1 + 2^-10) + 2^-11: tie, to even (up)"),
    ("fp16", 0x3C00, "+", 0x1001, 0x3C01, "just above the tie rounds up"),
    ("fp16", 0x3C00, "-", 0x3BFF, 0x1000, "1 - (1 - 2^-11) = 2^-11: cancellation, exact"),
    ("fp16", 0x7BFF, "+", 0x4C00, 0x7C00, "65504 + 16: tie at the overflow threshold -> inf"),
    ("fp16", 0x7BFF, "+", 0x4800, 0x7BFF, "65504 + 8 rounds back to 65504"),
    ("fp16", 0x03FF, "+", 0x0001, 0x0400, "largest subnormal + smallest = smallest normal"),
    ("fp16", 0x0001, "-", 0x0002, 0x8001, "subnormal difference, gradual underflow"),
    ("fp16", 0x0401, "-", 0x0400, 0x0001, "normal - normal = smallest subnormal"),
    ("fp16", 0x3C00, "-", 0x3C00, 0x0000, "x - x = +0"),
    ("fp16", 0xBC00, "+", 0x3C00, 0x0000, "(-x) + x = +0"),
    ("fp16", 0x8000, "+", 0x8000, 0x8000, "(-0) + (-0) = -0"),
    ("fp16", 0x0000, "+", 0x8000, 0x0000, "(+0) + (-0) = +0"),
    ("fp16", 0x8000, "-", 0x0000, 0x8000, "(-0) - (+0) = -0"),
    ("fp16", 0x7C00, "-", 0x7C00, 0x7E00, "inf - inf = canonical NaN"),
    ("fp16", 0x7C00, "+", 0x7C00, 0x7C00, "inf + inf = inf"),
    ("fp16", 0xFC00, "+", 0x7BFF, 0xFC00, "-inf + max = -inf"),
    ("fp16", 0xFE01, "+", 0x3C00, 0x7E00, "NaN payload and sign are not propagated"),
    ("fp16", 0x7C01, "-", 0x7C00, 0x7E00, "signalling NaN -> canonical quiet NaN"),
    ("bf16", 0x3F80, "+", 0x3B80, 0x3F80, "1 + 2^-8: tie, to even"),
    ("bf16", 0x3F80, "-", 0x3F7F, 0x3B80, "1 - (1 - 2^-8) = 2^-8"),
    ("bf16", 0x0001, "+", 0x0001, 0x0002, "2^-133 + 2^-133"),
    ("bf16", 0x7F7F, "+", 0x7F7F, 0x7F80, "max + max -> inf"),
    ("bf16", 0x7F7F, "+", 0x0001, 0x7F7F, "max + 2^-133: the smaller operand is only sticky"),
    ("bf16", 0x3F80, "+", 0x0001, 0x3F80, "1 + 2^-133"),
    ("bf16", 0xFFC1, "+", 0x0000, 0x7FC0, "any NaN -> canonical"),
    ("fp8_e5m2", 0x7B, "+", 0x6C, 0x7C, "57344 + 4096 = 61440: tie, to even = inf"),
    ("fp8_e5m2", 0x7B, "+", 0x68, 0x7B, "57344 + 2048 rounds back"),
    ("fp8_e5m2", 0x7C, "-", 0x7C, 0x7E, "inf - inf = canonical NaN"),
    ("fp8_e5m2", 0x01, "-", 0x02, 0x81, "subnormal difference"),
    ("fp8_e4m3", 0x7E, "+", 0x7E, 0x7E, "448 + 448 saturates to 448"),
    ("fp8_e4m3", 0xFE, "-", 0x60, 0xFE, "-448 - 32 saturates to -448"),
    ("fp8_e4m3", 0x7E, "+", 0x40, 0x7E, "448 + 2 rounds back to 448"),
    ("fp8_e4m3", 0x78, "+", 0x78, 0x7E, "256 + 256 = 512 saturates"),
    ("fp8_e4m3", 0x77, "+", 0x58, 0x78, "240 + 16 = 256: a normal in the all-ones-exponent binade"),
    ("fp8_e4m3", 0x79, "+", 0x60, 0x7A, "288 + 32 = 320 = S.1111.010, still finite"),
    ("fp8_e4m3", 0xFF, "+", 0x00, 0x7F, "NaN (-) -> canonical 0x7F"),
    ("fp8_e4m3", 0x01, "+", 0x81, 0x00, "2^-9 - 2^-9 = +0"),
]


@pytest.mark.parametrize("fmt,a,op,b,expected,what", CASES, ids=[c[-1] for c in CASES])
def test_hand_worked(fmt, a, op, b, expected, what):
    got = int(fp_add(np.array([a]), np.array([b]), fmt, sub=op == "-")[0])
    assert got == expected, f"{fmt} 0x{a:04x} {op} 0x{b:04x}: got 0x{got:04x}, want 0x{expected:04x} ({what})"


# ----------------------------------------------------------------------------
# to_bits / from_bits


@pytest.mark.parametrize("fmt", (*FP8, *FP16))
def test_bits_roundtrip_every_pattern(fmt):
    bits = np.arange(1 << ACTIVATIONS[fmt].width, dtype=np.uint16)
    values = from_bits(bits, fmt)
    back = to_bits(values, fmt)
    nan = np.isnan(values)
    assert np.array_equal(back[~nan], bits[~nan])
    assert np.all(back[nan] == canonical_nan(fmt))
    assert np.array_equal(values[~nan].astype(np.float32).astype(np.float64), values[~nan])  # float32 holds all
    # torch decodes the same patterns to the same values
    tv = _torch_view(bits, fmt).to(torch.float64).numpy()
    assert np.array_equal(np.isnan(tv), nan) and np.array_equal(tv[~nan], values[~nan])


def test_to_bits_from_float16_array():
    bits = np.arange(1 << 16, dtype=np.uint16)
    values = bits.view(np.float16)
    ok = ~np.isnan(values)
    assert np.array_equal(to_bits(values, "fp16")[ok], bits[ok])


@pytest.mark.parametrize(
    "fmt,value",
    [("fp16", 0.1), ("fp16", 65520.0), ("fp16", 2.0**-25), ("bf16", 1.0 + 2.0**-9),
     ("fp8_e4m3", 449.0), ("fp8_e4m3", float("inf")), ("fp8_e4m3", 2.0**-10), ("fp8_e5m2", 1.125)],
)
def test_to_bits_rejects_unrepresentable(fmt, value):
    with pytest.raises(InputError, match=f"{value!r}.*{fmt}|{fmt}.*{value!r}"):
        to_bits(np.array([1.0, value]), fmt)


def test_to_bits_rejects_non_float_and_from_bits_range():
    with pytest.raises(InputError, match="dtype"):
        to_bits(np.array(["1.0"]), "fp16")
    with pytest.raises(InputError, match="256"):
        from_bits(np.array([1, 256]), "fp8_e5m2")
    with pytest.raises(TypeError, match="[Ff]ormat"):
        fp_add(np.array([1]), np.array([1]), "int8")


def test_special_values_inf_and_nan():
    assert to_bits(np.array([np.inf, -np.inf, np.nan]), "fp16").tolist() == [0x7C00, 0xFC00, 0x7E00]
    assert to_bits(np.array([np.nan, 448.0, -448.0]), "fp8_e4m3").tolist() == [0x7F, 0x7E, 0xFE]
    assert to_bits(np.array([-0.0, 0.0]), "bf16").tolist() == [0x8000, 0x0000]
