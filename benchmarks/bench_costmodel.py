"""Cost-model speed: design points per second of `estimate_batch`, and seconds per synthesis.

Section ``model-speed`` of ``python -m benchmarks``; alone:
``python benchmarks/bench_costmodel.py [--points 100000] [--no-synth]``.
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


def bench_model(points: int, repeats: int = 15) -> dict:
    """Points per second of `estimate_batch` on ``points`` random design points.

    Wall-clock figures depend on what else the machine runs; the CPU-time figure
    (``time.process_time``) is what one dedicated core would give.
    """
    from costmodel.model import estimate_batch

    rng = np.random.default_rng(0)
    params = dict(group_size=rng.integers(1, 7, points), luts=rng.integers(1, 33, points),
                  fetchers=rng.integers(1, 65, points), act_width=rng.choice([4, 8], points),
                  pipeline=rng.integers(0, 3, points), n=rng.integers(64, 4096, points),
                  m=rng.integers(64, 4096, points))
    start = time.perf_counter()
    estimate_batch(params)  # first call: fills the per-shape cache
    cold = time.perf_counter() - start
    wall, cpu = [], []
    for _ in range(repeats):
        start, start_cpu = time.perf_counter(), time.process_time()
        estimate_batch(params)
        wall.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    return {"cold": points / cold, "median": points / float(np.median(wall)), "best": points / min(wall),
            "cpu": points / float(np.median(cpu))}


def bench_synth(designs: list[dict]) -> list[tuple[dict, float]]:
    from costmodel.runs import design_config, synth_config

    out = []
    saved = os.environ.get("HWGEN_CACHE_DIR")
    with tempfile.TemporaryDirectory() as cache:
        os.environ["HWGEN_CACHE_DIR"] = cache
        try:
            for d in designs:
                _, seconds = synth_config(design_config(d))
                out.append((d, seconds))
        finally:
            os.environ.pop("HWGEN_CACHE_DIR")
            if saved is not None:
                os.environ["HWGEN_CACHE_DIR"] = saved
    return out


#: Small LUT cores whose uncached synthesis is timed in the full run.
SYNTH_DESIGNS = [dict(mu=2, L=2, K=2, act="int8", p=0), dict(mu=4, L=2, K=4, act="int8", p=1),
                 dict(mu=6, L=1, K=1, act="int8", p=0)]


def section(ctx) -> str:
    points, repeats = (20_000, 5) if ctx.quick else (100_000, 15)
    r = bench_model(points, repeats)
    lines = [f"`costmodel.model.estimate_batch` on {points:,} random design points (mu 1..6, L 1..32, K 1..64, "
             f"int4/int8, pipeline 0..2), median of {repeats} calls after a first one that fills the per-shape "
             "cache. Wall clock depends on what else the machine runs; CPU time is what one free core gives.",
             "", "| what | points/s |", "|---|---:|",
             f"| wall clock, median | **{r['median']:,.0f}** |", f"| wall clock, best | {r['best']:,.0f} |",
             f"| CPU time, median | {r['cpu']:,.0f} |", f"| first call (cache filled) | {r['cold']:,.0f} |",
             "", f"Target >= 1,000,000 points/s (wall, median): {'met' if r['median'] >= 1e6 else 'NOT met'}."]
    if not ctx.quick:
        timed = bench_synth(SYNTH_DESIGNS)
        lines += ["", "Uncached synthesis (`costmodel.runs.synth_config`: Verilog, activity VCD, Yosys, OpenSTA; "
                  "empty cache) of small cores, for scale:", "", "| design | seconds |", "|---|---:|"]
        lines += [f"| mu={d['mu']} L={d['L']} K={d['K']} {d['act']} p={d['p']} | {sec:.1f} |" for d, sec in timed]
        median = sorted(sec for _, sec in timed)[len(timed) // 2]
        lines += ["", f"One median synthesis run ({median:.1f} s) costs as much as "
                  f"{median * r['median']:.2g} model points."]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--points", type=int, default=100_000)
    parser.add_argument("--no-synth", action="store_true")
    args = parser.parse_args()
    print(f"machine: {platform.node()} {platform.machine()}, {os.cpu_count()} CPUs, "
          f"load {os.getloadavg()[0]:.1f}, {time.strftime('%Y-%m-%d %H:%M')}")
    r = bench_model(args.points)
    print(f"estimate_batch, {args.points} points: {r['median']:,.0f} points/s (wall, median of 15), "
          f"{r['best']:,.0f} best, {r['cold']:,.0f} first call; {r['cpu']:,.0f} points/s of CPU time")
    if not args.no_synth:
        for d, s in bench_synth(SYNTH_DESIGNS):
            print(f"synth (uncached) mu={d['mu']} L={d['L']} K={d['K']} {d['act']} p={d['p']}: {s:.1f} s/design")


if __name__ == "__main__":
    main()
