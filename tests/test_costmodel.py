"""Unit and property tests of the analytical cost model (no synthesis)."""

import json

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from costmodel import model
from costmodel.model import FEATURES, estimate, estimate_batch, params_from_configs, structure
from costmodel.tech import SCALING, TECH_DIR, known_techs, load_tech
from hwgen.config import max_pipeline, parse_design
from hwgen.formats import WEIGHT_FORMATS
from hwgen.weights import weight_spec
from hwgen.weights.shape import LutCoreShape
from hwgen.errors import ConfigError


def config(mu=4, L=8, K=16, act="int8", p=1, n=512, m=256):
    return parse_design({"kind": "lut", "activation": act, "group_size": mu, "luts": L, "fetchers": K,
                         "pipeline": p, "workload": {"n": n, "m": m}})


def some_configs():
    rng = np.random.default_rng(1)
    out = []
    for _ in range(60):
        L = int(rng.integers(1, 20))
        out.append(config(mu=int(rng.integers(1, 7)), L=L, K=int(rng.integers(1, 33)),
                          act=str(rng.choice(["int4", "int8"])), p=int(rng.integers(0, max_pipeline(L) + 1)),
                          n=int(rng.integers(1, 3000)), m=int(rng.integers(1, 3000))))
    return out


def test_batch_features_match_shape():
    configs = some_configs()
    st_ = model._batch_structure(model._normalize(params_from_configs(configs)))
    for i, c in enumerate(configs):
        ref = structure(c)
        for k in FEATURES:
            got = st_["features"][k] if np.ndim(st_["features"][k]) == 0 else st_["features"][k][i]
            assert got == pytest.approx(ref["features"][k]), (c, k)
        assert st_["cycles"][i] == ref["cycles"] == LutCoreShape(c).cycles_per_gemv


def format_configs():
    """Cores of every weight format, ternary included, over geometries and pipeline depths."""
    rng = np.random.default_rng(2)
    out = []
    for weights in WEIGHT_FORMATS:
        spec = weight_spec(weights)
        for _ in range(8):
            L = int(rng.integers(1, 12))
            n = int(rng.integers(1, 200)) * spec.row_multiple
            out.append(parse_design({
                "kind": "lut", "weights": weights, "activation": str(rng.choice(["int4", "int8"])),
                "group_size": int(rng.choice(spec.group_sizes[:5])), "luts": L, "fetchers": int(rng.integers(1, 20)),
                "pipeline": int(rng.integers(0, max_pipeline(L) + 1)),
                "workload": {"n": n, "m": int(rng.integers(1, 200))}}))
    return out


def test_one_model_serves_every_format():
    """The vectorized path counts what `structure` counts for every format, and a batch of
    mixed formats prices each point as a one-design estimate does."""
    configs = format_configs()
    params = params_from_configs(configs)
    st_ = model._batch_structure(model._normalize(params))
    batch = estimate_batch(params)
    for i, c in enumerate(configs):
        ref = structure(c)
        for k in FEATURES:
            got = st_["features"][k] if np.ndim(st_["features"][k]) == 0 else st_["features"][k][i]
            assert got == pytest.approx(ref["features"][k]), (c, k)
        one = estimate(c)
        for key in (*model.OUTPUT_KEYS, "bits_per_weight"):
            assert one[key] == pytest.approx(float(batch[key][i]), rel=1e-12), (c, key)
        assert one["bits_per_weight"] == LutCoreShape(c).key_width / c.group_size
        assert ("accuracy" in one) == (c.weights == "ternary")  # validated on ternary cores only


def test_batch_rejects_a_group_size_the_format_forbids():
    with pytest.raises(ValueError, match="'group_size' 3 is not allowed for sherry"):
        estimate_batch({"weights": "sherry", "group_size": 3, "luts": 2, "fetchers": 2, "act_width": 8,
                        "pipeline": 1, "n": 8, "m": 8})
    with pytest.raises(ValueError, match="'weights' must be one of"):
        estimate_batch({"weights": "int9", "group_size": 3, "luts": 2, "fetchers": 2, "act_width": 8,
                        "pipeline": 1, "n": 8, "m": 8})


def test_counts_follow_the_rtl_structure():
    c = config(mu=4, L=8, K=16, p=0)
    s, f = LutCoreShape(c), structure(c)["features"]
    assert f["build_adders"] == 8 * s.graph.adders == 8 * (40 - 4)
    # activation buffer: ceil(512 / 32) = 16 words of 32 * 8 = 256 bits; read mux, stream/buffer select
    assert f["mux_data_bits"] == 8 * 16 * s.table_bits + 16 * 256 + 2 * 256
    assert f["mux_select_terms"] == 8 * 16 * 41 + 16  # (E + 1) per fetch mux, one per buffer word
    assert f["neg_bits"] == 8 * 16 * s.fetch_width
    assert f["tree_adders"] == 16 * 7
    # accumulators and results, valid/last; command n, m (10 + 9 bits), busy, error, row index and
    # read address (4 + 4), row base (bit_length(512 + 31) = 10), column base (bit_length(256 + 15) = 9), buffer
    frame_regs = 19 + 2 + 8 + 10 + 9 + 16 * 256
    assert f["reg_bits"] == 2 * 16 * c.accumulator_width + 2 + frame_regs
    # row index incrementer; per base counter its increment and end test (one bit wider), and the range check
    assert f["counter_bits"] == 4 + 2 * (11 + 10) + (10 + 9)


@pytest.mark.parametrize("tech", ["osu018", "n7"])
def test_single_agrees_with_batch(tech):
    configs = some_configs()
    batch = estimate_batch(params_from_configs(configs), tech)
    for i, c in enumerate(configs):
        one = estimate(c, tech)
        for key in model.OUTPUT_KEYS:
            assert one[key] == pytest.approx(float(batch[key][i]), rel=1e-12), (c, key)
        assert sum(one["breakdown"]["area_um2"].values()) == pytest.approx(one["area_um2"])


def test_estimate_contract_and_clock():
    c = config()
    e = estimate(c)
    for key in ("area_um2", "power_mw", "energy_pj_per_gemv", "energy_pj_per_op", "fmax_mhz",
                "cycles_per_gemv", "throughput_gops", "gemv_per_s"):
        assert key in e and e[key] > 0
    assert set(e["breakdown"]["area_um2"]) == {"build", "fetch", "tree", "registers", "control", "buffer"}
    assert e["clock_mhz"] == pytest.approx(e["fmax_mhz"])
    slow = estimate(c, clock_mhz=e["fmax_mhz"] / 2)
    assert slow["throughput_gops"] == pytest.approx(e["throughput_gops"] / 2)
    assert slow["power_mw"] < e["power_mw"]
    json.dumps(e)


def test_unknown_tech_lists_known_ones():
    with pytest.raises(ConfigError, match="osu018"):
        load_tech("nope")
    assert {"osu018", "n16", "n7", "n5"} <= set(known_techs())


def test_a_table_file_is_a_technology(tmp_path):
    """A table fitted to another Liberty library is used by its path, like a shipped one."""
    table = json.loads((TECH_DIR / "osu018.json").read_text())
    table["name"] = "mylib"
    table["area_um2"] = {k: 2 * v for k, v in table["area_um2"].items()}
    path = tmp_path / "mylib.json"
    path.write_text(json.dumps(table))
    config = parse_design({"kind": "lut", "group_size": 2, "luts": 2, "fetchers": 2, "workload": {"n": 16, "m": 8}})
    assert estimate(config, str(path))["area_um2"] == pytest.approx(2 * estimate(config, "osu018")["area_um2"])
    (tmp_path / "list.json").write_text("[1, 2]")
    with pytest.raises(ConfigError, match="JSON object"):
        load_tech(str(tmp_path / "list.json"))
    with pytest.raises(ConfigError, match="not found"):
        load_tech(str(tmp_path / "missing.json"))
    table["delay_ns"]["add_base"] = "fast"
    path.write_text(json.dumps(table))
    load_tech.cache_clear()
    with pytest.raises(ConfigError, match="must be a number"):
        load_tech(str(path))


def test_derived_tables_cite_their_sources():
    for name in SCALING:
        prov = load_tech(name).provenance
        assert prov["derived_from"] == "osu018"
        for factor in ("area", "energy", "delay"):
            assert prov["scaling"][factor]["source"]
    assert load_tech("n5").area["reg_bits"] < load_tech("n7").area["reg_bits"] < load_tech("n16").area["reg_bits"]


def test_large_batch_spans_chunks_and_agrees_with_small_batches():
    """100,000 points cross several internal chunks; its speed is benchmarks/bench_costmodel.py's job."""
    rng = np.random.default_rng(0)
    n = 100_000
    params = dict(group_size=rng.integers(1, 7, n), luts=rng.integers(1, 33, n), fetchers=rng.integers(1, 65, n),
                  act_width=rng.choice([4, 8], n), pipeline=rng.integers(0, 3, n),
                  n=rng.integers(64, 4096, n), m=rng.integers(64, 4096, n))
    out = estimate_batch(params)
    assert out["area_um2"].shape == (n,) and np.isfinite(out["area_um2"]).all()
    picks = rng.choice(n, 50, replace=False)
    small = estimate_batch({k: v[picks] for k, v in params.items()})
    for key in ("area_um2", "energy_pj_per_gemv", "fmax_mhz", "cycles_per_gemv"):
        np.testing.assert_allclose(out[key][picks], small[key], rtol=1e-12)


@settings(max_examples=60, deadline=None)
@given(mu=st.integers(1, 6), L=st.integers(1, 16), K=st.integers(1, 32), act=st.sampled_from(["int4", "int8"]),
       p=st.integers(0, 2))
def test_area_and_energy_grow_with_K_and_L(mu, L, K, act, p):
    # L -> 2L, not L + 1: an unregistered 4-input tree fuses into its accumulator's add
    # (carry-save rows at the accumulator's width) and a 5-input one does not, so one more
    # LUT can cost less there, in synthesis as in the model (`costmodel.adder_fusion`).
    base = estimate(config(mu, L, K, act, p))
    more_k = estimate(config(mu, L, K + 1, act, p))
    more_l = estimate(config(mu, 2 * L, K, act, p))
    for other in (more_k, more_l):
        assert other["area_um2"] > base["area_um2"]
        assert other["energy_pj_per_cycle"] > base["energy_pj_per_cycle"]


@settings(max_examples=40, deadline=None)
@given(mu=st.integers(1, 5), L=st.integers(1, 16), K=st.integers(1, 32), act=st.sampled_from(["int4", "int8"]))
def test_bigger_groups_and_wider_acts_cost_more_build(mu, L, K, act):
    a = estimate(config(mu, L, K, act, 0))["breakdown"]["area_um2"]
    b = estimate(config(mu + 1, L, K, act, 0))["breakdown"]["area_um2"]
    assert b["fetch"] > a["fetch"] and b["build"] >= a["build"]
    w = estimate(config(mu, L, K, "int8", 0))["breakdown"]["area_um2"]
    n = estimate(config(mu, L, K, "int4", 0))["breakdown"]["area_um2"]
    assert w["fetch"] > n["fetch"]


@pytest.mark.parametrize("pipeline, regime", [(0, "unpipelined"), (1, "pipelined")])
def test_estimate_reports_its_validated_accuracy(pipeline, regime):
    """The accuracy block of an osu018 estimate is the committed validation report's, per regime."""
    import pandas as pd

    report = pd.read_csv(TECH_DIR.parents[1] / "reports" / "validation" / "validation.csv")
    part = report[(report["p"] > 0) == (pipeline > 0)]
    acc = estimate(config(p=pipeline), "osu018")["accuracy"]
    assert acc["regime"] == regime and acc["validated"] and acc["cores"] == len(part)
    for q in ("area", "power", "fmax"):
        err = part[f"{q}_err_pct"].abs()
        assert acc[f"{q}_mape_pct"] == pytest.approx(err.mean(), abs=0.01)
        assert acc[f"{q}_worst_pct"] == pytest.approx(err.max(), abs=0.01)


def test_unvalidated_tables_say_so():
    from costmodel.tech import tech_from_dict

    derived = estimate(config(), "n7")["accuracy"]
    assert not derived["validated"] and "derived from osu018" in derived["note"]
    refitted = tech_from_dict({k: v for k, v in load_tech("osu018").to_dict().items() if k != "validation"})
    assert not estimate(config(), refitted)["accuracy"]["validated"]
