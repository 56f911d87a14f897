"""A small validation subset: the cost model against real synthesis (Yosys + osu018 + OpenSTA).

Two validation designs (not in the calibration set), synthesized with activity from a
simulation VCD; results are cached by the flow, so reruns are fast. Each design must meet
the per-design targets on its own (area within 12%, fmax within 15%), and the pair the
power target, which the issue sets on the mean (MAPE within 15%: input-port activity
annotation leaves single designs up to ~35% off); see reports/validation/validation.md
for the full set.
"""

import shutil

import pytest

from costmodel.validate import VALIDATION_CORES, compare

pytestmark = pytest.mark.slow

SUBSET = [
    dict(mu=2, L=2, K=2, act="int8", p=0, n=64, m=16),
    dict(mu=3, L=2, K=4, act="int8", p=1, n=96, m=32),
]
TOLERANCE_PCT = {"area": 12.0, "fmax": 15.0}
POWER_MAPE_PCT = 15.0


@pytest.mark.skipif(shutil.which("yosys") is None or shutil.which("sta") is None,
                    reason="needs yosys and OpenSTA (make tools)")
def test_model_tracks_synthesis():
    from costmodel.runs import synth_designs

    assert all(d in VALIDATION_CORES for d in SUBSET)
    df = compare(synth_designs(SUBSET, jobs=1))
    for q, tol in TOLERANCE_PCT.items():
        errors = df[f"{q}_err_pct"].abs()
        assert (errors <= tol).all(), f"{q} errors {errors.tolist()} exceed {tol}%"
    power = df["power_err_pct"].abs()
    assert power.mean() <= POWER_MAPE_PCT, f"power errors {power.tolist()}: mean above {POWER_MAPE_PCT}%"
