"""Binary weights {-1, +1} (`hwgen.weights.binary`): keys, reference, RTL on Verilator through
``hwgen simulate``, cost model and sweep. The format is one module; this file is its tests."""

import numpy as np
import pandas as pd
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import lut_design
from dse.space import parse_space
from dse.sweep import run_sweep
from hwgen import api
from hwgen.cli import main
from hwgen.config import parse_design
from hwgen.errors import ConfigError, InputError
from hwgen.weights import WEIGHT_SPECS, hardwired_weights, mac_weights
from hwgen.weights.shape import LutCoreShape
from sim.reference import lut_gemv, torch_gemv

SPEC = WEIGHT_SPECS["binary"]
DESIGN = lut_design(weights="binary", group_size=3, luts=3, fetchers=4, pipeline=2, workload={"n": 22, "m": 9})


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 8), st.data())
def test_key_selects_the_signed_sum(mu, data):
    """``fetch(table of every +-1 sum, key)`` is the group's dot product, for every group."""
    w = np.array(data.draw(st.lists(st.sampled_from([-1, 1]), min_size=mu, max_size=mu)))
    x = np.array(data.draw(st.lists(st.integers(-128, 127), min_size=mu, max_size=mu)))
    table = np.array([np.dot(t, x) for t in SPEC.targets(mu)])
    key = SPEC.encode(w[None])[0]
    assert 0 <= key < 1 << SPEC.key_width(mu)
    assert SPEC.fetch(table, np.array(key), mu)[0] == np.dot(w, x)


def test_structure_one_bit_per_weight():
    """mu = 4: 8 entries (x0 +- x1 +- x2 +- x3), 4 half sums + 8 entry adders, 4-bit keys."""
    shape = LutCoreShape(parse_design(lut_design(weights="binary", group_size=4)))
    assert (shape.entries, shape.graph.adders, shape.key_width) == (8, 12, 4)
    assert SPEC.stored_bits(4) == 1.0


@pytest.mark.parametrize("bad, where", [(0, "found 0 at [2, 1]"), (2, "found 2 at [2, 1]")])
def test_non_binary_matrix_is_rejected(bad, where):
    w = np.ones((5, 3), np.int8)
    w[2, 1] = bad
    with pytest.raises(InputError, match=r"binary \(values in \{-1, 1\}\)") as err:
        SPEC.check(w)
    assert where in str(err.value)


@settings(max_examples=25, deadline=None)
@given(st.integers(1, 6), st.integers(1, 4), st.integers(1, 5), st.integers(0, 4), st.integers(1, 40),
       st.integers(1, 12), st.sampled_from(["int4", "int8"]), st.integers(0, 2**32 - 1))
def test_reference_equals_matmul(mu, luts, fetchers, pipeline, n, m, activation, seed):
    pipeline = min(pipeline, 2 + (luts - 1).bit_length())
    config = parse_design(lut_design(weights="binary", group_size=mu, luts=luts, fetchers=fetchers,
                                     pipeline=pipeline, activation=activation, workload={"n": n, "m": m}))
    rng = np.random.default_rng(seed)
    w = rng.choice(np.array([-1, 1], np.int8), (n, m))
    a = rng.integers(config.act.min, config.act.max + 1, (2, n))
    a[0] = config.act.min
    assert np.array_equal(lut_gemv(config, w, a), a @ w.astype(np.int64))
    assert np.array_equal(torch_gemv(w, a), a @ w.astype(np.int64))


@pytest.mark.slow
def test_cli_simulate_exact_on_verilator(tmp_path):
    """``hwgen simulate`` runs the generated RTL in Verilator; Y equals A @ W (ragged N and M)."""
    (tmp_path / "d.yaml").write_text(yaml.safe_dump(DESIGN))
    rng = np.random.default_rng(5)
    w = rng.choice(np.array([-1, 1], np.int8), (22, 9))
    w[:, 0] = -1  # a column of -1: the largest negative sums
    a = rng.integers(-128, 128, (3, 22))
    a[0] = -128
    np.save(tmp_path / "w.npy", w)
    np.save(tmp_path / "a.npy", a)
    args = ["simulate", str(tmp_path / "d.yaml"), "--weights", str(tmp_path / "w.npy"),
            "--activations", str(tmp_path / "a.npy"), "--out", str(tmp_path / "y.npy"), "--simulator", "verilator"]
    assert main(args) == 0
    assert np.array_equal(np.load(tmp_path / "y.npy"), a @ w.astype(np.int64))


def test_cli_rejects_a_zero_weight_before_building(tmp_path, capsys):
    (tmp_path / "d.yaml").write_text(yaml.safe_dump(DESIGN))
    w = np.ones((22, 9), np.int8)
    w[4, 7] = 0
    np.save(tmp_path / "w.npy", w)
    np.save(tmp_path / "a.npy", np.zeros(22, np.int64))
    code = main(["simulate", str(tmp_path / "d.yaml"), "--weights", str(tmp_path / "w.npy"),
                 "--activations", str(tmp_path / "a.npy"), "--out", str(tmp_path / "y.npy")])
    err = capsys.readouterr().err.strip()
    assert code == 2 and not (tmp_path / "y.npy").exists() and "found 0 at [4, 7]" in err


def test_estimate_against_ternary():
    """Same geometry: 8 entries instead of 40, 4-bit keys instead of 7; a smaller core."""
    binary = api.estimate(lut_design(weights="binary", group_size=4))
    ternary = api.estimate(lut_design(weights="ternary", group_size=4))
    assert binary["bits_per_weight"] == 1.0
    assert binary["breakdown"]["area_um2"]["fetch"] < ternary["breakdown"]["area_um2"]["fetch"]
    assert binary["breakdown"]["area_um2"]["build"] < ternary["breakdown"]["area_um2"]["build"]
    assert binary["cycles_per_gemv"] == ternary["cycles_per_gemv"]


def test_float_activations_need_ternary_keys():
    with pytest.raises(ConfigError, match="must be one of ternary, not .binary."):
        parse_design(lut_design(weights="binary", activation="fp16"))


def test_design_rules():
    assert mac_weights("binary", False) == "ternary" and hardwired_weights("binary") == "ternary"
    assert SPEC.fit_group_size(7, (2, 7)) == 7


def test_swept_with_the_other_formats(tmp_path):
    """An exhaustive sweep prices binary points beside ternary ones; binary streams 1 bit per weight."""
    raw = {"name": "binary-vs-ternary", "workload": {"gemvs": [{"name": "proj", "n": 256, "m": 256}]},
           "parameters": {"architecture": ["lut", "mac"], "weights": ["ternary", "binary"], "activation": ["int8"],
                          "group_size": [2, 4], "luts": [4, 8], "fetchers": [8], "pipeline": [1]},
           "objectives": ["area_mm2", "energy_per_token_uj"], "constraints": {"memory_bandwidth_gbps": 10},
           "search": {"trials": 10}}
    path = tmp_path / "space.yaml"
    path.write_text(yaml.safe_dump(raw))
    assert parse_space(raw).size == 16
    res = run_sweep(str(path), out_dir=str(tmp_path / "out"), exhaustive=True, progress=False)
    trials = pd.read_csv(res.out_dir / "trials.csv")
    lut = trials[trials["architecture"] == "lut"].set_index(["weights", "group_size", "luts"])
    assert set(trials["weights"]) == {"ternary", "binary"}
    # streamed bytes: 256 x 256 weights at 1 bit (binary) against 7/4 bits (ternary keys, mu = 4)
    assert lut.loc[("binary", 4, 8), "mbytes_per_token"] == pytest.approx(256 * 256 / 8 / 1e6)
    assert lut.loc[("ternary", 4, 8), "mbytes_per_token"] == pytest.approx(256 * 256 * 7 / 4 / 8 / 1e6)
