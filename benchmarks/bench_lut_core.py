"""LUT-core benchmarks for BENCHMARKS.md: LUT-build adders against naive, and generation /
simulation time of one mid-sized core.

Run: ``.venv/bin/python benchmarks/bench_lut_core.py [DESIGN.yaml]`` (default
designs/lut_default.yaml). Prints Markdown tables.
"""

import platform
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

import numpy as np

from hwgen import api
from hwgen.formats import lut_entries
from hwgen.lutgraph import build_lut_graph, naive_adders


def adder_table() -> str:
    rows = ["| mu | entries (3^mu-1)/2 | naive adders (entries x (mu-1)) | naive, all 3^mu-1 entries | hwgen adders | vs naive | vs all entries | depth |",
            "|---|---|---|---|---|---|---|---|"]
    for mu in range(2, 8):
        graph = build_lut_graph(mu)
        naive, full = naive_adders(mu), (3**mu - 1) * (mu - 1)
        rows.append(f"| {mu} | {lut_entries(mu)} | {naive} | {full} | {graph.adders} | "
                    f"{graph.adders / naive:.3f} ({1 - graph.adders / naive:.0%} fewer) | "
                    f"{graph.adders / full:.3f} ({1 - graph.adders / full:.0%} fewer) | {graph.depth} |")
    return "\n".join(rows)


def timing(design_path: str) -> str:
    config = api.load(design_path)
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        api.generate(config, Path(tmp) / "out")
        generate_s = time.perf_counter() - start
        size = (Path(tmp) / "out" / f"{config.top}.v").stat().st_size
    rng = np.random.default_rng(0)
    n, m = config.workload.n, config.workload.m
    w = rng.integers(-1, 2, (n, m)).astype(np.int8)
    a = rng.integers(config.act.min, config.act.max + 1, (1, n))
    runs = []
    for _ in range(2):  # first run includes the Verilator build, second reuses it
        start = time.perf_counter()
        y = api.simulate(config, w, a)
        runs.append(time.perf_counter() - start)
        assert np.array_equal(y, a @ w.astype(np.int64))
    tiles = config.tiling.tiles
    return "\n".join([
        f"Design `{design_path}`: mu={config.group_size}, L={config.luts}, K={config.fetchers}, "
        f"pipeline={config.pipeline}, {config.activation}, N x M = {n} x {m} ({tiles} tiles per GEMV).",
        "",
        "| step | seconds |",
        "|---|---|",
        f"| `hwgen generate` (elaborate + Verilog, {size / 1e6:.1f} MB, + manifest/estimate) | {generate_s:.2f} |",
        f"| `hwgen simulate` Verilator, first run (build + {tiles} beats) | {runs[0]:.1f} |",
        f"| `hwgen simulate` Verilator, cached build ({tiles} beats, {tiles / runs[1]:.0f} beats/s) | {runs[1]:.1f} |",
    ])


if __name__ == "__main__":
    design = sys.argv[1] if len(sys.argv) > 1 else "designs/lut_default.yaml"
    print(f"Machine: {platform.machine()}, {platform.processor() or 'cpu'}, Python {platform.python_version()}; {date.today()}\n")
    print(adder_table())
    print()
    print(timing(design))
