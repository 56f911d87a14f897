"""Cost-model speed: design points per second of `estimate_batch`, and seconds per synthesis.

Usage: ``python benchmarks/bench_costmodel.py [--points 100000] [--no-synth]``.
The synthesis timing uses an empty cache directory, so it measures a real run
(Verilog + activity VCD + Yosys + OpenSTA) of small LUT cores.
"""

from __future__ import annotations

import argparse
import os
import platform
import tempfile
import time

import numpy as np


def bench_model(points: int, repeats: int = 7) -> tuple[float, float]:
    from costmodel.model import estimate_batch

    rng = np.random.default_rng(0)
    params = dict(group_size=rng.integers(1, 7, points), luts=rng.integers(1, 33, points),
                  fetchers=rng.integers(1, 65, points), act_width=rng.choice([4, 8], points),
                  pipeline=rng.integers(0, 3, points), n=rng.integers(64, 4096, points),
                  m=rng.integers(64, 4096, points))
    start = time.perf_counter()
    estimate_batch(params)  # first call: builds the per-(mu, act) and per-(L, bound) tables
    cold = time.perf_counter() - start
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        estimate_batch(params)
        times.append(time.perf_counter() - start)
    return points / cold, points / float(np.median(times))


def bench_synth(designs: list[dict]) -> list[tuple[dict, float]]:
    from costmodel.runs import design_config, synth_config

    out = []
    with tempfile.TemporaryDirectory() as cache:
        os.environ["HWGEN_CACHE_DIR"] = cache
        for d in designs:
            _, seconds = synth_config(design_config(d))
            out.append((d, seconds))
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--points", type=int, default=100_000)
    parser.add_argument("--no-synth", action="store_true")
    args = parser.parse_args()
    print(f"machine: {platform.node()} {platform.machine()}, {os.cpu_count()} CPUs, "
          f"load {os.getloadavg()[0]:.1f}, {time.strftime('%Y-%m-%d %H:%M')}")
    cold, warm = bench_model(args.points)
    print(f"estimate_batch, {args.points} points: {warm:,.0f} points/s (median of 7), {cold:,.0f} points/s cold")
    if not args.no_synth:
        designs = [dict(mu=2, L=2, K=2, act="int8", p=0), dict(mu=4, L=2, K=4, act="int8", p=1),
                   dict(mu=6, L=1, K=1, act="int8", p=0)]
        for d, s in bench_synth(designs):
            print(f"synth (uncached) mu={d['mu']} L={d['L']} K={d['K']} {d['act']} p={d['p']}: {s:.1f} s/design")


if __name__ == "__main__":
    main()
