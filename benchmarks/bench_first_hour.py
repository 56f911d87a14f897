"""Benchmark: the default ``hwgen sweep`` (the space enumerated, since the vectorized model
prices it in seconds) against the NSGA-II search that was the default before (1,500 trials
of the same space, ``--search``), side by side in one run; and how fast the CLI answers.

For each mode: wall time of `dse.sweep.run_sweep` (report included, fresh output folder),
Pareto designs, and the hypervolume of its front over the exhaustive front's. ``--repeat``
runs each mode several times (alternating) and prints the min / median / max time.
CLI latency: ``hwgen --help`` and a one-line error (``hwgen sweep nope.yaml``) as real
processes, the same way a user types them.

``--rule``: the evidence behind `dse.sweep.choose_mode` and `hwgen.size_guard`: the time to
enumerate the default space widened to larger L, to price 100 designs of the shipped
all-families space one at a time, to estimate single cores with many LUTs, and to
elaborate a LUT core and a MAC core with many lanes.

Run: ``.venv/bin/python benchmarks/bench_first_hour.py [--repeat 3] [--rule]``
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from dse.sweep import run_sweep  # noqa: E402

#: The default space widened for the rule's timing: every activation, mu 2..8, K up to 4,096.
WIDE = {"group_size": [2, 3, 4, 5, 6, 7, 8], "fetchers": {"min": 1, "max": 4096, "scale": "pow2"},
        "pipeline": {"min": 0, "max": 11}, "activation": ["int4", "int8"]}
LUT = {"kind": "lut", "weights": "ternary", "activation": "int8", "group_size": 3, "pipeline": 1,
       "workload": {"n": 300, "m": 70}}


def _sweep(mode: str, out: Path):
    t0 = time.monotonic()
    res = run_sweep(None, out_dir=str(out), exhaustive=None if mode == "default" else False, progress=False)
    return time.monotonic() - t0, res


def _cli_seconds(*args: str, repeat: int) -> list[float]:
    times = []
    for _ in range(repeat):
        t0 = time.monotonic()
        subprocess.run([sys.executable, "-m", "hwgen.cli", *args], capture_output=True, cwd=ROOT)
        times.append(time.monotonic() - t0)
    return times


def _spread(values: list[float]) -> str:
    return f"{min(values):.2f} / {statistics.median(values):.2f} / {max(values):.2f} s"


def _timed(fn) -> float:
    t0 = time.monotonic()
    fn()
    return time.monotonic() - t0


def rule() -> None:
    """Time what the mode rule and the size guard bound."""
    import numpy as np
    import yaml

    from dse.evaluate import evaluate
    from dse.space import default_space_path, load_space, parse_space

    raw = yaml.safe_load(default_space_path().read_text())
    print("| enumerated space | designs | seconds |\n|---|---:|---:|")
    for max_luts in (256, 512, 1024, 2048):
        space = parse_space({**raw, "parameters": {**raw["parameters"], **WIDE,
                                                   "luts": {"min": 1, "max": max_luts, "scale": "pow2"}}})
        grid = space.grid()
        print(f"| default widened, L <= {max_luts} | {len(grid['luts']):,} | {_timed(lambda: evaluate(space, grid)):.1f} |")
    fam = load_space("all_families")
    grid = fam.grid()
    pick = np.random.default_rng(0).choice(len(grid["luts"]), 100, replace=False)
    sub = {k: v[pick] for k, v in grid.items()}
    print(f"| all_families, 100 designs priced one at a time | 100 | {_timed(lambda: evaluate(fam, sub)):.1f} |")
    print("\n| single design (fresh process each) | step | seconds |\n|---|---|---:|")
    cases = [(f"LUT mu=3 L={luts} K=8", "estimate", {**LUT, "luts": luts, "fetchers": 8}) for luts in (1024, 2048, 4096)]
    cases += [("LUT mu=3 L=32 K=64", "generate", {**LUT, "luts": 32, "fetchers": 64}),
              ("MAC ternary 32 x 32 lanes", "generate", {"kind": "mac", "rows": 32, "columns": 32, "pipeline": 1,
                                                         "workload": {"n": 256, "m": 64}})]
    for name, step, design in cases:
        print(f"| {name} | {step} | {_fresh_seconds(step, design):.1f} |")


def _fresh_seconds(step: str, design: dict) -> float:
    """Seconds of one `hwgen.api` call in a new process (no model cache warmed by earlier work)."""
    call = "api.estimate(d)" if step == "estimate" else "api.generate(d, tmp)"
    code = (f"import tempfile, time\nfrom hwgen import api\nd = {design!r}\napi.load(d)\n"
            f"with tempfile.TemporaryDirectory() as tmp:\n    t = time.monotonic()\n    {call}\n"
            f"    print(time.monotonic() - t)\n")
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True,
                         env={**os.environ, "HWGEN_SIZE_LIMIT": "off", "PYTHONPATH": str(ROOT)})
    return float(run.stdout.split()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--rule", action="store_true", help="only the timings behind the mode rule and size guard")
    args = parser.parse_args()
    if args.rule:
        rule()
        return
    times: dict[str, list[float]] = {"default": [], "nsga2": []}
    last = {}
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(args.repeat):
            for mode in times:
                seconds, res = _sweep(mode, Path(tmp) / f"{mode}{i}")
                times[mode].append(seconds)
                last[mode] = res
    print("| mode | how | Pareto designs | hypervolume / exhaustive | wall time (min / median / max) |")
    print("|---|---|---:|---:|---:|")
    for mode, res in last.items():
        how = (f"enumerates {res.trials:,} designs" if res.mode == "exhaustive"
               else f"NSGA-II, {res.trials:,} trials")
        ratio = res.hypervolume_ratio
        print(f"| {'`hwgen sweep` (default)' if mode == 'default' else '`hwgen sweep --search` (old default)'} | "
              f"{how} | {len(res.pareto)} | {100 * ratio:.2f}% | {_spread(times[mode])} |")
    print(f"\nmode rule: {last['default'].summary['mode_reason']}")
    print(f"`hwgen --help`: {_spread(_cli_seconds('--help', repeat=args.repeat))}")
    print(f"`hwgen sweep nope.yaml` (one-line error): {_spread(_cli_seconds('sweep', 'nope.yaml', repeat=args.repeat))}")
    print(f"`hwgen estimate nope.yaml` (one-line error): "
          f"{_spread(_cli_seconds('estimate', 'nope.yaml', repeat=args.repeat))}")


if __name__ == "__main__":
    main()
