"""Model vs synthesis on programmable cores (command, counters and activation buffer).

The held-out draw is fixed before any of it is synthesized:

    python benchmarks/programmable_validation.py --draw     # writes reports/validation/programmable/heldout.json
    git commit ...                                           # the draw is recorded first
    python benchmarks/programmable_validation.py --jobs 1   # synthesizes it -> validation.md / .csv

The draw is `costmodel.design_space.sample_cores` (seed `SEED`) over designs none of the
calibration or validation sets hold, small enough for a shared machine (`MAX_BITS`);
each design's ``n, m`` become its core's maxima (``workload: {n, m}``), so the activation
buffer holds ``ceil(n / (L*mu))`` words. The model is the current osu018 table, not re-fitted.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from costmodel.calibrate import CALIBRATION_CORES
from costmodel.design_space import sample_cores
from costmodel.validate import VALIDATION_CORES, validate

SEED = 18
COUNT = 5
MAX_BITS = 3000
OUT = Path("reports/validation/programmable")


def draw() -> dict:
    designs = sample_cores(SEED, COUNT, exclude=list(CALIBRATION_CORES) + list(VALIDATION_CORES), max_bits=MAX_BITS)
    return {"seed": SEED, "count": COUNT, "max_bits": MAX_BITS, "designs": designs}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--draw", action="store_true", help="write the held-out list (before any synthesis)")
    parser.add_argument("--jobs", type=int, default=1)
    args = parser.parse_args(argv)
    heldout = OUT / "heldout.json"
    if args.draw:
        OUT.mkdir(parents=True, exist_ok=True)
        heldout.write_text(json.dumps(draw(), indent=1) + "\n")
        print(f"wrote {heldout}")
        return 0
    recorded = json.loads(heldout.read_text())
    assert recorded == draw(), "the recorded draw no longer reproduces from its seed"
    df, summary = validate("osu018", recorded["designs"], jobs=args.jobs, out_dir=OUT,
                           progress=lambda row: print(f"synthesized mu={row['mu']} L={row['L']} K={row['K']} "
                                                      f"{row['act']} p={row['p']} n={row['n']} m={row['m']}",
                                                      flush=True))
    print(df[["mu", "L", "K", "act", "p", "n", "m", "area_err_pct", "power_err_pct", "fmax_err_pct"]].to_string())
    for q, s in summary.items():
        print(f"{q}: MAPE {s['mape_pct']:.1f}% (worst {s['worst_pct']:.1f}%), target met: {s['met']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
