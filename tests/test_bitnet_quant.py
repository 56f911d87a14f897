"""BitNet b1.58 quantization (`hwgen.formats`) against exact rational arithmetic and transformers.

The reference is the rule itself, evaluated with Python integers: weights
``clamp(round_half_even(W / max(mean|W|, 1e-5)), -1, 1)``, activations
``clamp(round_half_even(127 x / max(max|x|, 1e-5)), -128, 127)`` per token. Each
dtype gets 10^6 random values plus constructed exact .5 ties.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest

from hwgen import formats


def to_bf16(x: np.ndarray) -> np.ndarray:
    """float32 array holding the bf16 values nearest to ``x`` (round half to even)."""
    u = np.asarray(x, dtype=np.float32).view(np.uint32).astype(np.uint64)
    u = (u + 0x7FFF + ((u >> 16) & 1)) & 0xFFFF0000
    return u.astype(np.uint32).view(np.float32)


def exact_round_ratio(num: np.ndarray, den: np.ndarray, factor: int) -> np.ndarray:
    """round_half_even(factor * num / den) in Python integers (object arrays), elementwise."""
    num, den = np.broadcast_arrays(np.asarray(num, np.float64), np.asarray(den, np.float64))
    ratios = [(a.as_integer_ratio(), b.as_integer_ratio()) for a, b in zip(num.ravel().tolist(), den.ravel().tolist())]
    p = np.array([factor * an * bd for (an, ad), (bn, bd) in ratios], dtype=object)
    q = np.array([bn * ad for (an, ad), (bn, bd) in ratios], dtype=object)  # > 0: den > 0
    floor = p // q
    twice_rem = 2 * (p - floor * q)
    up = (twice_rem > q) | ((twice_rem == q) & (floor % 2 == 1))
    return (floor + up.astype(np.int64)).astype(np.int64).reshape(num.shape)


def exact_weights(w: np.ndarray) -> np.ndarray:
    """Reference ternary codes of one matrix: the scale as a float64 (the rule's mean), the rounding exact."""
    scale = max(float(np.mean(np.abs(np.asarray(w, np.float64)))), 1e-5)
    return np.clip(exact_round_ratio(w, np.float64(scale), 1), -1, 1)


def exact_activations(x: np.ndarray) -> np.ndarray:
    m = np.maximum(np.max(np.abs(np.asarray(x, np.float64)), axis=-1, keepdims=True), 1e-5)
    return np.clip(exact_round_ratio(x, m, 127), -128, 127)


def weight_matrices(dtype_round) -> list[np.ndarray]:
    """10^6 random weights (sigma 0.025, 4 matrices) and two matrices of exact ties."""
    rng = np.random.default_rng(17)
    mats = [dtype_round(rng.normal(0, 0.025, (500, 500)).astype(np.float32)) for _ in range(4)]
    # mean |W| exactly 1 (pairs 0.5 / 1.5): every +-0.5 is an exact tie of W / scale
    pairs = rng.choice([0.5, 1.5], size=(256, 128))
    tie = np.concatenate([pairs, 2.0 - pairs], axis=1) * rng.choice([-1.0, 1.0], size=(256, 256))
    # mean exactly 3 (pairs 1.5 / 4.5): ties at +-1.5 with a scale that is not a power of two
    mats += [tie.astype(np.float32), (3 * tie).astype(np.float32)]
    return mats


def activation_tokens(dtype_round) -> np.ndarray:
    """10^6 random activations (1000 tokens, heavy-tailed) and tokens of exact ties."""
    rng = np.random.default_rng(18)
    x = dtype_round((rng.standard_t(4, (1000, 1000)) * rng.uniform(0.01, 10, (1000, 1))).astype(np.float32))
    ties = rng.integers(-127, 127, (64, 1000)) + 0.5  # max|x| set to 127: 127 x / m = x, every value a tie
    ties[:, 0] = 127.0
    return np.concatenate([x, dtype_round(ties.astype(np.float32))])


DTYPES = {"fp32": lambda a: a, "bf16": to_bf16}


def test_issue_reproducers():
    w = np.array([0.5 + 2**-20, 1.5 - 2**-20, 1, 1])
    assert formats.quantize_weights_absmean(w)[0].tolist() == [1, 1, 1, 1]
    q, _ = formats.quantize_activations_absmax(np.array([-3.65625, -1.828125], dtype=np.float32))
    assert q.tolist() == [[-127, -64]]
    # the scale floor: an all-zero (or tiny) matrix scales by 1e-5, never by mean + 1e-5
    assert formats.quantize_weights_absmean(np.full(4, 1e-7))[1] == 1e-5
    assert formats.quantize_weights_absmean(np.full(4, 2.0))[1] == 2.0


@pytest.mark.parametrize("dtype", DTYPES)
def test_weights_exact(dtype):
    mats = weight_matrices(DTYPES[dtype])
    assert sum(w.size for w in mats[:4]) >= 10**6
    for w in mats:
        q, scale = formats.quantize_weights_absmean(w)
        assert scale == max(float(np.mean(np.abs(w.astype(np.float64)))), 1e-5)
        diff = np.count_nonzero(q != exact_weights(w))
        assert diff == 0, f"{diff} of {w.size} {dtype} weights differ from exact rounding"
    ties = mats[-2]
    assert np.count_nonzero(np.abs(ties) == 0.5) > 10_000  # the ties really are there (and round to 0)


@pytest.mark.parametrize("dtype", DTYPES)
def test_activations_exact(dtype):
    x = activation_tokens(DTYPES[dtype])
    q, scale = formats.quantize_activations_absmax(x)
    ref = exact_activations(x)
    assert x.size >= 10**6
    assert np.count_nonzero(q != ref) == 0
    assert np.allclose(scale, 127 / np.max(np.abs(x.astype(np.float64)), axis=-1))
    r = 127 * x.astype(np.float64) / np.max(np.abs(x.astype(np.float64)), axis=-1, keepdims=True)
    assert np.count_nonzero(r - np.floor(r) == 0.5) >= 60_000  # exact ties exercised


def test_activation_fixup_handles_float64_ties():
    """float64 inputs (whose 127 x is not exact in float64) still round exact ties right."""
    x = np.array([[1.0, 0.5 / 127 + 2**-60, (2.5 + 2**-40) / 127, 2.5 / 127]])
    assert formats.quantize_activations_absmax(x)[0].tolist() == [[127, 1, 3, 2]]
    want = [round(Fraction(127) * Fraction(v) / Fraction(1.0)) for v in x[0]]
    assert formats.quantize_activations_absmax(x)[0][0].tolist() == want


# ----------------------------------------------------------------------------- transformers (test reference)

@pytest.fixture
def bitnet():
    """transformers' BitNet module (skip without it); its @torch.compile'd quantizers run eagerly
    (same arithmetic, no compiler)."""
    pytest.importorskip("torch")
    module = pytest.importorskip("transformers.integrations.bitnet")
    module.torch.compiler.set_stance("force_eager")
    yield module
    module.torch.compiler.set_stance("default")


def _tf_weight_codes(bitnet, w: np.ndarray) -> np.ndarray:
    torch = bitnet.torch
    out = bitnet.WeightQuant.apply(torch.from_numpy(w))
    return torch.sign(out).to(torch.int8).numpy()


def _tf_act_codes(bitnet, x: np.ndarray) -> np.ndarray:
    torch = bitnet.torch
    t = torch.from_numpy(x)
    out = bitnet.ActQuant.apply(t).double()
    scale = 127 / t.abs().max(dim=-1, keepdim=True).values.clamp(min=1e-5)
    return torch.round(out * scale.double()).to(torch.int64).numpy()


@pytest.mark.parametrize("dtype", DTYPES)
def test_weights_match_transformers(dtype, bitnet):
    for w in weight_matrices(DTYPES[dtype]):
        assert np.count_nonzero(formats.quantize_weights_absmean(w)[0] != _tf_weight_codes(bitnet, w)) == 0


@pytest.mark.parametrize("dtype", DTYPES)
def test_activations_match_transformers_off_ties(dtype, bitnet):
    """transformers' ActQuant multiplies by an fp32 reciprocal (two roundings); it can only
    disagree with the exact rule next to a .5 tie, and hwgen agrees with it everywhere else."""
    x = activation_tokens(DTYPES[dtype])
    ours = formats.quantize_activations_absmax(x)[0]
    theirs = _tf_act_codes(bitnet, x)
    r = 127 * x.astype(np.float64) / np.max(np.abs(x.astype(np.float64)), axis=-1, keepdims=True)
    near_tie = np.abs(np.abs(r - np.floor(r)) - 0.5) < 2**-16
    assert np.count_nonzero((ours != theirs) & ~near_tie) == 0
    assert np.count_nonzero(ours != theirs) < 1e-3 * x.size


def test_autobitlinear_integer_path(bitnet):
    """AutoBitLinear (online quantization) == hwgen's integers rescaled: (qa @ qw^T) * alpha / act_scale."""
    rng = np.random.default_rng(3)
    w = rng.normal(0, 0.02, (96, 256)).astype(np.float32)  # Linear.weight: (out, in)
    x = rng.normal(0, 1, (16, 256)).astype(np.float32)
    torch = bitnet.torch
    layer = bitnet.AutoBitLinear(256, 96, bias=False, online_quant=True)
    with torch.no_grad():
        layer.weight.copy_(torch.from_numpy(w))
        y = layer(torch.from_numpy(x)).double().numpy()
    qw, alpha = formats.quantize_weights_absmean(w)
    qa, act_scale = formats.quantize_activations_absmax(x)
    ours = (qa @ qw.astype(np.int64).T) * alpha / act_scale[:, None]
    assert np.allclose(ours, y, rtol=1e-5, atol=1e-6)
