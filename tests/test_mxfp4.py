"""FP4 / MXFP4 weights: values, the packed checkpoint layout, and the integer constants arrays bake in."""

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from safetensors.numpy import save_file

from hwgen.errors import ConfigError, InputError
from hwgen.hardwired import parse_hardwired
from hwgen.hardwired.config import load_matrix, load_values
from hwgen.weights import mxfp4

#: The E2M1 table as the OCP spec defines it: sign, 2 exponent bits (bias 1), 1 mantissa bit.
def _e2m1(code: int) -> float:
    sign = -1.0 if code & 8 else 1.0
    e, mant = (code >> 1) & 3, code & 1
    return sign * (mant * 0.5 if e == 0 else (1 + mant / 2) * 2.0 ** (e - 1))


def _torch_dequantize(blocks: np.ndarray, scales: np.ndarray) -> torch.Tensor:
    """Independent decode, as transformers' convert_moe_packed_tensors does it (float64 here)."""
    lut = torch.tensor([_e2m1(c) for c in range(16)], dtype=torch.float64)
    b = torch.from_numpy(blocks.astype(np.int64))
    out = torch.empty(b.shape[:-1] + (2 * b.shape[-1],), dtype=torch.float64)
    out[..., 0::2], out[..., 1::2] = lut[b & 0x0F], lut[b >> 4]
    out = torch.ldexp(out, (torch.from_numpy(scales.astype(np.int64)) - 127)[..., None])
    return out.reshape(*b.shape[:-2], -1)


def _packed(rng, rows: int, groups: int, lead=(), scale_range=(120, 132)):
    blocks = rng.integers(0, 256, (*lead, rows, groups, 16), dtype=np.uint8)
    scales = rng.integers(*scale_range, (*lead, rows, groups), dtype=np.uint8)
    return blocks, scales


def test_fp4_table_is_e2m1():
    assert mxfp4.FP4_VALUES.tolist() == [_e2m1(c) for c in range(16)]


def test_dequantize_matches_an_independent_torch_decode():
    blocks, scales = _packed(np.random.default_rng(0), 6, 3, lead=(2,))
    got = mxfp4.dequantize_mxfp4(blocks, scales)
    assert got.shape == (2, 6, 96)
    assert np.array_equal(got, _torch_dequantize(blocks, scales).numpy())


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**16), n=st.integers(1, 80), m=st.integers(1, 6), scale=st.floats(1e-3, 1e3))
def test_quantized_blocks_check_and_become_exact_integer_constants(seed, n, m, scale):
    x = np.random.default_rng(seed).standard_normal((n, m)) * scale
    q = mxfp4.quantize_mxfp4(x)
    assert np.array_equal(mxfp4.check_mxfp4_blocks(q), q)
    c, e = mxfp4.hardwired_constants(q, None)
    assert np.array_equal(np.ldexp(c.astype(np.float64), e[None, :]), q)
    assert np.all((c % 2 == 1) | (c % 3 == 0) | (c % 2 == 0))
    odd = c[c != 0]
    while odd.size and np.any(odd % 2 == 0):
        odd = np.where(odd % 2 == 0, odd // 2, odd)
    assert set(np.abs(odd).tolist()) <= {1, 3}, "every constant is {1, 3} * 2**k"


def test_values_off_the_format_are_input_errors():
    with pytest.raises(InputError, match="not an FP4"):
        mxfp4.fp4_check(np.array([[0.5, 2.5]]))
    block = np.full((32, 1), 0.5)
    block[3, 0] = 0.75  # 0.5 and 0.75 need scales 2**-1 and 2**-2 times FP4 values: 6 * 2**-2 = 1.5 ok,
    block[4, 0] = 6.0   # but 6.0 forces 2**0, where 0.75 is no FP4 value
    with pytest.raises(InputError, match="not FP4 values times one power of two"):
        mxfp4.check_mxfp4_blocks(block)


def test_design_reads_gpt_oss_packed_experts(tmp_path):
    rng = np.random.default_rng(3)
    blocks, scales = _packed(rng, 12, 2, lead=(3,), scale_range=(125, 128))  # 3 experts, out 12, in 64
    save_file({"mlp.experts.down_proj_blocks": blocks, "mlp.experts.down_proj_scales": scales,
               "mlp.router.weight": np.zeros((4, 4), np.float32)}, tmp_path / "model.safetensors")
    raw = {"kind": "hardwired", "weights": "mxfp4", "weights_file": "model.safetensors",
           "tensor": "mlp.experts.down_proj", "expert": 2, "scale_span": 8}
    c = parse_hardwired(raw, base_dir=tmp_path)
    assert (c.workload.n, c.workload.m) == (64, 12)
    w = load_values(c)
    assert np.array_equal(w, _torch_dequantize(blocks[2], scales[2]).numpy().T)
    consts, exps = load_matrix(c)
    assert np.array_equal(np.ldexp(consts.astype(np.float64), exps[None, :]), w)
    with pytest.raises(ConfigError, match="name one expert"):
        parse_hardwired({k: v for k, v in raw.items() if k != "expert"}, base_dir=tmp_path)
    with pytest.raises(InputError, match="no MXFP4 pair"):
        parse_hardwired({**raw, "tensor": "mlp.router.weight"}, base_dir=tmp_path)


def test_scale_span_bounds_the_constants(tmp_path):
    w = np.zeros((64, 2))
    w[0, 0], w[32, 0] = 0.5, 6.0 * 2**6  # two blocks of one neuron 8 exponents apart
    np.save(tmp_path / "W.npy", w)
    raw = {"kind": "hardwired", "weights": "mxfp4", "weights_file": "W.npy"}
    with pytest.raises(InputError, match="neuron 0: .* beyond scale_span 4"):
        load_matrix(parse_hardwired(raw, base_dir=tmp_path))
    consts, _ = load_matrix(parse_hardwired({**raw, "scale_span": 8}, base_dir=tmp_path))
    assert consts[32, 0] == 12 << 6
