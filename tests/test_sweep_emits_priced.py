"""The sweep prices the design it emits: `hwgen estimate` of each Pareto design's
``design.yaml`` equals its report row (area, fmax, cycles per token), and ``program.json``
lists the commands of one decode step whose cycles add up to the row's."""

import json

import numpy as np
import pytest
import yaml

from dse.space import load_space
from dse.sweep import design_of_row, run_sweep
from hwgen import api
from hwgen.config import parse_design
from hwgen.schedule import gemv_cycles

SMALL = {
    "name": "emit",
    "workload": {"name": "layer", "model": {"hidden": 96, "ffn": 160, "heads": 6, "kv_heads": 2, "layers": 2}},
    "parameters": {"group_size": [2, 3], "luts": [1, 2], "fetchers": [2, 4], "pipeline": [1]},
    "objectives": ["area_mm2", "energy_per_token_uj", "tokens_per_s"],
    "search": {"trials": 8, "population": 4},
}


def assert_row_is_estimate(design: dict, row) -> None:
    est = api.estimate(design)
    assert est["area_um2"] == pytest.approx(row["area_mm2"] * 1e6, rel=1e-9)
    assert est["fmax_mhz"] == pytest.approx(row["fmax_mhz"], rel=1e-9)
    assert est["cycles_per_token"] == int(row["core_cycles_per_token"])


def test_emitted_designs_are_the_priced_rows(tmp_path):
    path = tmp_path / "space.yaml"
    path.write_text(yaml.safe_dump(SMALL))
    res = run_sweep(str(path), out_dir=str(tmp_path / "out"), exhaustive=True, emit_rtl=True, progress=False)
    assert len(res.pareto) >= 2
    for _, row in res.pareto.iterrows():
        folder = res.out_dir / "rtl" / row["design"]
        design = yaml.safe_load((folder / "design.yaml").read_text())
        assert_row_is_estimate(design, row)
        assert (folder / f"{parse_design(design).top}.v").is_file()
        program = json.loads((folder / "program.json").read_text())
        config = parse_design(design)
        rows_per_tile = config.group_size * config.luts
        names = [c["name"] for c in program["commands"]]
        assert names == ["q", "k", "v", "o", "gate", "up", "down"] * 2  # two layers of a decode step
        latency = api.build(config)[1]["latency_cycles"]
        assert program["cycles_per_token"] == int(row["core_cycles_per_token"]) == sum(
            gemv_cycles(c["n"], c["m"], rows_per_tile, config.fetchers, latency) for c in program["commands"])
        assert program["commands"][0]["cmd"] == 96 | 96 << 8  # n in the low bit_length(160) = 8 bits


def test_default_space_rows_are_their_designs(tmp_path):
    """On the default space (BitNet b1.58 2B4T decode), every Pareto row is the estimate of
    the design --emit-rtl writes for it (the Verilog itself is the test above's: these cores are large)."""
    res = run_sweep(None, trials=40, out_dir=str(tmp_path / "out"), progress=False)
    space = load_space(None)
    assert len(res.pareto) >= 3
    for _, row in res.pareto.iterrows():
        design = design_of_row(space, row)
        assert design["workload"]["max_n"] == 6912 and design["workload"]["max_m"] == 6912
        assert_row_is_estimate(design, row)
    assert np.all(res.pareto["core_cycles_per_token"] > 0)
