"""Sherry, iFairy and int2/3/4 bit-plane formats: keys, packing, graphs, reference vs PyTorch, config."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from conftest import lut_design
from hwgen import formats
from hwgen.config import parse_design
from hwgen.errors import ConfigError, InputError
from hwgen.weights import bitplane, ifairy, sherry
from hwgen.lutgraph import evaluate_coefficients
from hwgen.weights.graph import build_sum_graph
from hwgen.weights.shape import LutCoreShape
from sim.reference import lut_gemv, torch_gemv


def random_sherry(rng, n, m):
    w = rng.choice([-1, 1], (n, m))
    zero = rng.integers(0, 4, (n // 4, m))
    w.reshape(n // 4, 4, m)[np.arange(n // 4)[:, None], zero, np.arange(m)] = 0
    return w.astype(np.int8)


def random_weights(rng, weights, n, m):
    if weights == "sherry":
        return random_sherry(rng, n, m)
    if weights == "ifairy":
        return ifairy.VALUES[rng.integers(0, 4, (n, m))]
    b = int(weights[3:])
    return rng.integers(-(1 << (b - 1)), 1 << (b - 1), (n, m))


def random_acts(rng, config, batch):
    lo, hi = config.act.min, config.act.max
    n = config.workload.n
    a = rng.integers(lo, hi + 1, (batch, n))
    a[0] = lo  # the extreme that sizes every width
    if config.weights == "ifairy":
        b = rng.integers(lo, hi + 1, (batch, n))
        b[0] = lo
        return a + 1j * b
    return a


# ----------------------------------------------------------------------------- registry


def test_formats_module_is_the_source_of_truth():
    assert formats.WEIGHT_FORMATS == ("ternary", "sherry", "ifairy", "int2", "int3", "int4", "binary")
    assert formats.weight_spec("sherry") is sherry.SPEC
    assert [formats.weight_max_abs(w) for w in formats.WEIGHT_FORMATS] == [1, 1, 1, 2, 4, 8, 1]


# ----------------------------------------------------------------------------- Sherry

sherry_groups = st.tuples(st.integers(0, 3), st.lists(st.sampled_from([-1, 1]), min_size=3, max_size=3))


def make_group(zero, signs):
    signs = list(signs)
    return [0 if j == zero else signs.pop(0) for j in range(4)]


def test_sherry_codes_are_a_bijection_on_5_bits():
    groups = np.array([make_group(z, [a, b, c]) for z in range(4) for a in (-1, 1) for b in (-1, 1) for c in (-1, 1)])
    keys = sherry.encode_groups(groups)
    assert sorted(keys.tolist()) == list(range(32))


@given(st.lists(sherry_groups, min_size=1, max_size=12), st.integers(1, 4))
def test_sherry_pack_unpack_roundtrip(groups, m):
    col = np.array([v for z, s in groups for v in make_group(z, s)], dtype=np.int8)
    w = np.stack([np.roll(col, 4 * j) for j in range(m)], axis=1)
    codes = sherry.pack(w)
    assert codes.shape == (len(groups), m) and codes.max() < 32
    assert np.array_equal(sherry.unpack(codes), w)


@given(sherry_groups, st.lists(st.integers(-128, 127), min_size=4, max_size=4))
def test_sherry_key_fetches_the_group_sum(group, acts):
    g = np.array(make_group(*group))
    x = np.array(acts)
    graph = build_sum_graph(4, sherry.ENTRY_WEIGHTS)
    coeffs = np.array(evaluate_coefficients(graph))[list(graph.entries)]
    table = coeffs @ x
    key = sherry.encode_groups(g)
    assert sherry.SPEC.fetch(table, np.array(key), 4)[..., 0] == g @ x


def test_sherry_table_is_smaller_than_ternary():
    s = LutCoreShape(parse_design(lut_design(weights="sherry", group_size=4, workload={"n": 64, "m": 8})))
    assert (s.entries, s.key_width, s.graph.adders) == (16, 5, 20)
    assert (formats.lut_entries(4), formats.key_width(4)) == (40, 7)


@given(st.integers(0, 7), st.integers(0, 2), st.sampled_from(["two zeros", "no zero", "value 2"]))
@settings(max_examples=30)
def test_sherry_bad_pattern_names_the_first_bad_group(group, col, kind):
    rng = np.random.default_rng(group * 3 + col)
    w = random_sherry(rng, 32, 3).astype(np.int64)
    rows = slice(4 * group, 4 * group + 4)
    if kind == "two zeros":
        w[rows, col] = [0, 0, 1, -1]
    elif kind == "no zero":
        w[rows, col] = [1, -1, 1, 1]
    else:
        w[4 * group + 1, col] = 2
    with pytest.raises(InputError) as err:
        sherry.check_pattern(w)
    message = str(err.value)
    assert "\n" not in message
    if kind == "value 2":
        assert f"at [{4 * group + 1}, {col}]" in message
    else:
        assert f"rows {4 * group}..{4 * group + 3} of column {col}" in message


# ----------------------------------------------------------------------------- iFairy


@given(hnp.arrays(np.int64, st.tuples(st.integers(1, 3), st.integers(1, 4)), elements=st.integers(0, 3)))
def test_ifairy_key_rotation_symmetry(codes):
    """key = index << 2 | e0 and i**e0 * C[index] == the group's weights."""
    keys = ifairy.encode_groups(codes)
    mu = codes.shape[-1]
    e0, index = keys & 3, keys >> 2
    assert np.all(index < 4 ** (mu - 1))
    for g in range(codes.shape[0]):
        rel = ifairy.index_exponents(int(index[g]), mu)
        assert np.array_equal((np.array(rel) + e0[g]) % 4, codes[g])


@given(st.integers(1, 3), st.data())
def test_ifairy_fetch_equals_complex_dot(mu, data):
    e = np.array(data.draw(st.lists(st.integers(0, 3), min_size=mu, max_size=mu)))
    x = np.array(data.draw(st.lists(st.integers(-128, 127), min_size=2 * mu, max_size=2 * mu)))
    graph = build_sum_graph(2 * mu, ifairy.table_targets(mu))
    table = np.array(evaluate_coefficients(graph))[list(graph.entries)] @ x
    re, im = ifairy.SPEC.fetch(table, ifairy.encode_groups(e), mu)
    z = x[0::2] + 1j * x[1::2]
    assert re + 1j * im == (ifairy.VALUES[e] * z).sum()


def test_ifairy_rejects_other_values_and_fractional_activations():
    with pytest.raises(InputError, match=r"\{\+1, -1, \+i, -i\}.*at \[0, 1\]"):
        ifairy.check_weights(np.array([[1, 1 + 1j]]))
    with pytest.raises(InputError, match="integer real and imaginary"):
        ifairy.check_activations(np.array([1 + 0.5j]), -128, 127, "int8")
    with pytest.raises(InputError, match="imaginary part"):
        ifairy.check_activations(np.array([1 + 200j]), -128, 127, "int8")


# ----------------------------------------------------------------------------- bit-planes


@given(st.integers(2, 4), st.data())
def test_bitplane_digits_reconstruct_weights(bits, data):
    w = np.array(data.draw(st.lists(st.integers(-(1 << (bits - 1)), (1 << (bits - 1)) - 1), min_size=1, max_size=20)))
    s = bitplane.planes(w, bits)
    assert set(np.unique(s)) <= {-1, 1}
    assert np.array_equal((s << np.arange(bits)).sum(axis=-1), 2 * w + 1)


@given(st.integers(2, 4), st.integers(1, 5), st.data())
def test_bitplane_fetch_and_correction_equal_dot(bits, mu, data):
    lo, hi = -(1 << (bits - 1)), (1 << (bits - 1)) - 1
    w = np.array(data.draw(st.lists(st.integers(lo, hi), min_size=mu, max_size=mu)))
    x = np.array(data.draw(st.lists(st.integers(-128, 127), min_size=mu, max_size=mu)))
    spec = bitplane.SPECS[f"int{bits}"]
    graph = build_sum_graph(mu, bitplane.plane_targets(mu))
    table = np.array(evaluate_coefficients(graph))[list(graph.entries)] @ x
    assert table[0] == x.sum()  # entry 0 is the all-plus sum S
    fetched = spec.fetch(table, spec.encode(w), mu)[0]
    assert (fetched - table[0]) % 2 == 0 and (fetched - table[0]) // 2 == w @ x


def test_bitplane_key_is_b_bits_per_weight():
    for b in (2, 3, 4):
        config = parse_design(lut_design(weights=f"int{b}", group_size=4))
        assert LutCoreShape(config).key_width == 4 * b
        assert LutCoreShape(config).entries == 8  # 2**(mu-1): sign symmetry of the +-1 table


# ----------------------------------------------------------------------------- graphs


@pytest.mark.parametrize("inputs, targets", [
    (4, sherry.ENTRY_WEIGHTS), (4, ifairy.table_targets(2)), (6, ifairy.table_targets(3)),
    (5, bitplane.plane_targets(5)),
])
def test_sum_graph_one_adder_per_new_value(inputs, targets):
    graph = build_sum_graph(inputs, tuple(targets))
    coeffs = evaluate_coefficients(graph)
    assert len(set(coeffs)) == len(coeffs)  # nothing built twice
    assert all(coeffs[n] == t for n, t in zip(graph.entries, targets))


# ----------------------------------------------------------------------------- reference vs torch

CASES = [
    ("sherry", 4, "int8", 3, 5, 44, 11), ("sherry", 4, "int4", 1, 2, 8, 3),
    ("ifairy", 1, "int8", 2, 3, 7, 4), ("ifairy", 2, "int4", 3, 5, 37, 11), ("ifairy", 3, "int8", 2, 3, 20, 4),
    ("int2", 2, "int8", 3, 4, 37, 9), ("int3", 3, "int4", 2, 3, 37, 9), ("int4", 4, "int8", 3, 5, 50, 7),
    ("int4", 1, "int8", 1, 1, 5, 2),
]


@pytest.mark.parametrize("weights, mu, act, L, K, n, m", CASES)
def test_reference_matches_torch(weights, mu, act, L, K, n, m):
    config = parse_design(lut_design(weights=weights, group_size=mu, activation=act, luts=L, fetchers=K,
                                     workload={"n": n, "m": m}))
    rng = np.random.default_rng(hash((weights, mu, n)) % 2**32)
    w, a = random_weights(rng, weights, n, m), random_acts(rng, config, 3)
    y = lut_gemv(config, w, a)
    assert y.dtype == (np.complex128 if weights == "ifairy" else np.int64)
    assert np.array_equal(y, torch_gemv(w, a))
    # extremes: every weight at its largest magnitude against the most negative activation
    w_max = {"sherry": np.where(np.arange(n)[:, None] % 4 == 3, 0, -1) * np.ones((1, m), int),
             "ifairy": np.full((n, m), -1j)}.get(weights, np.full((n, m), -(formats.weight_max_abs(weights))))
    assert np.array_equal(lut_gemv(config, w_max, a), torch_gemv(w_max, a))


# ----------------------------------------------------------------------------- config


@pytest.mark.parametrize("overrides, match", [
    ({"weights": "sherry", "group_size": 3}, "'group_size' must be one of 4 for sherry"),
    ({"weights": "sherry", "group_size": 4, "workload": {"n": 30, "m": 4}}, "multiple of 4"),
    ({"weights": "ifairy", "group_size": 5}, "'group_size' must be one of 1, 2, 3, 4 for ifairy"),
    ({"weights": "int4", "activation": "fp16"}, "integer activations only|must be one of ternary"),
    ({"weights": "int5"}, "'weights' must be one of"),
    ({"weights": "int4", "accumulator_width": 17, "workload": {"n": 300, "m": 4}}, "can overflow"),
])
def test_config_errors(overrides, match):
    with pytest.raises(ConfigError, match=match):
        parse_design(lut_design(**overrides))


def test_accumulator_width_grows_with_weight_bits():
    widths = [parse_design(lut_design(weights=w, workload={"n": 1000, "m": 4}, group_size=4)).accumulator_width
              for w in ("sherry", "int2", "int3", "int4")]
    assert widths == [18, 19, 20, 21]


# ----------------------------------------------------------------------------- cost model


def test_cost_model_orders_and_batch():
    from costmodel.model import estimate, estimate_batch

    def est(weights, mu=4):
        return estimate(parse_design(lut_design(weights=weights, group_size=mu, luts=8, fetchers=16,
                                                workload={"n": 2560, "m": 2560})), clock_mhz=100.0)

    ints = [est(f"int{b}") for b in (2, 3, 4)]
    assert ints[0]["area_um2"] < ints[1]["area_um2"] < ints[2]["area_um2"]
    assert [e["bits_per_weight"] for e in ints] == [2, 3, 4]
    sherry_est = est("sherry")
    assert sherry_est["bits_per_weight"] == 1.25 and sherry_est["area_um2"] < ints[0]["area_um2"]
    assert est("ifairy", 2)["bits_per_weight"] == 2
    batch = estimate_batch({"weights": np.array(["sherry", "int3"]), "group_size": 4, "luts": 8, "fetchers": 16,
                            "act_width": 8, "pipeline": 1, "n": 2560, "m": 2560, "clock_mhz": 100.0})
    assert np.isclose(batch["area_um2"][0], sherry_est["area_um2"])
    assert np.isclose(batch["energy_pj_per_gemv"][1], ints[1]["energy_pj_per_gemv"])
