"""Area-model spread on unpipelined LUT cores beyond the validation set.

Unpipelined cores (pipeline 0) are the model's least predictable regime: ABC's
delay-oriented mapper maps their one long combinational cone 13-38% larger than an
area-oriented map of the same gates, and by an amount no structure count tracks
(BENCHMARKS.md, session 7). This draws a fresh held-out set of them (seeded, excluding
every calibration and validation core), synthesizes each for area only (Yosys + ABC, no
activity simulation or OpenSTA power; results cached) and prints the model's area error.

``--jitter`` instead measures the flow's own noise: the same structures synthesized at
four workloads, which change only the row/column counters and the accumulator by a bit
or two, pipelined and not.

Usage: ``python benchmarks/bench_unpipelined.py [--count 25] [--seed 4] [--jobs 2 | --scheduler ADDR] [--tech osu018] [--jitter]``
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from costmodel.batch import map_batch  # noqa: E402  (after the path insert)
from costmodel.calibrate import CALIBRATION_CORES  # noqa: E402
from costmodel.design_space import sample_cores  # noqa: E402
from costmodel.model import estimate  # noqa: E402
from costmodel.runs import design_config, synth_config  # noqa: E402
from costmodel.synth import FLOW_TOOLS  # noqa: E402
from costmodel.validate import VALIDATION_CORES  # noqa: E402

#: mu=6 has too few unpipelined designs left under the size cap once calibration and
#: validation have taken theirs.
GROUP_SIZES = (1, 2, 3, 4, 5)
MAX_BITS = 12_000
#: Structures for ``--jitter`` (the validation outlier and a drawn outlier's), each at p=0 and p=1.
JITTER_STRUCTURES = (dict(mu=2, L=3, K=8, act="int4"), dict(mu=5, L=2, K=1, act="int8"))


def _area(design: dict) -> float:
    result, _ = synth_config(design_config(design), activity=False)
    return result.area_um2


def jitter(jobs: int, scheduler: str | None) -> None:
    """Area range of each structure over workloads (16 or 32 row blocks, 4 or 8 column blocks)."""
    for structure in JITTER_STRUCTURES:
        for p in (0, 1):
            mu, L, K = structure["mu"], structure["L"], structure["K"]
            designs = [dict(structure, p=p, n=mu * L * rows, m=K * cols) for rows in (16, 32) for cols in (4, 8)]
            areas = map_batch(_area, designs, jobs=jobs, scheduler=scheduler, tools=FLOW_TOOLS)
            spread = 100.0 * (max(areas) / min(areas) - 1.0)
            print(f"mu={mu} L={L} K={K} {structure['act']} p={p}: "
                  + ", ".join(f"n={d['n']} m={d['m']} {a:,.0f}" for d, a in zip(designs, areas))
                  + f" um^2; max/min {spread:+.1f}%", flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=25)
    parser.add_argument("--seed", type=int, default=4)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--scheduler", metavar="tcp://HOST:PORT", help="synthesize on this Dask cluster")
    parser.add_argument("--tech", default="osu018", help="technology table the model prices with (osu018 flow)")
    parser.add_argument("--jitter", action="store_true", help="measure the flow's area noise over workloads instead")
    args = parser.parse_args(argv)
    if args.jitter:
        jitter(args.jobs, args.scheduler)
        return 0

    designs = sample_cores(args.seed, args.count, exclude=CALIBRATION_CORES + VALIDATION_CORES,
                           max_bits=MAX_BITS, pipeline=0, group_sizes=GROUP_SIZES)
    errors = []
    areas = map_batch(_area, designs, jobs=args.jobs, scheduler=args.scheduler, tools=FLOW_TOOLS)
    for design, area in zip(designs, areas):
        model = estimate(design_config(design), args.tech, clock_mhz=100.0)["area_um2"]
        errors.append(100.0 * (model / area - 1.0))
        print(f"mu={design['mu']} L={design['L']} K={design['K']} {design['act']} n={design['n']} "
              f"m={design['m']}: synthesis {area:,.0f} um^2, model {model:,.0f} ({errors[-1]:+.1f}%)",
              flush=True)
    errors = np.abs(errors)
    print(f"{len(errors)} unpipelined cores: area MAPE {errors.mean():.1f}%, worst {errors.max():.1f}%, "
          f"beyond 12%: {(errors > 12).sum()}, beyond 10%: {(errors > 10).sum()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
