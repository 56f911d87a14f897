"""Pareto extraction and hypervolume against brute force."""

import itertools

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from dse.pareto import hypervolume, nondominated


def brute_front(p):
    le = np.all(p[None] <= p[:, None], axis=2)
    lt = np.any(p[None] < p[:, None], axis=2)
    return ~np.any(le & lt, axis=1)


def brute_hv(p, ref, cells=24):
    # exact on the grid of coordinates: sum of boxes of the compressed grid dominated by a point
    axes = [np.unique(np.concatenate([p[:, d], [ref[d]]])) for d in range(p.shape[1])]
    total = 0.0
    for idx in itertools.product(*(range(len(a) - 1) for a in axes)):
        lo = np.array([axes[d][i] for d, i in enumerate(idx)])
        hi = np.array([axes[d][i + 1] for d, i in enumerate(idx)])
        if np.any(np.all(p <= lo, axis=1)):
            total += np.prod(hi - lo)
    return total


@settings(max_examples=40, deadline=None)
@given(st.integers(1, 3), st.integers(1, 12), st.integers(0, 10_000))
def test_front_and_hypervolume(dim, n, seed):
    rng = np.random.default_rng(seed)
    p = rng.integers(0, 5, size=(n, dim)).astype(float)
    assert (nondominated(p) == brute_front(p)).all()
    ref = np.full(dim, 5.5)
    assert np.isclose(hypervolume(p, ref), brute_hv(p, ref))


def test_large_front_blocks():
    rng = np.random.default_rng(1)
    p = rng.random((2000, 3))
    assert (nondominated(p, block=97) == brute_front(p)).all()
