"""A validation subset in the test suite: the cost model against real synthesis.

The subset is every validation design whose synthesis took under 15 s (the rule keeps
the suite fast; it was applied to reports/validation/validation.csv, not chosen by error).
Each is synthesized as today's programmable core (command, counters, activation buffer;
Yosys + osu018 + OpenSTA, activity from a simulation VCD; cached by the flow) and must
reproduce the committed report's area exactly (reports/validation/programmable/subset/:
the flow is deterministic, so a drifting flow or generator shows here). The model must then
hold, on every design, the per-design bounds (area 12%, fmax 15%, power 1.5x today's worst),
and its mean errors must stay in a band around today's (half to 1.5 times), so that a model
twice as wrong fails, and so does one suddenly much better than its last validation (refit:
update `TODAY`). A deliberately broken coefficient must fail the same check. Power misses the
issue's 15% MAPE target on programmable cores (the buffer's held registers are priced as
switching ones, BENCHMARKS.md); the band keeps it from drifting unseen.
"""

import shutil
from pathlib import Path

import pytest

from costmodel.tech import load_tech
from costmodel.validate import TARGETS, VALIDATION_CORES, compare, rows_from_csv

pytestmark = pytest.mark.slow

REPORT = Path(__file__).resolve().parents[1] / "reports" / "validation" / "programmable" / "subset" / "validation.csv"
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


#: The subset's MAPE and worst absolute error (percent) with osu018, as
#: `benchmarks/validation_subset.py` reports them (reports/validation/programmable/subset/).
TODAY = {"area": (1.40, 3.44), "power": (25.10, 40.56), "fmax": (4.85, 13.34)}
BAND = (0.5, 1.5)


def _key(d: dict) -> tuple:
    return tuple(d[k] for k in ("mu", "L", "K", "act", "p", "n", "m"))


def violations(df) -> list[str]:
    """Every way the model's errors on ``df`` leave the per-design bounds or today's band."""
    out = []
    for q, (mean_today, worst_today) in TODAY.items():
        errors = df[f"{q}_err_pct"].abs()
        bound = TARGETS[q][1] or BAND[1] * worst_today
        out += [f"{q} {err:+.1f}% beyond {bound:.1f}% on mu={r.mu} L={r.L} K={r.K} {r.act} p={r.p}"
                for (_, r), err in zip(df.iterrows(), df[f"{q}_err_pct"]) if abs(err) > bound]
        lo, hi = BAND[0] * mean_today, BAND[1] * mean_today
        if not lo <= errors.mean() <= hi:
            out.append(f"{q} MAPE {errors.mean():.2f}% outside {lo:.2f}..{hi:.2f}% (today {mean_today}%)")
    return out


def _recorded_subset() -> list[dict]:
    committed = {_key(r): r for r in rows_from_csv(REPORT)}
    return [committed[_key(d)] for d in SUBSET]


def test_recorded_subset_is_within_bounds():
    assert violations(compare(_recorded_subset())) == []


@pytest.mark.parametrize("table,feature,factor", [
    ("area", "reg_bits", 1.3),         # registers 30% dearer: area
    ("energy", "reg_bits", 1.3),       # register energy 30% dearer: power
    ("delay", "add_per_bit", 1.5),     # carry ripple 50% slower: fmax
])
def test_a_broken_coefficient_fails_the_check(monkeypatch, table, feature, factor):
    coefficients = getattr(load_tech("osu018"), table)
    monkeypatch.setitem(coefficients, feature, coefficients[feature] * factor)
    assert violations(compare(_recorded_subset()))


@pytest.mark.skipif(shutil.which("yosys") is None or shutil.which("sta") is None,
                    reason="needs yosys and OpenSTA (make tools)")
def test_model_tracks_synthesis():
    from costmodel.runs import synth_designs

    assert all(d in VALIDATION_CORES for d in SUBSET)
    rows = synth_designs(SUBSET, jobs=2)
    assert [r["area_um2"] for r in rows] == [r["area_um2"] for r in _recorded_subset()]
    assert violations(compare(rows)) == []


@pytest.mark.skipif(shutil.which("yosys") is None or shutil.which("sta") is None,
                    reason="needs yosys and OpenSTA (make tools)")
def test_bitplane_model_tracks_synthesis():
    """The integer LUT model (`costmodel.model`) of the int-b format against synthesis of an int2 core,
    whose fetch chains a shift-add behind the plane selects (priced as a full extra carry
    ripple, its critical path was once +31%)."""
    from hwgen import api

    design = {"kind": "lut", "weights": "int2", "activation": "int8", "group_size": 4, "luts": 2,
              "fetchers": 4, "pipeline": 1, "workload": {"n": 64, "m": 16}}
    est = api.estimate(design, tech="osu018", clock_mhz=100.0)
    result = api.synth(design, tech="osu018", clock_mhz=100.0)
    assert abs(est["area_um2"] / result["area_um2"] - 1) <= 0.10
    assert abs(est["critical_path_ns"] / result["critical_path_ns"] - 1) <= 0.15
