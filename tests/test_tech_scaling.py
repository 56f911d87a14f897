"""The advanced-node tables are osu018 scaled by factors computed from their stated inputs."""

import json

import pytest

from costmodel.tech import SCALING, TECH_DIR, cv2_energy_factor, derive_scaled, load_tech, nand2_area_factor


def test_factors_from_their_inputs():
    # NAND2 = 3 x CPP x cell height, over osu018's 24 um^2 (16FF+: 90 nm x 576 nm = 0.156 um^2)
    assert nand2_area_factor(90, 576) == 0.0065
    assert cv2_energy_factor(0.0065, 0.8) == 0.0159  # sqrt(0.0065) * (0.8 / 1.8)^2 = 0.01593


@pytest.mark.parametrize("name", list(SCALING))
def test_shipped_table_is_the_derivation(name):
    """`python -m costmodel.tech` would rewrite the shipped table unchanged."""
    shipped = json.loads((TECH_DIR / f"{name}.json").read_text())
    spec = SCALING[name]
    derived = derive_scaled(load_tech("osu018"), name, spec["description"],
                            {k: v for k, v in spec.items() if k != "description"})
    for section in ("area_um2", "energy_pj", "delay_ns", "leakage_mw_per_um2"):
        assert shipped[section] == derived[section], section
    assert shipped["provenance"]["scaling"] == derived["provenance"]["scaling"]
