"""Model vs synthesis on programmable cores (command, counters and activation buffer).

The held-out draw is fixed before any of it is synthesized:

    python benchmarks/programmable_validation.py --draw     # writes reports/validation/programmable/heldout.json
    git commit ...                                           # the draw is recorded first
    python benchmarks/programmable_validation.py --jobs 1   # synthesizes it -> validation.md / .csv

``--round 2`` does the same with a second draw (seed 19, none of round 1's designs, at most
4,000 datapath bits), in
``reports/validation/programmable/round2/``: round 1 showed the model missing the
activation buffer's read path, so the model changed after seeing round 1, and only a
fresh draw can check the change.

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
#: Datapath bits at most, per round (round 1 used up the mu = 5 designs under 3,000).
MAX_BITS = {1: 3000, 2: 4000}
OUT = Path("reports/validation/programmable")


def out_dir(round_: int) -> Path:
    return OUT if round_ == 1 else OUT / f"round{round_}"


def draw(round_: int) -> dict:
    earlier = [d for r in range(1, round_) for d in draw(r)["designs"]]
    seed = SEED + round_ - 1
    designs = sample_cores(seed, COUNT, exclude=list(CALIBRATION_CORES) + list(VALIDATION_CORES) + earlier,
                           max_bits=MAX_BITS[round_])
    return {"seed": seed, "count": COUNT, "max_bits": MAX_BITS[round_], "designs": designs}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--draw", action="store_true", help="write the held-out list (before any synthesis)")
    parser.add_argument("--jobs", type=int, default=1)
    parser.add_argument("--round", type=int, default=1, help="which held-out draw (1: seed 18, 2: seed 19)")
    args = parser.parse_args(argv)
    out = out_dir(args.round)
    heldout = out / "heldout.json"
    if args.draw:
        out.mkdir(parents=True, exist_ok=True)
        heldout.write_text(json.dumps(draw(args.round), indent=1) + "\n")
        print(f"wrote {heldout}")
        return 0
    recorded = json.loads(heldout.read_text())
    assert recorded == draw(args.round), "the recorded draw no longer reproduces from its seed"
    df, summary = validate("osu018", recorded["designs"], jobs=args.jobs, out_dir=out,
                           progress=lambda row: print(f"synthesized mu={row['mu']} L={row['L']} K={row['K']} "
                                                      f"{row['act']} p={row['p']} n={row['n']} m={row['m']}",
                                                      flush=True))
    print(df[["mu", "L", "K", "act", "p", "n", "m", "area_err_pct", "power_err_pct", "fmax_err_pct"]].to_string())
    for q, s in summary.items():
        print(f"{q}: MAPE {s['mape_pct']:.1f}% (worst {s['worst_pct']:.1f}%), target met: {s['met']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
