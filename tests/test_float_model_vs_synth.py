"""The float LUT core's unit-priced model against real synthesis (Yosys + osu018).

One small fp8 core (synthesis ~6 s, cached). The float model has no accuracy target in
the issues; 20% is about twice its error on this design today (reports/findings.md lists
model vs synthesis for every float design the findings synthesize).
"""

import shutil

import pytest

pytestmark = pytest.mark.slow

DESIGN = {"kind": "lut", "activation": "fp8_e4m3", "group_size": 2, "luts": 2, "fetchers": 4,
          "pipeline": 1, "workload": {"n": 64, "m": 16}}


@pytest.mark.skipif(shutil.which("yosys") is None or shutil.which("sta") is None,
                    reason="needs yosys and OpenSTA (make tools)")
def test_float_lut_model_tracks_synthesis():
    from hwgen import api

    synth, model = api.synth(DESIGN)["area_um2"], api.estimate(DESIGN)["area_um2"]
    assert abs(model / synth - 1) <= 0.20, f"model {model:.0f} um^2 vs synthesis {synth:.0f} um^2"


def test_add_sub_pairs_share_logic():
    """The build's a+b / a-b pairs are priced below two adders (measured, every format)."""
    from costmodel.float_model import FLOATS, unit_costs

    units = unit_costs()
    for fmt in FLOATS:
        assert units["fpaddsub"][fmt]["area_um2"] < 2 * units["fpadd"][fmt]["area_um2"], fmt
