"""Re-fit a technology table from synthesis runs.

Usage: ``python -m costmodel.calibrate [--liberty FILE] [--name NAME] [--jobs N | --scheduler ADDR]
[--csv-dir reports/validation] [--from-csv]`` writes ``costmodel/tech/NAME.json``, and the
synthesis results it fitted to as ``calibration_blocks.csv`` and ``calibration_cores.csv``
in ``--csv-dir``; ``--from-csv`` re-fits from those files instead of synthesizing.
"""

from __future__ import annotations

# Small LUT cores used to fit the table (never in `costmodel.validate.VALIDATION_CORES`):
# 21 picked by hand to cover the structural regimes, 18 drawn at random, 12 more drawn
# among unpipelined designs (below).
PICKED_CALIBRATION_CORES: list[dict] = [
    dict(mu=1, L=2, K=2, act="int8", p=1, n=64, m=16),
    dict(mu=1, L=4, K=16, act="int8", p=2, n=128, m=64),
    dict(mu=2, L=2, K=4, act="int8", p=2, n=128, m=32),
    dict(mu=2, L=8, K=8, act="int8", p=1, n=256, m=64),
    dict(mu=2, L=4, K=2, act="int4", p=4, n=64, m=16),
    dict(mu=3, L=2, K=2, act="int4", p=0, n=96, m=16),
    dict(mu=3, L=4, K=8, act="int4", p=3, n=192, m=32),
    dict(mu=4, L=1, K=2, act="int8", p=0, n=64, m=16),
    dict(mu=4, L=2, K=4, act="int8", p=2, n=128, m=32),
    dict(mu=4, L=4, K=8, act="int8", p=1, n=256, m=64),
    dict(mu=5, L=1, K=1, act="int4", p=1, n=80, m=16),
    dict(mu=6, L=1, K=1, act="int8", p=0, n=96, m=16),
    # Unpipelined large-mu cores: the table feeds the fetch muxes unregistered.
    dict(mu=4, L=2, K=1, act="int4", p=0, n=128, m=16),
    dict(mu=4, L=1, K=4, act="int8", p=0, n=64, m=32),
    dict(mu=5, L=1, K=1, act="int4", p=0, n=80, m=16),
    dict(mu=5, L=1, K=2, act="int8", p=0, n=80, m=16),
    dict(mu=6, L=1, K=2, act="int4", p=0, n=96, m=16),
    # Deep reduction trees chained into the accumulator (L 8..16, tree unregistered).
    dict(mu=1, L=16, K=2, act="int8", p=0, n=256, m=16),
    dict(mu=1, L=12, K=4, act="int8", p=1, n=192, m=32),
    dict(mu=2, L=8, K=2, act="int4", p=1, n=256, m=16),
    dict(mu=3, L=8, K=1, act="int8", p=2, n=192, m=16),
]

# Drawn by `costmodel.design_space.sample_cores(seed=1, count=18, exclude=PICKED_CALIBRATION_CORES
# + costmodel.validate.PICKED_VALIDATION_CORES)` before any of them was synthesized
# (tests/test_design_space.py re-draws them).
DRAWN_CALIBRATION_CORES: list[dict] = [
    dict(mu=1, L=3, K=1, act="int4", p=0, n=96, m=4),
    dict(mu=2, L=4, K=2, act="int4", p=3, n=64, m=16),
    dict(mu=3, L=8, K=2, act="int4", p=2, n=384, m=32),
    dict(mu=4, L=3, K=8, act="int8", p=2, n=96, m=32),
    dict(mu=5, L=3, K=2, act="int8", p=2, n=120, m=16),
    dict(mu=6, L=2, K=1, act="int4", p=2, n=384, m=4),
    dict(mu=1, L=16, K=1, act="int4", p=4, n=256, m=8),
    dict(mu=2, L=16, K=2, act="int8", p=3, n=256, m=32),
    dict(mu=3, L=2, K=8, act="int4", p=1, n=96, m=32),
    dict(mu=4, L=1, K=1, act="int8", p=2, n=32, m=16),
    dict(mu=5, L=4, K=1, act="int4", p=0, n=160, m=8),
    dict(mu=6, L=1, K=2, act="int8", p=0, n=96, m=32),
    dict(mu=1, L=1, K=4, act="int4", p=2, n=32, m=16),
    dict(mu=2, L=16, K=8, act="int4", p=5, n=512, m=64),
    dict(mu=3, L=12, K=2, act="int4", p=1, n=288, m=16),
    dict(mu=4, L=2, K=16, act="int8", p=1, n=256, m=64),
    dict(mu=5, L=3, K=2, act="int4", p=3, n=240, m=8),
    dict(mu=6, L=2, K=1, act="int8", p=0, n=384, m=16),
]

# Unpipelined cores are a stratum of their own: with no register between table and fetch
# muxes, ABC's delay-oriented mapper (&nf) maps the one long cone (activations -> table ->
# muxes -> tree -> accumulator) 15-30% larger than an area-oriented map of the same
# gates, where a pipelined core's cones grow 8-15%. Drawn by
# `costmodel.design_space.sample_cores(seed=3, count=12, exclude=CALIBRATION_CORES above
# + costmodel.validate.VALIDATION_CORES, pipeline=0)` before any of them was synthesized.
DRAWN_UNPIPELINED_CALIBRATION_CORES: list[dict] = [
    dict(mu=1, L=4, K=1, act="int8", p=0, n=128, m=16),
    dict(mu=2, L=2, K=8, act="int8", p=0, n=64, m=128),
    dict(mu=3, L=12, K=2, act="int8", p=0, n=1152, m=32),
    dict(mu=4, L=1, K=8, act="int4", p=0, n=128, m=32),
    dict(mu=5, L=3, K=4, act="int4", p=0, n=240, m=64),
    dict(mu=6, L=2, K=2, act="int4", p=0, n=96, m=32),
    dict(mu=1, L=12, K=2, act="int8", p=0, n=384, m=32),
    dict(mu=2, L=12, K=2, act="int8", p=0, n=384, m=32),
    dict(mu=3, L=3, K=1, act="int4", p=0, n=72, m=16),
    dict(mu=4, L=2, K=2, act="int8", p=0, n=256, m=16),
    dict(mu=5, L=1, K=1, act="int8", p=0, n=160, m=4),
    dict(mu=6, L=3, K=1, act="int4", p=0, n=576, m=4),
]

CALIBRATION_CORES: list[dict] = (PICKED_CALIBRATION_CORES + DRAWN_CALIBRATION_CORES
                                 + DRAWN_UNPIPELINED_CALIBRATION_CORES)

import argparse
import json
import platform
import time
from pathlib import Path

import numpy as np

from .batch import map_batch
from .model import FEATURES, _evaluate, _normalize, mux_levels, params_from_configs, structure
from .runs import DEFAULT_PERIOD_NS, design_config, synth_block, synth_designs
from .synth import FLOW_TOOLS, FLOW_VERSION, LIBRARIES, library_liberty
from .tech import DELAY_KEYS, TECH_DIR, tech_from_dict

__all__ = ["PICKED_CALIBRATION_CORES", "DRAWN_CALIBRATION_CORES", "DRAWN_UNPIPELINED_CALIBRATION_CORES",
           "CALIBRATION_CORES", "CALIBRATION_BLOCKS",
           "run_blocks", "block_priors", "blocks_from_csv", "cross_validate", "fit", "main"]

#: Building blocks of `costmodel.blocks` synthesized for the prior unit costs.
CALIBRATION_BLOCKS: list[tuple[str, dict]] = (
    [("adder", {"width": w}) for w in (4, 8, 12, 16, 24)]
    + [("mux", {"width": 8, "fan_in": f}) for f in (2, 4, 8, 16, 41)]
    + [("regs", {"width": 8, "count": c}) for c in (4, 16)]
    + [("negate", {"width": w}) for w in (5, 9, 13, 17)]
)

#: Weight of the block-derived prior against the core fit (relative units), per quantity.
#: Area's and energy's are the leave-one-out best over the calibration cores
#: (`cross_validate`, ``--cv``). With the first 39 cores area's best (1e-4) traded tree
#: adder bits for negator bits (collinear there) until tree adders cost nothing; the
#: unpipelined stratum separates them, and every fitted datapath coefficient stays
#: within 15% of its block measurement except the accumulator's (which also carries the
#: restart mux) and the fixed control, which the fit sets to zero.
PRIOR_WEIGHT = {"area": 0.0001, "energy": 0.01, "delay": 0.0001}
#: Prior weights `cross_validate` is run at by ``--cv``.
CV_WEIGHTS = (1e-4, 1e-3, 1e-2, 0.05, 0.2)
#: Features the energy is fitted on; the others' energy is folded into these (set to 0):
#: with a dozen calibration cores, fitting all of them overfits.
ENERGY_FEATURES = ("build_add_bits", "mux_data_bits", "neg_bits", "tree_add_bits", "csa_bits", "acc_bits",
                   "reg_bits", "const")


def _block_row(task: tuple) -> dict:
    kind, params, liberty = task
    r = synth_block(kind, liberty=liberty, **params)
    return {"kind": kind, **params, "area_um2": r.area_um2, "critical_path_ns": r.critical_path_ns,
            "power_mw": r.power_mw, "clock_period_ns": r.clock_period_ns,
            "dff": sum(v for k, v in r.cells_by_type.items() if k.startswith("DFF"))}


def run_blocks(liberty: Path | None = None, jobs: int = 1, scheduler: str | None = None) -> list[dict]:
    """Synthesize `CALIBRATION_BLOCKS` (`costmodel.batch.map_batch`); one row each (kind, params, area,
    critical path, power)."""
    return map_batch(_block_row, [(kind, params, liberty) for kind, params in CALIBRATION_BLOCKS],
                     jobs=jobs, scheduler=scheduler, tools=FLOW_TOOLS)


def _slope(xs, ys) -> tuple[float, float]:
    """Least-squares ``y = a + b x``: ``(a, b)``."""
    b, a = np.polyfit(np.asarray(xs, float), np.asarray(ys, float), 1)
    return float(a), float(b)


def block_priors(blocks: list[dict]) -> dict:
    """Unit costs measured on isolated blocks: the prior the core fit is pulled towards.

    Every block registers its inputs and output, so the register cost per bit (from
    ``regs``) is subtracted first. Energies are pJ per cycle at the blocks' default input
    activity, so they are only starting points for the core fit.
    """
    by = lambda kind: [b for b in blocks if b["kind"] == kind]
    regs = by("regs")
    reg_area = float(np.mean([b["area_um2"] / b["dff"] for b in regs]))
    reg_energy = float(np.mean([b["power_mw"] * b["clock_period_ns"] / b["dff"] for b in regs]))
    clk2q_setup = float(np.mean([b["critical_path_ns"] for b in regs]))

    def logic(b):
        return b["area_um2"] - reg_area * b["dff"], (b["power_mw"] * b["clock_period_ns"] - reg_energy * b["dff"])

    adders = by("adder")
    add_a = _slope([b["width"] + 1 for b in adders], [logic(b)[0] for b in adders])
    add_e = _slope([b["width"] + 1 for b in adders], [logic(b)[1] for b in adders])
    add_t = _slope([b["width"] for b in adders], [b["critical_path_ns"] - clk2q_setup for b in adders])
    muxes = by("mux")
    mux_a = _slope([b["width"] * (b["fan_in"] - 1) for b in muxes], [logic(b)[0] for b in muxes])
    mux_e = _slope([b["width"] * (b["fan_in"] - 1) for b in muxes], [logic(b)[1] for b in muxes])
    mux_t = _slope([mux_levels(b["fan_in"]) for b in muxes], [b["critical_path_ns"] - clk2q_setup for b in muxes])
    negs = by("negate")
    neg_a = _slope([b["width"] + 1 for b in negs], [logic(b)[0] for b in negs])
    neg_e = _slope([b["width"] + 1 for b in negs], [logic(b)[1] for b in negs])
    neg_t = _slope([b["width"] for b in negs], [b["critical_path_ns"] - clk2q_setup for b in negs])
    enable_mux_area = mux_a[1]  # a 2:1 enable mux per register bit ~ one mux input-bit
    area = {
        "build_adders": max(add_a[0], 1.0), "build_add_bits": add_a[1], "shared_table_bits": add_a[1] / 2,
        "mux_data_bits": mux_a[1], "mux_select_terms": max(mux_a[0], 1.0) / 2,
        "neg_bits": neg_a[1], "tree_adders": max(add_a[0], 1.0), "tree_add_bits": add_a[1], "csa_bits": add_a[1],
        "acc_bits": add_a[1] + mux_a[1], "reg_bits": reg_area + enable_mux_area,
        "counter_bits": add_a[1] + mux_a[1], "const": 400.0,
    }
    energy = {
        "build_adders": max(add_e[0], 1e-3), "build_add_bits": add_e[1], "shared_table_bits": 1e-3,
        "mux_data_bits": mux_e[1], "mux_select_terms": max(mux_e[0], 1e-3) / 2,
        "neg_bits": neg_e[1], "tree_adders": max(add_e[0], 1e-3), "tree_add_bits": add_e[1], "csa_bits": add_e[1],
        "acc_bits": add_e[1] + mux_e[1], "reg_bits": reg_energy, "counter_bits": add_e[1], "const": 0.5,
    }
    delay = {
        "reg_overhead": clk2q_setup, "add_base": max(add_t[0], 0.05), "tree_level": max(add_t[0], 0.05),
        "add_per_bit": add_t[1],
        "mux_base": max(mux_t[0], 0.05), "mux_per_select_bit": mux_t[1],
        "neg_base": max(neg_t[0], 0.05), "acc_base": max(add_t[0], 0.05) + mux_t[1],
    }
    area = {k: max(float(v), 1e-3) for k, v in area.items()}
    energy = {k: max(float(v), 1e-5) for k, v in energy.items()}
    delay = {k: max(float(v), 1e-4) for k, v in delay.items()}
    return {"area_um2": area, "energy_pj": energy, "delay_ns": delay}


def blocks_from_csv(path: Path) -> list[dict]:
    """`run_blocks` rows from a ``calibration_blocks.csv`` (integer columns back to int, blanks dropped)."""
    import pandas as pd

    return [{k: (int(v) if k in ("width", "fan_in", "count", "dff") else v) for k, v in r.items()
             if not (isinstance(v, float) and np.isnan(v))} for r in pd.read_csv(path).to_dict("records")]


def _features(rows: list[dict]) -> np.ndarray:
    return np.array([[structure(design_config(r))["features"][k] for k in FEATURES] for r in rows], float)


def _fit_linear(A: np.ndarray, y: np.ndarray, prior: np.ndarray, weight: float) -> np.ndarray:
    """Non-negative ``x`` minimizing relative error on ``y`` plus a pull towards ``prior``."""
    from scipy.optimize import lsq_linear

    rows = A / y[:, None]
    target = np.ones(len(y))
    # Pull towards the prior in units of max(prior, a quarter of the median prior), so
    # that tiny priors do not pin their coefficient.
    scale = np.maximum(prior, 0.25 * np.median(prior))
    reg = np.sqrt(weight) * np.diag(1.0 / scale)
    sol = lsq_linear(np.vstack([rows, reg]), np.concatenate([target, np.sqrt(weight) * prior / scale]),
                     bounds=(0, np.inf))
    return sol.x


def _linear_problem(cores: list[dict], priors: dict, quantity: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(features, measured, prior)`` of the area (um^2) or energy (dynamic pJ per cycle) fit."""
    A = _features(cores)
    if quantity == "area":
        return A, np.array([r["area_um2"] for r in cores]), np.array([priors["area_um2"][k] for k in FEATURES])
    period = np.array([r.get("clock_period_ns", DEFAULT_PERIOD_NS) for r in cores])
    energy = np.array([(r["power_mw"] - r["power_leakage_mw"]) * p for r, p in zip(cores, period)])
    cols = [FEATURES.index(k) for k in ENERGY_FEATURES]
    return A[:, cols], energy, np.array([priors["energy_pj"][k] for k in ENERGY_FEATURES])


def cross_validate(cores: list[dict], blocks: list[dict], quantity: str, weight: float) -> tuple[float, float]:
    """Leave-one-out error of the ``quantity`` ("area" or "energy") fit at prior ``weight``.

    Each core is predicted by a fit to the others; returns ``(MAPE, worst)`` in percent.
    This is how `PRIOR_WEIGHT` is chosen without looking at the validation set.
    """
    A, y, prior = _linear_problem(cores, block_priors(blocks), quantity)
    errors = []
    for i in range(len(y)):
        keep = np.arange(len(y)) != i
        x = _fit_linear(A[keep], y[keep], prior, weight)
        errors.append(abs(100.0 * (A[i] @ x / y[i] - 1.0)))
    return float(np.mean(errors)), float(np.max(errors))


def fit(cores: list[dict], blocks: list[dict], name: str = "osu018", description: str = "",
        liberty: str = "", prior_weight: dict | None = None) -> dict:
    """A technology table (JSON-ready dict) fitted to synthesized cores, with block priors.

    ``cores`` are `costmodel.runs.result_record` rows (activity-annotated power at their
    ``clock_period_ns``); ``blocks`` are `run_blocks` rows.
    """
    from scipy.optimize import least_squares

    weights = {**PRIOR_WEIGHT, **(prior_weight or {})}
    priors = block_priors(blocks)
    area = _fit_linear(*_linear_problem(cores, priors, "area"), weights["area"])
    energy = np.zeros(len(FEATURES))
    energy[[FEATURES.index(k) for k in ENERGY_FEATURES]] = _fit_linear(
        *_linear_problem(cores, priors, "energy"), weights["energy"])
    period = np.array([r.get("clock_period_ns", DEFAULT_PERIOD_NS) for r in cores])
    leak_per_um2 = float(np.median([r["power_leakage_mw"] / r["area_um2"] for r in cores]))

    configs = [design_config(r) for r in cores]
    params = _normalize(params_from_configs(configs))
    crit_y = np.array([r["critical_path_ns"] for r in cores])
    d0 = np.array([priors["delay_ns"][k] for k in DELAY_KEYS])
    base = {"name": name, "area_um2": dict(zip(FEATURES, area)), "energy_pj": dict(zip(FEATURES, energy)),
            "leakage_mw_per_um2": leak_per_um2}

    def residual(x):
        tech = tech_from_dict({**base, "delay_ns": dict(zip(DELAY_KEYS, x))})
        pred = _evaluate(params, tech)["critical_path_ns"]
        return np.concatenate([(pred - crit_y) / crit_y, np.sqrt(weights["delay"]) * (x - d0) / d0])

    delay = least_squares(residual, d0, bounds=(1e-4, np.inf)).x
    table = {
        **base,
        "description": description or f"Fitted to open synthesis with {liberty or 'the default Liberty library'}",
        "delay_ns": dict(zip(DELAY_KEYS, delay)),
        "area_um2": {k: round(float(v), 6) for k, v in zip(FEATURES, area)},
        "energy_pj": {k: round(float(v), 8) for k, v in zip(FEATURES, energy)},
    }
    table["delay_ns"] = {k: round(float(v), 6) for k, v in table["delay_ns"].items()}
    table["provenance"] = {
        "method": ("unit costs measured on isolated registered blocks (costmodel.blocks) are the prior; "
                   "area and energy are then fitted (non-negative least squares on relative error, pulled "
                   f"towards the prior with weights {weights}) to small LUT cores, delays by nonlinear "
                   "least squares on the same cores; energy only on "
                   f"{', '.join(ENERGY_FEATURES)}"),
        "liberty": liberty,
        "clock_period_ns": float(np.median(period)),
        "activity": "VCD of a random full-throughput workload (costmodel.activity), input ports annotated",
        "calibration_cores": [{k: r[k] for k in ("mu", "L", "K", "act", "p", "n", "m")} for r in cores],
        "block_priors": priors,
        "date": time.strftime("%Y-%m-%d"),
        "host": platform.node(),
    }
    return table


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m costmodel.calibrate", description=__doc__)
    parser.add_argument("--liberty", type=Path, default=None,
                        help="Liberty file (default: the library of --name if the flow knows it, else osu018)")
    parser.add_argument("--name", default="osu018", help="table name (file costmodel/tech/NAME.json)")
    parser.add_argument("--jobs", type=int, default=2, help="parallel synthesis runs (a Dask LocalCluster)")
    parser.add_argument("--scheduler", metavar="tcp://HOST:PORT", help="run the syntheses on this Dask cluster")
    parser.add_argument("--out", type=Path, default=None, help="output JSON (default: costmodel/tech/NAME.json)")
    parser.add_argument("--csv-dir", type=Path, default=Path("reports/validation"),
                        help="where the synthesis results are written (or read with --from-csv)")
    parser.add_argument("--from-csv", action="store_true", help="re-fit from the CSV files of an earlier run")
    parser.add_argument("--cv", action="store_true",
                        help="also print leave-one-out errors of the area and energy fits at several prior weights")
    args = parser.parse_args(argv)
    import pandas as pd

    liberty = args.liberty or library_liberty(args.name if args.name in LIBRARIES else "osu018")
    blocks_csv, cores_csv = args.csv_dir / "calibration_blocks.csv", args.csv_dir / "calibration_cores.csv"
    if args.from_csv:
        blocks = blocks_from_csv(blocks_csv)
        cores = pd.read_csv(cores_csv).to_dict("records")
    else:
        print(f"synthesizing {len(CALIBRATION_BLOCKS)} blocks ...", flush=True)
        blocks = run_blocks(liberty, jobs=args.jobs, scheduler=args.scheduler)
        print(f"synthesizing {len(CALIBRATION_CORES)} calibration cores ...", flush=True)
        cores = synth_designs(CALIBRATION_CORES, liberty=liberty, jobs=args.jobs, scheduler=args.scheduler,
                              progress=lambda r: print(f"  mu={r['mu']} L={r['L']} K={r['K']} {r['act']} p={r['p']}: "
                                                       f"{r['area_um2']:.0f} um^2, {r['synth_seconds']} s", flush=True))
        args.csv_dir.mkdir(parents=True, exist_ok=True)
        pd.DataFrame(blocks).to_csv(blocks_csv, index=False)
        pd.DataFrame(cores).to_csv(cores_csv, index=False)
    description = ""
    known = [lib for lib in LIBRARIES.values() if lib.path == Path(liberty)]
    if known:
        description = (f"{known[0].description}; fitted to Yosys 0.23 + OpenSTA 2.0.17 runs at "
                       f"{1000.0 / DEFAULT_PERIOD_NS:g} MHz (costmodel.synth flow version {FLOW_VERSION}: "
                       "ABC delay target, buffering and sizing)")
    if args.cv:
        for quantity in ("area", "energy"):
            for w in CV_WEIGHTS:
                mape, worst = cross_validate(cores, blocks, quantity, w)
                mark = "  <- PRIOR_WEIGHT" if w == PRIOR_WEIGHT[quantity] else ""
                print(f"leave-one-out {quantity:6s} prior weight {w:<6g} MAPE {mape:5.1f}%  worst {worst:5.1f}%{mark}")
    table = fit(cores, blocks, name=args.name, description=description, liberty=str(liberty))
    out = args.out or TECH_DIR / f"{args.name}.json"
    out.write_text(json.dumps(table, indent=1, sort_keys=False) + "\n")
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
