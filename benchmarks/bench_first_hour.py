"""Benchmark: the default ``hwgen sweep`` (the space enumerated, since the vectorized model
prices it in seconds) against the NSGA-II search that was the default before (1,500 trials
of the same space, ``--search``), side by side in one run; and how fast the CLI answers.

For each mode: wall time of `dse.sweep.run_sweep` (report included, fresh output folder),
Pareto designs, and the hypervolume of its front over the exhaustive front's. ``--repeat``
runs each mode several times (alternating) and prints the min / median / max time.
CLI latency: ``hwgen --help`` and a one-line error (``hwgen sweep nope.yaml``) as real
processes, the same way a user types them.

Run: ``.venv/bin/python benchmarks/bench_first_hour.py [--repeat 3]``
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from dse.sweep import run_sweep  # noqa: E402


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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
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
