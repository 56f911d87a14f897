"""`--synth-top` compares like with like: the model is priced with the table of the library the
designs were synthesized with, and a scaled technology (n5) says so in the report."""

import json

import pandas as pd
import pytest
import yaml

from costmodel.synth_target import synthesis_target
from costmodel.synth import LIBRARIES
from costmodel.tech import TECH_DIR
from dse.sweep import run_sweep
from hwgen.errors import ConfigError

#: A mixed-family space (ternary and int2 LUT cores, MAC baselines) small enough to synthesize.
SPACE = {
    "name": "synth-top",
    "workload": {"name": "tiny", "gemvs": [{"name": "a", "n": 64, "m": 32, "count": 1}]},
    "parameters": {"architecture": ["lut", "mac"], "weights": ["ternary", "int2"], "activation": ["int4"],
                   "group_size": [2], "luts": [1, 2], "fetchers": [1, 2], "pipeline": [1]},
    "objectives": ["area_mm2", "energy_per_token_uj", "tokens_per_s"],
    "constraints": {},
}


def test_every_shipped_table_has_a_synthesis_target():
    for name, library, scaled in (("osu018", "osu018", False), ("osu035", "osu035", False),
                                  ("n16", "osu018", True), ("n7", "osu018", True), ("n5", "osu018", True)):
        target = synthesis_target(name)
        assert (target.tech, target.scaled) == (library, scaled)
        assert target.liberty == LIBRARIES[library].path
        assert ("scaled" in target.note()) == scaled and library in target.note()
    assert synthesis_target("n5").scaling["area"]["factor"] < 0.01


def test_a_table_without_a_library_cannot_be_synthesized(tmp_path):
    table = json.loads((TECH_DIR / "osu018.json").read_text())
    table["name"] = "nolib"
    table["provenance"] = {"liberty": str(tmp_path / "missing.lib")}
    path = tmp_path / "nolib.json"
    path.write_text(json.dumps(table))
    with pytest.raises(ConfigError, match="no Liberty library"):
        synthesis_target(str(path))


def _sweep(tmp_path, tech):
    space = tmp_path / f"{tech}.yaml"
    space.write_text(yaml.safe_dump({**SPACE, "tech": tech}))
    result = run_sweep(str(space), out_dir=str(tmp_path / tech), exhaustive=True, synth_top=2, progress=False)
    rows = pd.read_csv(result.out_dir / "synthesis.csv")
    report = (result.out_dir / "report.md").read_text()
    return rows, report.split("## Model against synthesis", 1)[1].split("\n## ", 1)[0]


def test_synth_top_of_a_scaled_technology_is_like_for_like_and_says_so(tmp_path):
    rows, section = _sweep(tmp_path, "n5")
    assert len(rows) == 2
    # The model columns are priced with the table of the library that was synthesized ...
    assert (rows["model_tech"] == rows["synth_library"]).all()
    # ... and wherever that is not the space's technology, the report says so.
    for lib in set(rows["synth_library"]) - {"n5"}:
        assert f"n5 has no Liberty library: it is {lib} scaled" in section
    # n5's clocks scaled back to osu018 give exactly the osu018 space's comparison.
    same, same_section = _sweep(tmp_path, "osu018")
    pd.testing.assert_frame_equal(rows, same)
    assert "like for like" in same_section and "scaled" not in same_section
    assert (rows["area_err_pct"].abs() < 50).all(), rows  # a 5 nm model area beside 0.18 um is -99.9%
    for q, model, synth in (("area", "model_area_um2", "synth_area_um2"), ("fmax", "model_fmax_mhz", "synth_fmax_mhz"),
                            ("power", "model_power_mw", "synth_power_mw")):
        assert (rows[f"{q}_err_pct"] - 100 * (rows[model] / rows[synth] - 1)).abs().max() < 1e-4, q  # 8 digits in the CSV
