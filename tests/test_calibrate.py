"""Leave-one-out cross-validation of the technology-table fit (how prior weights are chosen)."""

from pathlib import Path

import numpy as np

from costmodel.calibrate import CALIBRATION_CORES, _features, block_priors, blocks_from_csv, cross_validate
from costmodel.model import FEATURES

BLOCKS_CSV = Path(__file__).resolve().parents[1] / "reports" / "validation" / "calibration_blocks.csv"


def test_leave_one_out_sees_exact_costs_exactly_and_a_bad_core_as_bad():
    blocks = blocks_from_csv(BLOCKS_CSV)
    truth = np.array([block_priors(blocks)["area_um2"][k] for k in FEATURES])
    designs = CALIBRATION_CORES[:16]
    areas = _features(designs) @ truth
    cores = [dict(d, area_um2=float(a)) for d, a in zip(designs, areas)]
    mape, worst = cross_validate(cores, blocks, "area", 1e-6)
    assert worst < 0.1
    cores[5]["area_um2"] *= 1.3  # left out, the others predict its true area (-23%); left in, it skews them
    mape, worst = cross_validate(cores, blocks, "area", 1e-6)
    assert worst > 20.0
