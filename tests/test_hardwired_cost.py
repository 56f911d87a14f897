"""Cost model of hardwired arrays: estimate keys, scaling, whole-model projection."""

import shutil

import pytest

from costmodel import synth
from costmodel.hardwired import estimate_hardwired, metal_embedding_area, project_model
from hwgen.errors import ConfigError
from hwgen.hardwired import parse_hardwired
from hwgen.hardwired.rtl import generate_verilog

KEYS = ("area_um2", "power_mw", "energy_pj_per_gemv", "fmax_mhz", "cycles_per_gemv")


def test_estimate_keys_and_trends():
    small = estimate_hardwired(parse_hardwired({"kind": "hardwired", "workload": {"n": 32, "m": 16}}))
    big = estimate_hardwired(parse_hardwired({"kind": "hardwired", "workload": {"n": 64, "m": 16}}))
    assert all(k in small and small[k] > 0 for k in KEYS)
    assert big["area_um2"] > small["area_um2"] and small["cycles_per_gemv"] == 1
    piped = estimate_hardwired(parse_hardwired({"kind": "hardwired", "workload": {"n": 64, "m": 16}, "pipeline": 2}))
    assert piped["fmax_mhz"] > big["fmax_mhz"] and piped["latency_cycles"] == 4
    serial = estimate_hardwired(parse_hardwired({"kind": "hardwired", "workload": {"n": 64, "m": 16},
                                                 "bit_serial": True}))
    assert serial["cycles_per_gemv"] == 8
    n5 = estimate_hardwired(parse_hardwired({"kind": "hardwired", "workload": {"n": 32, "m": 16}}), "n5")
    assert n5["area_um2"] < small["area_um2"] / 100 and n5["fmax_mhz"] > small["fmax_mhz"]
    with pytest.raises(ConfigError, match="unknown technology"):
        estimate_hardwired(parse_hardwired({"kind": "hardwired", "workload": {"n": 4, "m": 4}}), "n3x")


def test_projection_and_metal_embedding():
    p = project_model("bitnet-2b4t", "n5")
    assert 2.0e9 < p["weights"] < 2.6e9 and p["area_mm2"] > 0 and p["tokens_per_s"] > 0
    assert p["tokens_per_j"] > 0 and abs(sum(p["energy_breakdown_mj"].values()) - p["energy_mj_per_token"]) < 1e-9
    me = metal_embedding_area(p["weights"], 1, p["area_mm2"] * 1e6 / p["weights"])
    assert me["area_mm2"] < p["area_mm2"]
    with pytest.raises(ConfigError, match="unknown model preset"):
        project_model("llama-7b")


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("yosys") is None or shutil.which("sta") is None or not synth.OSU018_LIBERTY.is_file(),
                    reason="needs yosys, opensta and qflow-tech-osu018")
@pytest.mark.parametrize("raw", [
    {"workload": {"n": 24, "m": 16}, "seed": 41},
    {"workload": {"n": 16, "m": 12}, "weights": "int4", "bit_serial": True, "pipeline": 1, "seed": 42},
], ids=["ternary-24x16", "int4-bit-serial-16x12"])
def test_all_pairs_area_estimate_is_within_10_percent_of_synthesis(raw, tmp_path, monkeypatch):
    """All-pairs arrays keep each adder whole in synthesis and are priced with their own adder
    coefficient: two small ones outside its fitted and held-out lists, against Yosys + OpenSTA."""
    monkeypatch.setenv("HWGEN_CACHE_DIR", str(tmp_path / "cache"))
    config = parse_hardwired({"kind": "hardwired", "cse": "all-pairs", **raw})
    text, _, _ = generate_verilog(config)
    (tmp_path / "hw.v").write_text(text)
    synthesized = synth.synthesize([tmp_path / "hw.v"], config.top)
    estimate = estimate_hardwired(config)["area_um2"]
    assert abs(estimate / synthesized.area_um2 - 1) < 0.10, (estimate, synthesized.area_um2)
