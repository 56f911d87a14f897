"""Hardwired arrays: config validation, weight loading, adder-graph correctness (hypothesis), RTL text."""

import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hwgen.errors import ConfigError, InputError
from hwgen.hardwired import build_graph, load_weights, parse_hardwired
from hwgen.hardwired.rtl import generate_verilog
from hwgen.hardwired.config import HARDWIRED_WEIGHTS, digit_positions
from hwgen.hardwired.adder_graph import csd_digits, naive_adders
from sim.hardwired_ref import design_weights, hardwired_gemv, torch_gemv


def _write_safetensors(path, tensors):
    """A minimal .safetensors writer (header JSON + raw little-endian data)."""
    names = {np.dtype("int8"): "I8", np.dtype("int16"): "I16", np.dtype("float32"): "F32"}
    header, blobs, offset = {}, [], 0
    for name, arr in tensors.items():
        raw = np.ascontiguousarray(arr).tobytes()
        header[name] = {"dtype": names[arr.dtype], "shape": list(arr.shape), "data_offsets": [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    text = json.dumps(header).encode()
    path.write_bytes(len(text).to_bytes(8, "little") + text + b"".join(blobs))


# ----------------------------------------------------------------------------- config


def test_generated_design_defaults():
    c = parse_hardwired({"kind": "hardwired", "workload": {"n": 16, "m": 4}})
    assert (c.weights, c.activation, c.pipeline, c.bit_serial, c.sharing) == ("ternary", "int8", 0, False, True)
    w = load_weights(c)
    assert w.shape == (16, 4) and set(np.unique(w)) <= {-1, 0, 1}
    assert np.array_equal(w, load_weights(c)), "seeded generation must be deterministic"


@pytest.mark.parametrize("raw, match", [
    ({"workload": {"n": 4, "m": 4}, "weights": "int3"}, "'weights' must be one of"),
    ({"workload": {"n": 4, "m": 4}, "activation": "fp16"}, "'activation' must be one of"),
    ({"workload": {"n": 4, "m": 4}, "pipeline": 9}, "'pipeline' must be in 0..1"),
    ({"workload": {"n": 4, "m": 4}, "bit_serial": "yes"}, "'bit_serial' must be true or false"),
    ({"workload": {"n": 4, "m": 4}, "frobnicate": 1}, "unknown field"),
    ({}, "needs 'weights_file' or a 'workload'"),
    ({"weights_file": "missing.npy"}, "not found"),
    ({"weights_file": "w.txt"}, ".npy or .safetensors"),
    ({"workload": {"n": 4, "m": 4}, "top": "1bad"}, "Verilog identifier"),
])
def test_bad_config(raw, match):
    with pytest.raises(ConfigError, match=match):
        parse_hardwired({"kind": "hardwired", **raw})


def test_weights_file_npy_and_workload_check(tmp_path):
    w = np.array([[1, 0, -1], [0, 1, 1]], dtype=np.int8)
    np.save(tmp_path / "w.npy", w)
    c = parse_hardwired({"kind": "hardwired", "weights_file": "w.npy"}, base_dir=tmp_path)
    assert (c.workload.n, c.workload.m) == (2, 3) and c.weights_digest
    assert np.array_equal(load_weights(c), w)
    with pytest.raises(ConfigError, match="disagrees"):
        parse_hardwired({"kind": "hardwired", "weights_file": str(tmp_path / "w.npy"), "workload": {"n": 3, "m": 2}})
    ct = parse_hardwired({"kind": "hardwired", "weights_file": str(tmp_path / "w.npy"), "transpose": True})
    assert np.array_equal(load_weights(ct), w.T)


def test_weights_file_out_of_range(tmp_path):
    np.save(tmp_path / "w.npy", np.array([[2, 0], [0, 1]], dtype=np.int8))
    c = parse_hardwired({"kind": "hardwired", "weights_file": str(tmp_path / "w.npy")})
    with pytest.raises(InputError, match=r"in ternary range .* found 2 at \[0, 0\]"):
        load_weights(c)
    np.save(tmp_path / "f.npy", np.array([[0.5, 0.0]], dtype=np.float32))
    c = parse_hardwired({"kind": "hardwired", "weights_file": str(tmp_path / "f.npy"), "weights": "int4"})
    with pytest.raises(InputError, match=r"must hold integers .*found 0.5 at \[0, 0\]"):
        load_weights(c)


def test_safetensors(tmp_path):
    w = np.arange(-8, 7, dtype=np.int8).reshape(5, 3)
    _write_safetensors(tmp_path / "m.safetensors", {"a.weight": w.T.copy(), "b": w.copy()})
    with pytest.raises(ConfigError, match="name one with 'tensor:'"):
        parse_hardwired({"kind": "hardwired", "weights_file": str(tmp_path / "m.safetensors")})
    with pytest.raises(InputError, match="no tensor 'c'"):
        parse_hardwired({"kind": "hardwired", "weights_file": str(tmp_path / "m.safetensors"), "tensor": "c"})
    # a linear layer's weight is (out, in) by its role: no transpose, and giving one is refused
    c = parse_hardwired({"kind": "hardwired", "weights_file": str(tmp_path / "m.safetensors"), "tensor": "a.weight",
                         "weights": "int4"})
    assert (c.workload.n, c.workload.m) == (5, 3) and np.array_equal(load_weights(c), w)
    with pytest.raises(ConfigError, match="orientation follows its role; drop 'transpose'"):
        parse_hardwired({"kind": "hardwired", "weights_file": str(tmp_path / "m.safetensors"), "tensor": "a",
                         "transpose": True, "weights": "int4"})
    # any other tensor: the orientation must be said
    with pytest.raises(ConfigError, match="say its orientation"):
        parse_hardwired({"kind": "hardwired", "weights_file": str(tmp_path / "m.safetensors"), "tensor": "b"})
    c = parse_hardwired({"kind": "hardwired", "weights_file": str(tmp_path / "m.safetensors"), "tensor": "b",
                         "transpose": False, "weights": "int4"})
    assert np.array_equal(load_weights(c), w)
    (tmp_path / "bad.safetensors").write_bytes(b"\x05")
    with pytest.raises(InputError, match="not a readable safetensors file"):
        parse_hardwired({"kind": "hardwired", "weights_file": str(tmp_path / "bad.safetensors")})


def test_user_weights_must_match_design():
    c = parse_hardwired({"kind": "hardwired", "workload": {"n": 6, "m": 3}, "seed": 3})
    w = load_weights(c).copy()
    assert np.array_equal(design_weights(c, w), w)
    w[2, 1] = -w[2, 1] if w[2, 1] else 1
    with pytest.raises(InputError, match=r"differ from the design's hardwired matrix in 1 entries"):
        design_weights(c, w)
    with pytest.raises(InputError, match="shape"):
        design_weights(c, w[:5])


def test_bad_activations():
    c = parse_hardwired({"kind": "hardwired", "workload": {"n": 4, "m": 2}, "activation": "int4"})
    with pytest.raises(InputError, match=r"out of int4 range \[-8, 7\]: 8 at \[0, 0\]"):
        hardwired_gemv(c, None, np.array([8, 0, 0, 0]))
    with pytest.raises(InputError, match="N = 4"):
        hardwired_gemv(c, None, np.zeros((2, 5), dtype=np.int64))


# ----------------------------------------------------------------------------- graph


@given(st.integers(-128, 127))
def test_csd_is_non_adjacent_and_exact(v):
    d = csd_digits(np.array([v]), 8)[0]
    assert sum(int(x) << k for k, x in enumerate(d)) == v
    assert not any(d[k] and d[k + 1] for k in range(7))


def _naf_length(v: int) -> int:
    """Digits of ``v``'s NAF, by Python integers (the textbook recurrence, independent of numpy)."""
    n = 0
    while v:
        v = (v - (2 - v % 4)) // 2 if v % 2 else v // 2
        n += 1
    return n


@pytest.mark.parametrize("positions", [3, 12, 13, 20])  # table up to 12 positions, loop above
def test_csd_takes_exactly_the_values_that_fit_and_names_the_limit(positions):
    v = np.arange(-(1 << (positions + 1)), (1 << (positions + 1)) + 1, 997 if positions > 12 else 1)
    fits = np.array([_naf_length(int(x)) <= positions for x in v])
    d = csd_digits(v[fits], positions)
    assert np.array_equal((d.astype(np.int64) << np.arange(positions)).sum(axis=1), v[fits])
    assert not np.any((d[:, 1:] != 0) & (d[:, :-1] != 0))
    too_long = v[~fits]  # both signs, inside the table's range and beyond it
    for x in too_long[np.linspace(0, too_long.size - 1, 40).astype(int)]:
        with pytest.raises(ConfigError, match=f"more than {positions} signed digits"):
            csd_digits(np.array([[0, x]]), positions)


def test_csd_of_a_scalar_is_its_own_copy():
    d = csd_digits(5, 4)
    d[...] = 0
    assert csd_digits(np.array([5]), 4)[0].tolist() == [1, 0, 1, 0]


@st.composite
def _problem(draw):
    fmt = draw(st.sampled_from(sorted(HARDWIRED_WEIGHTS)))
    lo, hi = HARDWIRED_WEIGHTS[fmt]
    n, m = draw(st.integers(1, 24)), draw(st.integers(1, 12))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    w = rng.integers(lo, hi + 1, (n, m)) * (rng.random((n, m)) < draw(st.floats(0.0, 1.0)))
    return fmt, w, rng.integers(-128, 128, (3, n)), draw(st.booleans())


@settings(max_examples=150, deadline=None)
@given(_problem())
def test_shared_graph_computes_a_times_w(problem):
    fmt, w, a, sharing = problem
    a[0] = -128
    g = build_graph(w, digit_positions(fmt), -128, 127, sharing=sharing)
    assert np.array_equal(g.evaluate(a), a @ w)  # also checks every node against its width
    assert g.n_adders + g.negations <= naive_adders(w, digit_positions(fmt)) + w.shape[1]
    if not sharing:
        assert g.n_adders == naive_adders(w, digit_positions(fmt))


def test_sharing_reduces_adders_on_a_bitnet_layer():
    c = parse_hardwired({"kind": "hardwired", "workload": {"n": 256, "m": 256}})
    _, _, s = generate_verilog(c)
    assert s["naive_adders_per_weight"] > 0.6
    assert s["adders_per_weight"] < 0.3
    assert s["sharing_factor"] > 2.0


@pytest.mark.parametrize("raw", [
    {"workload": {"n": 30, "m": 7}, "weights": "int4", "activation": "int4", "bit_serial": True, "pipeline": 2},
    {"workload": {"n": 17, "m": 9}, "weights": "int8"},
    {"workload": {"n": 40, "m": 5}},
])
def test_reference_equals_torch(raw):
    c = parse_hardwired({"kind": "hardwired", **raw})
    rng = np.random.default_rng(1)
    a = rng.integers(c.act.min, c.act.max + 1, (16, c.workload.n))
    a[0], a[1] = c.act.min, c.act.max
    assert np.array_equal(hardwired_gemv(c, None, a), torch_gemv(load_weights(c), a))


def test_verilog_is_deterministic_and_reports_ports():
    c = parse_hardwired({"kind": "hardwired", "workload": {"n": 20, "m": 6}, "weights": "int2", "pipeline": 2})
    v1, p1, s1 = generate_verilog(c)
    v2, p2, s2 = generate_verilog(c)
    assert v1 == v2 and p1 == p2 and s1 == s2
    assert v1.startswith("// Generated by hwgen") and "module hardwired_core (" in v1
    names = [p["name"] for p in p1["ports"]]
    assert names == ["clk", "rst", "in_valid", "in_ready", "a", "out_valid", "y"]
    assert p1["latency_cycles"] == 4 and p1["initiation_interval"] == 1
    assert s1["register_bits"]["cut"] > 0
