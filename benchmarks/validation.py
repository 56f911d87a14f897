"""Sections ``validation`` and ``lut-small`` of BENCHMARKS.md: the cost model against synthesis.

``validation``: the model of this commit against three synthesized sets, MAPE beside the
worst case for area, power and fmax, per regime (pipelined / unpipelined):

- the 63 validation cores (33 picked by hand, 30 drawn), which have guided three rounds
  of model fixes and are no longer blind;
- the 12 cores held out for the current model (`costmodel.validate.HELDOUT_CORES`,
  drawn and committed before synthesis);
- the 30 drawn cores on the second library, osu035.

The full run synthesizes every set (cached) and rewrites ``reports/validation/``; the quick
run prices the synthesis results recorded there with the model of this commit.
"""

from __future__ import annotations

from pathlib import Path

from costmodel.model import accuracy_regime
from costmodel.synth import library_liberty
from costmodel.validate import (DRAWN_VALIDATION_CORES, HELDOUT_CORES, TARGETS, VALIDATION_CORES, rows_from_csv,
                                summarize, validate)
from hwgen import api

__all__ = ["SETS", "section", "lut_small"]

#: (label, technology, designs, report folder under reports/validation)
SETS = (
    ("63 validation cores (33 picked, 30 drawn; guided earlier fixes)", "osu018", VALIDATION_CORES, "."),
    ("12 held out for this model (seed 5, committed before synthesis)", "osu018", HELDOUT_CORES, "heldout"),
    ("30 drawn cores, osu035", "osu035", DRAWN_VALIDATION_CORES, "osu035"),
)


def _cell(s: dict) -> str:
    return f"{s['mape_pct']:.1f}% / {s['worst_pct']:.1f}%"


def _beyond(df) -> str:
    misses = [f"{q} {int((df[f'{q}_err_pct'].abs() > worst).sum())}" for q, (_, worst) in TARGETS.items()
              if worst is not None and (df[f"{q}_err_pct"].abs() > worst).any()]
    return ", ".join(misses) or "none"


def _rows(label: str, df) -> list[str]:
    out = []
    regimes = df["p"].map(accuracy_regime)
    for name, part in (("all", df), *((r, df[regimes == r]) for r in sorted(set(regimes)))):
        s = summarize(part)
        out.append(f"| {label} | {name} | {len(part)} | {_cell(s['area'])} | {_cell(s['power'])} | "
                   f"{_cell(s['fmax'])} | {_beyond(part)} |")
    return out


def _worst(df) -> list[str]:
    out = []
    for q in TARGETS:
        r = df.loc[df[f"{q}_err_pct"].abs().idxmax()]
        out.append(f"{q} mu={r.mu} L={r.L} K={r.K} {r.act} p={r.p} ({r[f'{q}_err_pct']:+.1f}%)")
    return out


def section(ctx) -> str:
    folder = Path(ctx.root) / "reports" / "validation"
    lines = ["| set | regime | cores | area MAPE / worst | power MAPE / worst | fmax MAPE / worst "
             "| beyond a worst-case bound |", "|---|---|---:|---|---|---|---|"]
    worst, sources = [], []
    for label, tech, designs, sub in SETS:
        out_dir = folder / sub
        if ctx.quick:
            df, _ = validate(tech, designs, rows=rows_from_csv(out_dir / "validation.csv"), out_dir=None)
            sources.append(f"`reports/validation/{sub}/validation.csv`".replace("/./", "/"))
        else:
            df, _ = validate(tech, designs, jobs=ctx.jobs, out_dir=out_dir, liberty=library_liberty(tech))
        lines += _rows(label, df)
        worst.append(f"- {label}: " + "; ".join(_worst(df)))
    how = ("Synthesis results as recorded in " + ", ".join(sources) + " (quick mode: not re-synthesized), "
           "priced with the model of this commit." if ctx.quick else
           "Every set synthesized by this run (Yosys + OpenSTA, 100 MHz, activity from a simulated workload; "
           "cached by content), reports rewritten under `reports/validation/`.")
    targets = ", ".join(f"{q} MAPE <= {m:g}%" + (f" and worst <= {w:g}%" if w else "") for q, (m, w) in TARGETS.items())
    return "\n".join([
        f"Model (`hwgen estimate`, the table of the set's library) against synthesis. {how} "
        f"MAPE / worst absolute error. Targets: {targets}.",
        "",
        *lines,
        "",
        "Worst design per quantity:",
        "",
        *worst,
    ])


def lut_small(ctx) -> str:
    """One design by hand: `hwgen estimate` beside `hwgen synth` for designs/lut_small.yaml."""
    design = str(Path(ctx.root) / "designs" / "lut_small.yaml")
    synth, model = api.synth(design), api.estimate(design, clock_mhz=api.DEFAULT_CLOCK_MHZ)
    rows = ["| quantity | synthesis (osu018) | model (osu018) | model error |", "|---|---:|---:|---:|"]
    for name, key, unit in (("area", "area_um2", "um^2"), ("fmax", "fmax_mhz", "MHz"), ("power at 100 MHz", "power_mw", "mW")):
        rows.append(f"| {name} ({unit}) | {synth[key]:,.1f} | {model[key]:,.1f} | {100 * (model[key] / synth[key] - 1):+.1f}% |")
    return "\n".join([
        f"`hwgen synth designs/lut_small.yaml --json` ({synth['cells']:,} cells, {synth['seconds']:.0f} s this run, "
        f"{synth['flow_seconds'] or 0:.0f} s when it was synthesized) beside `hwgen estimate designs/lut_small.yaml "
        f"--json` at the same {api.DEFAULT_CLOCK_MHZ:g} MHz clock:",
        "",
        *rows,
    ])
