"""Every file in designs/ is a design `hwgen` accepts (spaces and workloads ship in dse/presets/)."""

from pathlib import Path

import pytest

from hwgen import api

DESIGNS = sorted((Path(__file__).resolve().parents[1] / "designs").rglob("*.yaml"))


def test_designs_folder_is_not_empty():
    assert {"lut_small.yaml", "lut_default.yaml"} <= {p.name for p in DESIGNS}


@pytest.mark.parametrize("path", DESIGNS, ids=lambda p: p.stem)
def test_design_loads(path):
    assert api.load(path).kind in ("lut", "mac", "hardwired")
