"""FP4 (E2M1) and MXFP4 weights: values, packed checkpoint layout, and hardwired constants.

FP4 E2M1 has 16 codes, ``sign << 3 | exponent << 1 | mantissa``: magnitudes
0, 0.5, 1, 1.5, 2, 3, 4, 6 (OCP Microscaling spec v1.0; transformers' ``FP4_VALUES``
in ``integrations/mxfp4.py`` lists them in this code order). MXFP4 adds one E8M0
scale per block of 32 consecutive elements along the reduction axis:
``value = fp4(code) * 2**(scale - 127)``.

Released checkpoints (gpt-oss) store a Linear-like weight ``(..., out, in)`` as two
uint8 tensors: ``<name>_blocks`` of shape ``(..., out, in/32, 16)`` (two codes per
byte, the element with the even index in the low nibble) and ``<name>_scales`` of
shape ``(..., out, in/32)``. `dequantize_mxfp4` is the per-tensor function a general
checkpoint reader calls; `read_mxfp4` finds and decodes the pair given any tensor reader
(`hwgen.checkpoint.Checkpoint.tensor` for files and model directories).

With integer activations a hardwired array needs integers: every FP4 value is
``{1, 3} * 2**k / 2``, so ``2 * fp4`` is an integer in [-12, 12], and within one neuron
(output column) a (value, block exponent) pair is one integer constant
``value * 2**-e`` for the neuron's smallest exponent ``e`` (`hardwired_constants`).
"""

from __future__ import annotations

import numpy as np

from ..errors import InputError

__all__ = ["FP4_VALUES", "FP4_MAGNITUDES", "MX_BLOCK", "E8M0_BIAS", "fp4_decode", "fp4_check",
           "unpack_nibbles", "dequantize_mxfp4", "read_mxfp4", "mxfp4_names", "check_mxfp4_blocks",
           "quantize_fp4", "quantize_mxfp4", "hardwired_constants", "constant_alphabet"]

#: FP4 E2M1 value of each 4-bit code (code 8 is -0).
FP4_VALUES = np.array([0.0, 0.5, 1.0, 1.5, 2.0, 3.0, 4.0, 6.0,
                       -0.0, -0.5, -1.0, -1.5, -2.0, -3.0, -4.0, -6.0])
#: Non-zero magnitudes of ``2 * fp4``: the integer constants of an FP4 weight.
FP4_MAGNITUDES = (1, 2, 3, 4, 6, 8, 12)
MX_BLOCK = 32
E8M0_BIAS = 127
_BLOCK_SUFFIXES = (("_blocks", "_scales"), (".blocks", ".scales"))


def fp4_decode(codes: np.ndarray) -> np.ndarray:
    """float64 values of FP4 codes (0..15)."""
    return FP4_VALUES[np.asarray(codes, dtype=np.uint8) & 0xF]


def fp4_check(values: np.ndarray, name: str = "weights") -> np.ndarray:
    """``values`` as float64 after checking each is exactly an FP4 E2M1 value (else `InputError`)."""
    v = np.asarray(values)
    if v.dtype.kind not in "fiu":
        raise InputError(f"{name}: FP4 weights must be numbers, not {v.dtype}")
    v = v.astype(np.float64)
    bad = ~np.isin(np.abs(v), FP4_VALUES[:8])
    if np.any(bad):
        idx = tuple(int(i) for i in np.argwhere(bad)[0])
        raise InputError(f"{name}: value {v[idx]!r} at {list(idx)} is not an FP4 (E2M1) value "
                         f"(0, 0.5, 1, 1.5, 2, 3, 4, 6 and negatives)")
    return v


def unpack_nibbles(blocks: np.ndarray) -> np.ndarray:
    """Codes ``(..., G, 32)`` from packed bytes ``(..., G, 16)``: low nibble first."""
    b = np.asarray(blocks, dtype=np.uint8)
    out = np.empty(b.shape[:-1] + (2 * b.shape[-1],), dtype=np.uint8)
    out[..., 0::2] = b & 0x0F
    out[..., 1::2] = b >> 4
    return out


def dequantize_mxfp4(blocks: np.ndarray, scales: np.ndarray) -> np.ndarray:
    """float64 ``(..., rows, G * 32)`` from packed ``blocks (..., rows, G, 16)`` and ``scales (..., rows, G)``.

    Exact: every value is an FP4 value times a power of two (float64 holds E8M0's range).
    """
    blocks, scales = np.asarray(blocks), np.asarray(scales)
    if blocks.dtype != np.uint8 or scales.dtype != np.uint8:
        raise InputError(f"MXFP4 blocks and scales must be uint8, not {blocks.dtype} / {scales.dtype}")
    if blocks.ndim < 3 or blocks.shape[-1] != MX_BLOCK // 2 or blocks.shape[:-1] != scales.shape:
        raise InputError(f"MXFP4 blocks {blocks.shape} and scales {scales.shape} do not match "
                         f"(expected (..., rows, G, {MX_BLOCK // 2}) and (..., rows, G))")
    if np.any(scales == 0xFF):
        raise InputError("MXFP4 scale 0xFF (NaN) in the tensor")
    vals = fp4_decode(unpack_nibbles(blocks)) * np.exp2(scales.astype(np.float64) - E8M0_BIAS)[..., None]
    return vals.reshape(blocks.shape[:-2] + (blocks.shape[-2] * MX_BLOCK,))


def mxfp4_names(header_names, name: str) -> tuple[str, str]:
    """The ``(blocks, scales)`` tensor names stored for weight ``name`` (``_blocks`` or ``.blocks``)."""
    names = set(header_names)
    for b, s in _BLOCK_SUFFIXES:
        if name + b in names and name + s in names:
            return name + b, name + s
    raise InputError(f"no MXFP4 pair {name}_blocks / {name}_scales in the file "
                     f"(it holds {', '.join(sorted(names)[:6])}...)")


def read_mxfp4(read_tensor, header_names, name: str, expert: int | None = None
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(W (N, M) float64, blocks, scales)`` of the packed MXFP4 weight ``name``.

    ``read_tensor(tensor_name) -> ndarray`` reads one stored tensor (the caller's
    safetensors reader); ``expert`` picks one expert of a stacked ``(E, out, G, 16)``
    tensor. The stored layout is ``(out, in)``; the result is ``(in, out)`` = ``(N, M)``.
    """
    bname, sname = mxfp4_names(header_names, name)
    blocks, scales = read_tensor(bname), read_tensor(sname)
    if expert is not None:
        if blocks.ndim != 4 or not 0 <= expert < blocks.shape[0]:
            raise InputError(f"{name}: 'expert: {expert}' needs a stacked (E, out, G, 16) tensor with "
                             f"E > {expert}; it is {blocks.shape}")
        blocks, scales = blocks[expert], scales[expert]
    if blocks.ndim != 3:
        raise InputError(f"{name}: blocks {blocks.shape} hold {blocks.ndim - 3} leading axes; "
                         "name one expert with 'expert:'")
    return dequantize_mxfp4(blocks, scales).T, blocks, scales


def check_mxfp4_blocks(values: np.ndarray, block: int = MX_BLOCK, name: str = "weights") -> np.ndarray:
    """``values (N, M)`` as float64 after checking each ``block`` of a column is FP4 times one power of two.

    The smallest scale that fits the block's largest magnitude (``<= 6 * 2**e``) is the
    one to try: any larger scale that works also works scaled down to it.
    """
    v = np.asarray(values)
    if v.dtype.kind not in "fiu":
        raise InputError(f"{name}: MXFP4 weights must be numbers, not {v.dtype}")
    v = v.astype(np.float64)
    if not np.all(np.isfinite(v)):
        raise InputError(f"{name}: MXFP4 weights must be finite")
    n, m = v.shape
    pad = (-n) % block
    vb = np.concatenate([v, np.zeros((pad, m))]).reshape(-1, block, m)
    amax = np.abs(vb).max(axis=1)
    e = np.where(amax > 0, np.ceil(np.log2(np.where(amax > 0, amax, 1.0) / 6.0)), 0.0)
    scaled = vb / np.exp2(e)[:, None, :]
    bad = ~np.isin(np.abs(scaled), FP4_VALUES[:8])
    if np.any(bad):
        g, r, j = (int(x) for x in np.argwhere(bad)[0])
        raise InputError(f"{name}: column {j}, rows {g * block}..{g * block + block - 1} are not FP4 values "
                         f"times one power of two (an MXFP4 block of {block}); first bad value "
                         f"{vb[g, r, j]!r} at row {g * block + r}")
    return v


def quantize_fp4(x: np.ndarray) -> np.ndarray:
    """Nearest FP4 value of each float (ties to the smaller magnitude); saturates at +-6."""
    mags = FP4_VALUES[:8]
    a = np.abs(np.asarray(x, dtype=np.float64))
    idx = np.abs(a[..., None] - mags).argmin(axis=-1)
    return np.sign(x) * mags[idx]


def quantize_mxfp4(x: np.ndarray, block: int = MX_BLOCK) -> np.ndarray:
    """MXFP4 values of ``x (N, M)``: per block of ``block`` rows of a column, the OCP shared exponent
    ``floor(log2 amax) - 2`` and nearest FP4 values (saturating)."""
    x = np.asarray(x, dtype=np.float64)
    n, m = x.shape
    pad = (-n) % block
    xb = np.concatenate([x, np.zeros((pad, m))]).reshape(-1, block, m)
    amax = np.abs(xb).max(axis=1)
    e = np.where(amax > 0, np.floor(np.log2(np.where(amax > 0, amax, 1.0))) - 2, 0.0)
    q = quantize_fp4(xb / np.exp2(e)[:, None, :]) * np.exp2(e)[:, None, :]
    return q.reshape(-1, m)[:n]


def constant_alphabet(scale_span: int) -> tuple[int, ...]:
    """Magnitudes of the integer constants ``2 * fp4 * 2**k`` for block exponent offsets ``k < scale_span``."""
    return tuple(sorted({c << k for c in FP4_MAGNITUDES for k in range(scale_span)}))


def hardwired_constants(values: np.ndarray, fixed_exponent: int | None) -> tuple[np.ndarray, np.ndarray]:
    """Integer constants ``C (N, M)`` and exponents ``e (M,)`` with ``values[:, j] == C[:, j] * 2**e[j]``.

    ``fixed_exponent`` (FP4: -1) uses one exponent for every column; ``None`` takes, per
    column, the exponent of its least significant non-zero value (every FP4-times-power-
    of-two value is ``{1, 3} * 2**p``), so the constants are as small as they can be.
    """
    v = np.asarray(values, dtype=np.float64)
    m = v.shape[1]
    if fixed_exponent is not None:
        e = np.full(m, fixed_exponent, dtype=np.int64)
    else:
        mant, p = np.frexp(np.where(v != 0, np.abs(v), 1.0))
        low = p - np.where(mant == 0.5, 1, 2)  # 1 * 2**(p-1) or 3 * 2**(p-2)
        e = np.where(np.any(v != 0, axis=0), np.where(v != 0, low, np.iinfo(np.int64).max).min(axis=0), 0)
        e = e.astype(np.int64)
    c = np.ldexp(v, -e[None, :])
    assert np.array_equal(c, np.round(c)), "hardwired constants must be integers"
    return c.astype(np.int64), e
