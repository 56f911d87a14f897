"""Section ``default-sweep`` of BENCHMARKS.md: what `hwgen sweep` with no arguments does.

Runs `dse.sweep.run_sweep` on the built-in default space into a temporary folder, the
same call as ``hwgen sweep --out DIR``, and reports its size, Pareto count, the share of
the exhaustive front's hypervolume it found, and its wall time.
"""

from __future__ import annotations

import tempfile
import time

from dse.sweep import run_sweep

__all__ = ["default_sweep"]


def default_sweep(ctx) -> str:
    with tempfile.TemporaryDirectory(prefix="hwgen-bench-sweep-") as tmp:
        start = time.perf_counter()
        result = run_sweep(None, out_dir=tmp, progress=False)
        seconds = time.perf_counter() - start
    s = result.summary
    ratio = result.hypervolume_ratio
    rows = ["| figure | value |", "|---|---|",
            f"| space | {s['space']['name']} ({s['space']['workload']}, {s['space']['tech']}): "
            f"{result.space_size:,} designs |",
            f"| mode | {result.mode}, {result.trials:,} {'designs' if result.mode == 'exhaustive' else 'trials'} |",
            f"| Pareto designs | {len(result.pareto)} |",
            f"| hypervolume / exhaustive front's | {'-' if ratio is None else f'{100 * ratio:.2f}%'} |",
            f"| wall time (search, reference front, report) | {seconds:.1f} s |"]
    return "\n".join(["`hwgen sweep` with no arguments (`dse/presets/default_space.yaml`), into a temporary "
                      "folder; the time includes the report and the exhaustive reference front.", "", *rows])
