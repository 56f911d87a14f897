"""Sections ``default-sweep`` and ``synth-top`` of BENCHMARKS.md.

``default-sweep`` runs `dse.sweep.run_sweep` on the built-in default space into a temporary
folder, the same call as ``hwgen sweep --out DIR``, and reports its size, Pareto count, the
share of the exhaustive front's hypervolume it found, and its wall time. ``synth-top`` runs
the shipped ``all_families`` space (tech n5) with ``--synth-top 3`` and shows its
model-against-synthesis rows and the report's sentence on what they compare.
"""

from __future__ import annotations

import tempfile
import time

import pandas as pd

from dse.sweep import run_sweep

__all__ = ["default_sweep", "all_families_synth_top"]


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


def all_families_synth_top(ctx) -> str:
    """`hwgen sweep all_families --synth-top 3`: the shipped n5 space's model-vs-synthesis table."""
    with tempfile.TemporaryDirectory(prefix="hwgen-bench-sweep-") as tmp:
        result = run_sweep("all_families", out_dir=tmp, synth_top=3, progress=False)
        rows = pd.read_csv(result.out_dir / "synthesis.csv")
        report = (result.out_dir / "report.md").read_text()
    note = report.split("## Model against synthesis", 1)[1].strip().split("\n\n", 1)[0]
    cols = ["design", "kind", "activation", "group_size", "luts", "fetchers", "pipeline", "clock_mhz",
            "model_tech", "synth_library", "area_err_pct", "fmax_err_pct", "power_err_pct"]
    table = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for _, r in rows.iterrows():
        table.append("| " + " | ".join(f"{r[c]:+.1f}%" if c.endswith("err_pct") else
                                      f"{r[c]:.0f}" if c == "clock_mhz" else str(r[c]) for c in cols) + " |")
    return "\n".join([f"`hwgen sweep all_families --synth-top 3` (tech n5). The report says: \"{note}\"", "",
                      *table])
