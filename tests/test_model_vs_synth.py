"""A validation subset in the test suite: the cost model against real synthesis.

The subset is every validation design whose synthesis took under 15 s (the rule keeps
the suite fast; it was applied to reports/validation/validation.csv, not chosen by error).
Each is synthesized as today's programmable core (command, counters, activation buffer;
Yosys + osu018 + OpenSTA, activity from a simulation VCD; cached by the flow) and must
reproduce the committed report's area exactly (reports/validation/programmable/subset/:
the flow is deterministic, so a drifting flow or generator shows here), and the subset
must meet the issue's mean targets for area (MAPE <= 5%) and fmax (<= 15%). Power misses
its 15% target on programmable cores (the buffer's held registers are priced as switching
ones, BENCHMARKS.md); it is held at the 30% it is within today, so it cannot drift unseen.
The per-design area bound (12%) is not asserted: the full report lists the designs that miss it.
"""

import shutil
from pathlib import Path

import pytest

from costmodel.validate import TARGETS, VALIDATION_CORES, compare, rows_from_csv

pytestmark = pytest.mark.slow

REPORT = Path(__file__).resolve().parents[1] / "reports" / "validation" / "programmable" / "subset" / "validation.csv"
#: Power MAPE bound while the 15% target is missed (measured 25.2% on this subset).
POWER_MAPE_BOUND = 30.0
SUBSET = [
    dict(mu=2, L=2, K=2, act="int8", p=0, n=64, m=16),
    dict(mu=1, L=1, K=16, act="int8", p=2, n=8, m=64),
    dict(mu=2, L=6, K=2, act="int8", p=3, n=96, m=32),
    dict(mu=5, L=1, K=2, act="int4", p=0, n=160, m=32),
    dict(mu=1, L=6, K=8, act="int4", p=2, n=192, m=128),
    dict(mu=2, L=6, K=4, act="int4", p=4, n=384, m=32),
    dict(mu=1, L=12, K=1, act="int4", p=6, n=96, m=4),
    dict(mu=2, L=4, K=1, act="int4", p=1, n=64, m=4),
    dict(mu=3, L=6, K=1, act="int4", p=3, n=144, m=4),
    dict(mu=1, L=16, K=4, act="int4", p=3, n=512, m=32),
    dict(mu=2, L=12, K=2, act="int8", p=5, n=384, m=16),
    dict(mu=3, L=8, K=2, act="int4", p=3, n=192, m=16),
    dict(mu=1, L=8, K=4, act="int8", p=5, n=256, m=32),
    dict(mu=3, L=6, K=2, act="int4", p=5, n=576, m=32),
]


def _key(d: dict) -> tuple:
    return tuple(d[k] for k in ("mu", "L", "K", "act", "p", "n", "m"))


@pytest.mark.skipif(shutil.which("yosys") is None or shutil.which("sta") is None,
                    reason="needs yosys and OpenSTA (make tools)")
def test_model_tracks_synthesis():
    from costmodel.runs import synth_designs

    assert all(d in VALIDATION_CORES for d in SUBSET)
    rows = synth_designs(SUBSET, jobs=2)
    committed = {_key(r): r["area_um2"] for r in rows_from_csv(REPORT)}
    assert [r["area_um2"] for r in rows] == [committed[_key(d)] for d in SUBSET]
    df = compare(rows)
    for q, (mape_target, _) in {**TARGETS, "power": (POWER_MAPE_BOUND, None)}.items():
        errors = df[f"{q}_err_pct"].abs()
        assert errors.mean() <= mape_target, f"{q} errors {errors.round(1).tolist()}: mean above {mape_target}%"


@pytest.mark.skipif(shutil.which("yosys") is None or shutil.which("sta") is None,
                    reason="needs yosys and OpenSTA (make tools)")
def test_bitplane_model_tracks_synthesis(tmp_path):
    """The int-b format model (`costmodel.formats_model`) against synthesis of an int2 core,
    whose fetch chains a shift-add behind the plane selects (priced as a full extra carry
    ripple, its critical path was once +31%)."""
    from costmodel import synth as flow
    from hwgen import api
    from hwgen.config import parse_design

    config = parse_design({"kind": "lut", "weights": "int2", "activation": "int8", "group_size": 4, "luts": 2,
                           "fetchers": 4, "pipeline": 1, "workload": {"n": 64, "m": 16}})
    est = api.estimate(config, tech="osu018", clock_mhz=100.0)
    source = tmp_path / f"{config.top}.v"
    source.write_text(api.verilog(config))
    result = flow.synthesize([source], config.top, clock_period_ns=10.0)
    assert abs(est["area_um2"] / result.area_um2 - 1) <= 0.10
    assert abs(est["critical_path_ns"] / result.critical_path_ns - 1) <= 0.15
