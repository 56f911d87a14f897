"""Sweeps over every design family: weight formats, float activations, the MAC baseline
and hardwired layers (validation, normalization, evaluation, a small sweep with RTL)."""

import copy
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from dse.evaluate import METRICS, evaluate
from dse.space import load_space, parse_space
from dse.sweep import run_sweep
from hwgen import api
from hwgen.errors import ConfigError

ROOT = Path(__file__).resolve().parents[1]

MODEL = {"name": "tiny-model", "model": {"hidden": 64, "ffn": 128, "heads": 4, "kv_heads": 2, "layers": 4}}
FAMILIES = {
    "name": "families",
    "workload": MODEL,
    "tech": "n5",
    "parameters": {
        "architecture": ["lut", "mac"],
        "weights": ["ternary", "sherry", "ifairy", "int2", "int3", "int4"],
        "activation": ["int4", "int8", "fp8_e4m3", "bf16", "fp16"],
        "group_size": [1, 2, 3, 4, 5],
        "luts": {"min": 1, "max": 8, "scale": "pow2"},
        "fetchers": {"min": 1, "max": 16, "scale": "pow2"},
        "pipeline": {"min": 0, "max": 2},
        "adder_pipeline": [0, 1],
        "hardwired_layers": [0, 1, 2, 4],
    },
    "objectives": ["area_mm2", "energy_per_token_uj", "tokens_per_s"],
    "constraints": {"max_area_mm2": 5, "memory_bandwidth_gbps": 10},
    "search": {"trials": 160, "population": 20},
}


def _space(**params):
    raw = copy.deepcopy(FAMILIES)
    raw["parameters"].update(params)
    return parse_space(raw)


def test_all_families_preset_is_shipped_and_loads_by_name():
    space = load_space("all_families")
    assert {"architecture", "weights", "adder_pipeline", "hardwired_layers"} <= set(space.param_names)
    assert not space.vectorized and space.workload.layers == 30
    assert space.source == str(ROOT / "dse" / "presets" / "all_families_space.yaml")


def test_normalize_maps_to_buildable_designs():
    space = _space()
    base = {"group_size": 5, "luts": 1, "fetchers": 2, "pipeline": 2, "adder_pipeline": 1,
            "hardwired_layers": 2, "architecture": "lut", "weights": "sherry", "activation": "int8"}
    p = space.normalize(base)
    assert p["group_size"] == 4 and p["adder_pipeline"] == 0 and p["hardwired_layers"] == 2
    p = space.normalize({**base, "weights": "ifairy"})
    assert p["group_size"] == 4 and p["hardwired_layers"] == 0
    p = space.normalize({**base, "weights": "int4", "activation": "fp16"})
    assert p["weights"] == "ternary" and p["adder_pipeline"] == 1 and p["hardwired_layers"] == 0
    p = space.normalize({**base, "architecture": "mac", "weights": "ifairy"})
    assert p["architecture"] == "lut"
    # MAC: rows = group_size * luts = 1 has one cut point
    p = space.normalize({**base, "architecture": "mac", "weights": "int4", "group_size": 1})
    assert p["pipeline"] == 1 and p["group_size"] == 1
    small = _space(luts=[1, 2], fetchers=[1, 2], group_size=[1, 4], activation=["int8", "fp16"])
    assert small.size == len(small.grid()["luts"]) < small.raw_size


def test_family_path_matches_the_vectorized_path_for_ternary_cores():
    """A ternary int LUT core priced through the family path equals the original evaluation."""
    classic = dict(copy.deepcopy(FAMILIES), parameters={
        "group_size": [2, 4], "luts": [1, 8], "fetchers": [4, 16], "pipeline": [0, 1], "activation": ["int4", "int8"]})
    a = parse_space(classic)
    b = _space(architecture="lut", weights="ternary", hardwired_layers=[0])
    grid = a.grid()
    ref = evaluate(a, grid)
    got = evaluate(b, {**grid, "architecture": np.full(len(grid["luts"]), "lut"),
                       "weights": np.full(len(grid["luts"]), "ternary"),
                       "adder_pipeline": np.zeros(len(grid["luts"]), dtype=int),
                       "hardwired_layers": np.zeros(len(grid["luts"]), dtype=int)})
    for k in METRICS:
        np.testing.assert_allclose(np.asarray(got[k], dtype=float), np.asarray(ref[k], dtype=float), rtol=1e-9)


def test_hardwired_layers_trade_area_for_speed_and_bandwidth():
    space = _space()
    point = {"group_size": 4, "luts": 2, "fetchers": 4, "pipeline": 1, "adder_pipeline": 0,
             "architecture": "lut", "weights": "ternary", "activation": "int8"}
    rows = [space.normalize({**point, "hardwired_layers": h}) for h in (0, 2, 4)]
    m = evaluate(space, {k: np.array([r[k] for r in rows]) for k in rows[0]})
    assert m["area_mm2"][0] < m["area_mm2"][1] < m["area_mm2"][2]
    assert m["mbytes_per_token"][0] > m["mbytes_per_token"][1] > m["mbytes_per_token"][2] == 0
    assert m["tokens_per_s"][0] < m["tokens_per_s"][1] < m["tokens_per_s"][2]


@pytest.mark.parametrize("params, message", [
    ({"architecture": ["lut", "gpu"]}, "parameters.architecture: 'gpu' is not one of lut, mac"),
    ({"weights": ["ternary", "int8"]}, "parameters.weights: 'int8' is not one of"),
    ({"adder_pipeline": [0, 5]}, "parameters.adder_pipeline: 5 is outside 0..3"),
    ({"hardwired_layers": [0, 5]}, "parameters.hardwired_layers: 5 exceeds the workload's 4 layers"),
    ({"hardwired_layers": [-1]}, "parameters.hardwired_layers: -1 is outside"),
    ({"weights": ["int4"], "activation": ["int8", "fp16"]}, "parameters.weights: float activations on LUT cores"),
    ({"architecture": ["mac"], "weights": ["ifairy"]}, "parameters.weights: ifairy (complex) weights have no MAC"),
    ({"architecture": ["mac"], "group_size": [1], "luts": [1], "pipeline": [2]},
     "parameters.pipeline: a MAC baseline with rows=1"),
])
def test_family_validation_errors_name_the_field(params, message):
    with pytest.raises(ConfigError) as err:
        _space(**params)
    assert message in str(err.value)


def test_family_validation_against_the_workload():
    raw = copy.deepcopy(FAMILIES)
    raw["workload"] = {"gemvs": [{"name": "odd", "n": 30, "m": 8}]}
    raw["parameters"]["hardwired_layers"] = [0]
    with pytest.raises(ConfigError, match=r"parameters.weights: sherry needs every workload n to be a multiple "
                                          r"of 4 \(3:4 groups\); odd has n=30"):
        parse_space(raw)
    raw["parameters"]["weights"] = ["ternary"]
    raw["parameters"]["hardwired_layers"] = [0, 1]
    with pytest.raises(ConfigError, match="parameters.hardwired_layers: needs a model workload"):
        parse_space(raw)


def test_small_all_families_sweep(tmp_path):
    import yaml

    path = tmp_path / "families.yaml"
    path.write_text(yaml.safe_dump(FAMILIES))
    res = run_sweep(str(path), out_dir=str(tmp_path / "out"), progress=False)
    assert res.trials == 160 and len(res.pareto) > 3
    assert res.summary["exhaustive_pareto"] is None and "reference_skipped" in res.summary
    trials = pd.read_csv(res.out_dir / "trials.csv")
    assert set(trials["architecture"]) == {"lut", "mac"}
    assert len(set(trials["weights"])) >= 5 and trials["activation"].str.startswith("fp").any()
    assert (trials["hardwired_layers"] > 0).any() and trials["feasible"].any()
    assert res.pareto["architecture"].nunique() == 2  # both the LUT cores and the baseline are on the front


def test_rtl_of_every_family(tmp_path):
    """--emit-rtl builds each family's core: one fixed design per family."""
    import json

    import yaml

    cases = [("lut", "sherry", "int8"), ("lut", "ifairy", "int4"), ("lut", "int3", "int8"),
             ("lut", "ternary", "bf16"), ("mac", "int4", "fp16"), ("mac", "int2", "int8"), ("mac", "ternary", "int8")]
    for i, (arch, weights, act) in enumerate(cases):
        raw = copy.deepcopy(FAMILIES)
        raw["parameters"] = {"architecture": arch, "weights": weights, "activation": act, "group_size": 2,
                             "luts": 2, "fetchers": 2, "pipeline": 1, "hardwired_layers": 1 if act == "int8" else 0}
        path = tmp_path / f"s{i}.yaml"
        path.write_text(yaml.safe_dump(raw))
        res = run_sweep(str(path), out_dir=str(tmp_path / f"o{i}"), exhaustive=True, emit_rtl=True, progress=False)
        assert res.trials == 1
        folder = res.out_dir / "rtl" / res.pareto.iloc[0]["design"]
        assert list(folder.glob("*.v")) and (folder / "hardwired.yaml").is_file() == (act == "int8")
        manifest = json.loads((folder / "manifest.json").read_text())
        assert manifest["config"]["kind"] == arch, (arch, weights, act)
        if arch == "mac":
            assert manifest["config"]["weights"] == {"int4": "fp16", "int2": "int8", "ternary": "ternary"}[weights]
        else:
            assert manifest["config"]["weights"] == weights
        row = res.pareto.iloc[0]
        est = api.estimate(folder / "design.yaml", tech="n5")  # the sweep priced this core
        assert est["cycles_per_token"] == row["core_cycles_per_token"]
        if act != "int8":  # no hardwired layers: the row is the core alone
            assert est["area_um2"] == pytest.approx(row["area_mm2"] * 1e6, rel=1e-9)
            assert est["fmax_mhz"] == pytest.approx(row["fmax_mhz"], rel=1e-9)


def test_exhaustive_refuses_large_family_spaces(tmp_path):
    import yaml

    raw = copy.deepcopy(FAMILIES)
    raw["parameters"]["luts"] = {"min": 1, "max": 256, "scale": "pow2"}
    raw["parameters"]["fetchers"] = {"min": 1, "max": 256, "scale": "pow2"}
    path = tmp_path / "big.yaml"
    path.write_text(yaml.safe_dump(raw))
    with pytest.raises(ConfigError, match="priced one at a time"):
        run_sweep(str(path), out_dir=str(tmp_path / "o"), exhaustive=True, progress=False)
