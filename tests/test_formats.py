"""Key encoding, packing and quantization: property tests against direct definitions."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from hwgen import formats
from hwgen.errors import InputError


@pytest.mark.parametrize("mu, width", [(1, 2), (2, 4), (3, 5), (4, 7), (5, 8), (8, 13)])
def test_key_width_matches_formula(mu, width):
    assert formats.key_width(mu) == width
    assert formats.key_width(mu) == int(np.ceil(np.log2((3**mu - 1) / 2 + 1))) + 1


@given(hnp.arrays(np.int8, st.tuples(st.integers(1, 20), st.integers(1, 6)), elements=st.integers(-1, 1)))
def test_keys_round_trip_to_the_signed_entry(groups):
    mu = groups.shape[-1]
    index, negate = formats.decode_keys(formats.encode_keys(groups), mu)
    assert np.all(index <= formats.lut_entries(mu))
    for group, i, neg in zip(groups, index, negate):
        if i == 0:
            assert not group.any()
        else:
            coeffs = np.array(formats.entry_coefficients(mu, int(i)))
            assert np.array_equal(group, -coeffs if neg else coeffs)


@given(st.integers(1, 7))
def test_entries_are_canonical_and_distinct(mu):
    seen = set()
    for i in range(1, formats.lut_entries(mu) + 1):
        c = formats.entry_coefficients(mu, i)
        assert next(x for x in reversed(c) if x) == 1  # most significant digit +1
        seen.add(c)
    assert len(seen) == formats.lut_entries(mu)


@given(st.integers(-5000, 5000), st.integers(0, 5000))
def test_signed_width_is_tight(lo, span):
    hi = lo + span
    w = formats.signed_width(lo, hi)
    assert -(1 << (w - 1)) <= lo and hi < (1 << (w - 1))
    assert w == 1 or not (-(1 << (w - 2)) <= lo and hi < (1 << (w - 2)))


@settings(max_examples=40)
@given(st.integers(1, 30), st.integers(1, 12), st.integers(1, 4), st.integers(1, 3), st.integers(1, 5), st.data())
def test_packed_stream_reconstructs_the_matrix(n, m, mu, luts, fetchers, data):
    t = formats.Tiling(n, m, mu, luts, fetchers)
    w = data.draw(hnp.arrays(np.int8, (n, m), elements=st.integers(-1, 1)))
    keys = formats.pack_keys(w, t).reshape(t.col_blocks, t.row_blocks, luts, fetchers)
    index, negate = formats.decode_keys(keys, mu)
    rebuilt = np.zeros((t.padded_n, t.padded_m), dtype=np.int64)
    for c, r, l, k in np.ndindex(index.shape):
        coeffs = np.array(formats.entry_coefficients(mu, int(index[c, r, l, k])))
        if index[c, r, l, k] == 0:
            coeffs[:] = 0
        row = r * luts * mu + l * mu
        rebuilt[row:row + mu, c * fetchers + k] = -coeffs if negate[c, r, l, k] else coeffs
    assert np.array_equal(rebuilt[:n, :m], w)
    assert not rebuilt[n:].any() and not rebuilt[:, m:].any()


def test_check_ternary_names_the_bad_value():
    w = np.zeros((3, 3), dtype=np.int8)
    w[1, 2] = 2
    with pytest.raises(InputError, match=r"found 2 at \[1, 2\]"):
        formats.check_ternary(w)


def test_check_activations_range():
    with pytest.raises(InputError, match="out of int4 range"):
        formats.check_int_activations(np.array([0, 8]), formats.ACTIVATIONS["int4"])
    with pytest.raises(InputError, match="non-integer"):
        formats.check_int_activations(np.array([0.5]), formats.ACTIVATIONS["int8"])


@given(hnp.arrays(np.float64, st.tuples(st.integers(1, 8), st.integers(1, 8)),
                  elements=st.floats(-10, 10, allow_nan=False)))
def test_absmean_weights_are_ternary(w):
    q, scale = formats.quantize_weights_absmean(w)
    assert set(np.unique(q)) <= {-1, 0, 1}
    assert scale == pytest.approx(sum(abs(float(v)) for v in w.flat) / w.size, abs=2e-5)  # mean |W|
    kept, dropped = np.abs(w[q != 0]), np.abs(w[q == 0])
    assert np.array_equal(np.sign(q[q != 0]), np.sign(w[q != 0]))  # a kept weight keeps its sign
    if kept.size and dropped.size:                                  # magnitude decides, nothing else
        assert kept.min() >= dropped.max()


def test_absmean_weights_worked_example():
    # mean |W| = 1 (+1e-5): 0.5 and 0.1 fall below half a step, 1.4 rounds to 1, -2 saturates to -1.
    q, scale = formats.quantize_weights_absmean(np.array([[0.5, -2.0], [0.1, 1.4]]))
    assert scale == pytest.approx(1.0, abs=2e-5) and q.tolist() == [[0, -1], [0, 1]]


@given(hnp.arrays(np.float64, st.tuples(st.integers(1, 4), st.integers(1, 16)),
                  elements=st.floats(-100, 100, allow_nan=False)))
def test_absmax_activations_fit_int8(x):
    q, scale = formats.quantize_activations_absmax(x)
    assert q.min() >= -128 and q.max() <= 127
    big = np.max(np.abs(x), axis=-1) > 1e-3
    assert np.all(np.max(np.abs(q), axis=-1)[big] == 127)


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 6), st.data())
def test_ternary_spec_fetch_is_the_dot_product(mu, data):
    """Ternary as a `WeightSpec`: the table of its targets, fetched by its keys (index 0 the
    constant zero), gives ``w . x`` for every group, the all-zero one included."""
    from hwgen.weights import weight_spec

    spec = weight_spec("ternary")
    w = data.draw(hnp.arrays(np.int64, (5, mu), elements=st.integers(-1, 1)))
    x = data.draw(hnp.arrays(np.int64, mu, elements=st.integers(-128, 127)))
    graph = spec.graph(mu)
    assert len(graph.entries) == (3**mu - 1) // 2 and spec.key_width(mu) == formats.key_width(mu)
    table = np.array([np.dot(c, x) for c in spec.targets(mu)])  # entry i: its coefficients . x
    got = spec.fetch(table, spec.encode(w), mu)[..., 0]
    assert np.array_equal(got, w @ x)
    assert spec.fetch(table, spec.encode(np.zeros((1, mu), np.int64)), mu)[0, 0] == 0
