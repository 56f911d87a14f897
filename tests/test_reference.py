"""The reference model equals a PyTorch integer matmul, on random and BitNet-quantized data."""

import numpy as np
import pytest
import torch

from conftest import lut_design
from hwgen.config import parse_design
from hwgen.errors import InputError
from hwgen.formats import quantize_activations_absmax, quantize_weights_absmean
from sim.reference import lut_gemv


def torch_gemv(acts, weights):
    return (torch.from_numpy(np.atleast_2d(acts)).long() @ torch.from_numpy(weights).long()).numpy()


@pytest.mark.parametrize("mu, luts, fetchers, n, m, act", [
    (1, 1, 1, 5, 3, "int8"), (3, 4, 8, 300, 70, "int8"), (4, 3, 5, 37, 11, "int4"),
    (6, 2, 3, 100, 7, "int8"), (8, 1, 2, 17, 5, "int4"), (2, 5, 16, 64, 16, "int8"),
])
def test_random_data_matches_torch(mu, luts, fetchers, n, m, act):
    rng = np.random.default_rng(mu * 100 + n)
    config = parse_design(lut_design(group_size=mu, luts=luts, fetchers=fetchers, activation=act,
                                     pipeline=0, workload={"n": n, "m": m}))
    lo, hi = config.act.min, config.act.max
    w = rng.integers(-1, 2, (n, m)).astype(np.int8)
    a = rng.integers(lo, hi + 1, (3, n))
    assert np.array_equal(lut_gemv(config, w, a), torch_gemv(a, w))
    extreme = np.full((1, n), lo)
    assert np.array_equal(lut_gemv(config, w, extreme), torch_gemv(extreme, w))


def test_bitnet_quantized_layer_matches_torch():
    rng = np.random.default_rng(7)
    n, m = 256, 96
    w, _ = quantize_weights_absmean(rng.normal(size=(n, m)))
    a, _ = quantize_activations_absmax(rng.normal(size=(4, n)) * 3)
    config = parse_design(lut_design(group_size=4, luts=8, fetchers=16, workload={"n": n, "m": m}))
    assert np.array_equal(lut_gemv(config, w, a), torch_gemv(a, w))


def test_shapes_must_match_the_design():
    config = parse_design(lut_design(workload={"n": 10, "m": 4}))
    with pytest.raises(InputError, match=r"weights have shape \(4, 10\)"):
        lut_gemv(config, np.zeros((4, 10), np.int8), np.zeros(10, np.int64))
    with pytest.raises(InputError, match="activations have 9 columns"):
        lut_gemv(config, np.zeros((10, 4), np.int8), np.zeros(9, np.int64))
