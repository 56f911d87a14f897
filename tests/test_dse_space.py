"""Space files and workloads: parsing, validation errors, presets."""

import shutil
from pathlib import Path

import pytest

from dse.space import default_space_path, load_space, parse_space
from dse.workload import load_workload, preset_names
from hwgen.errors import ConfigError

SMALL = {
    "workload": {"gemvs": [{"name": "a", "n": 256, "m": 128, "count": 2}, {"n": 512, "m": 256}]},
    "parameters": {"group_size": [3, 4], "luts": {"min": 1, "max": 8, "scale": "pow2"},
                   "fetchers": [2, 4, 8], "pipeline": {"min": 0, "max": 2}},
}


def test_default_space_is_packaged():
    space = load_space()
    assert space.workload.name == "bitnet-b1.58-2b4t"
    assert space.size == len(space.grid()["luts"]) > 1000
    assert default_space_path().parent == Path(__file__).resolve().parents[1] / "dse" / "presets"


def test_bitnet_2b4t_workload_shapes():
    wl = load_workload("bitnet-b1.58-2b4t")
    shapes = {g.name: (g.n, g.m, g.count) for g in wl.gemvs}
    assert shapes == {"q": (2560, 2560, 30), "k": (2560, 640, 30), "v": (2560, 640, 30), "o": (2560, 2560, 30),
                      "gate": (2560, 6912, 30), "up": (2560, 6912, 30), "down": (6912, 2560, 30)}
    assert wl.gemvs_per_token == 210
    assert "bitnet-b1.58-2b4t" in preset_names()


def test_ranges_and_pipeline_clamp():
    space = parse_space(SMALL)
    assert space.param("luts").values == (1, 2, 4, 8)
    assert space.param("pipeline").values == (0, 1, 2)
    # luts=1 allows 2 cut points: pipeline 2 stays, a bigger request is clamped
    assert space.normalize({"group_size": 3, "luts": 1, "fetchers": 2, "pipeline": 2})["pipeline"] == 2
    assert space.size == len(space.grid()["luts"])


@pytest.mark.parametrize("patch, message", [
    ({"parameters": {"luts": {"min": 3, "max": 8, "scale": "pow2"}}}, "parameters.luts: scale pow2"),
    ({"parameters": {"group_size": [0, 3]}}, "parameters.group_size: 0 is outside"),
    ({"parameters": {"fetchers": []}}, "parameters.fetchers: the list of values is empty"),
    ({"parameters": {"activation": "fp32"}}, "parameters.activation: 'fp32' is not one of"),
    ({"parameters": {"lutz": 4}}, "unknown parameter(s) in 'parameters': lutz"),
    ({"parameters": {"pipeline": {"min": 3, "max": 1}}}, "parameters.pipeline: 'min' 3 is greater"),
    ({"objectives": ["area_mm2", "speed"]}, "unknown objective 'speed'"),
    ({"constraints": {"max_area_mm2": -1}}, "constraints.max_area_mm2 must be a positive number"),
    ({"constraints": {"max_cost": 3}}, "unknown constraint 'max_cost'"),
    ({"search": {"sampler": "cmaes"}}, "search.sampler must be one of"),
    ({"tech": "tsmc1nm"}, "unknown technology 'tsmc1nm'"),
    ({"workload": "no-such-model"}, "neither a preset"),
    ({"workload": {"gemvs": [{"n": 0, "m": 4}]}}, "'n' must be a positive integer"),
    ({"colour": "red"}, "unknown field(s) in the space: colour"),
])
def test_validation_errors_name_the_field(patch, message):
    raw = {**SMALL, **patch}
    if "parameters" in patch:
        raw["parameters"] = {**SMALL["parameters"], **patch["parameters"]}
    with pytest.raises(ConfigError) as err:
        parse_space(raw)
    assert message in str(err.value)


def test_space_file_errors(tmp_path):
    with pytest.raises(ConfigError, match="space file not found"):
        load_space(tmp_path / "missing.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("parameters: [unclosed\n")
    with pytest.raises(ConfigError, match="bad.yaml: not valid YAML"):
        load_space(bad)
    ok = tmp_path / "ok.yaml"
    shutil.copy(default_space_path(), ok)
    assert load_space(ok).name == "bitnet-b1.58-2b4t-lut"
