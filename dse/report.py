"""The sweep report: Markdown, HTML, CSV and matplotlib PNG plots, written to a folder.

`write_report` only writes into the (staging) folder it is given; `publish` moves a
finished staging folder into the output folder and writes ``manifest.json`` last, so
a report without a manifest saying ``"status": "complete"`` is not a finished one.
Nothing time-dependent is written: the same trials give byte-identical files.
"""

from __future__ import annotations

import hashlib
import html
import json
import os
import shutil
from dataclasses import dataclass, field
from itertools import combinations
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from costmodel.model import ACCURACY_REGIMES, accuracy, accuracy_text
from costmodel.tech import load_tech

from .picks import Pick, commands, suggest_picks
from .space import Space
from .workload import gemv_table

__all__ = ["ReportData", "write_report", "publish", "importance", "MANIFEST", "TABLE_ROWS"]

MANIFEST = "manifest.json"
#: Pareto designs listed in the Markdown table (the HTML table and pareto.csv hold all of them).
TABLE_ROWS = 60
#: Folder of the suggested designs' files in the report.
DESIGNS = "designs"

_PNG_META = {"Software": None}


@dataclass
class ReportData:
    """Everything a report shows.

    Attributes
    ----------
    frame : DataFrame
        One row per trial (or per design in exhaustive mode): ``trial``, parameters,
        metrics, ``feasible``, ``pareto``.
    reference : DataFrame | None
        The exhaustive front (rows of the enumerated space on it), when known.
    hv_curve : (trials, hypervolume) arrays, or None
    summary : dict
        Headline figures (mode, counts, hypervolumes); also goes into the manifest.
    importances : dict objective -> {parameter: share}
    synth : DataFrame | None
        Model-vs-synthesis rows for ``--synth-top``.
    synth_note : str
        What the synthesis rows compare (library, the table the model was priced with).
    refined : DataFrame | None
        The synthesized designs re-ranked by measured numbers (`dse.refine.rerank`).
    rtl : dict design id -> folder, for ``--emit-rtl``.
    pick_designs : dict design id -> design file text, for the suggested designs.
    """

    space: Space
    frame: pd.DataFrame
    reference: pd.DataFrame | None
    hv_curve: tuple[np.ndarray, np.ndarray] | None
    summary: dict[str, Any]
    importances: dict[str, dict[str, float]]
    synth: pd.DataFrame | None = None
    synth_note: str = ""
    refined: pd.DataFrame | None = None
    rtl: dict[str, str] = field(default_factory=dict)
    pick_designs: dict[str, str] = field(default_factory=dict)


# ----------------------------------------------------------------------------
# Analysis helpers


def importance(frame: pd.DataFrame, space: Space) -> dict[str, dict[str, float]]:
    """Per objective, each searched parameter's share of the explained variance.

    The first-order (main-effect) ANOVA share: the variance of the objective's
    per-value means (log10 for log objectives) over the feasible rows, normalized so
    the shares of one objective sum to 1. Deterministic and dependency-free.
    """
    feasible = frame[frame["feasible"]]
    out: dict[str, dict[str, float]] = {}
    searched = [p.name for p in space.searched]
    if len(feasible) < 2 or not searched:
        return out
    for o in space.objectives:
        y = feasible[o.name].to_numpy(dtype=np.float64)
        y = np.log10(np.maximum(y, 1e-300)) if o.log else y
        total = y.var()
        raw = {}
        for name in searched:
            groups = pd.Series(y).groupby(feasible[name].to_numpy())
            means, counts = groups.mean(), groups.count()
            raw[name] = float(((means - y.mean()) ** 2 * counts).sum() / len(y) / total) if total > 0 else 0.0
        s = sum(raw.values())
        out[o.name] = {k: (v / s if s > 0 else 0.0) for k, v in raw.items()}
    return out


def _fmt(v: Any) -> str:
    if isinstance(v, (bool, np.bool_)):
        return "yes" if v else "no"
    if isinstance(v, (float, np.floating)):
        return f"{v:.4g}"
    return str(v)


def _pareto_table(data: ReportData) -> pd.DataFrame:
    space = data.space
    front = data.frame[data.frame["pareto"]].copy()
    first = space.objectives[0]
    front = front.sort_values([first.name, "trial"], ascending=[first.direction == "minimize", True])
    cols = ["design", "trial"] + space.param_names + [o.name for o in space.objectives]
    extra = [c for c in ("tops_per_mm2", "tops_per_w", "power_mw", "clock_mhz", "fmax_mhz", "core_cycles_per_token",
                         "mbytes_per_token", "dram_uj_per_token", "bound") if c not in cols]
    front.insert(0, "design", [f"p{i:03d}" for i in range(len(front))])
    return front[cols + extra]


def _core_text(row: pd.Series) -> str:
    """A row's core in its family's own terms (a MAC baseline has rows and columns, not mu/L/K)."""
    if row.get("architecture") == "mac":
        return f"rows={int(row['group_size']) * int(row['luts'])} columns={int(row['fetchers'])}"
    return f"mu={int(row['group_size'])} L={int(row['luts'])} K={int(row['fetchers'])}"


def _energy_unit(values: pd.Series) -> tuple[float, str]:
    """Scale and unit that keep per-token energies (stored in uJ) readable: nJ, uJ or mJ."""
    typical = float(values.abs().median()) if len(values) else 1.0
    if typical >= 1e3:
        return 1e-3, "mj"
    if typical < 1.0:
        return 1e3, "nj"
    return 1.0, "uj"


def _display_table(data: ReportData, table: pd.DataFrame) -> pd.DataFrame:
    """The Pareto table as shown to a reader: energy in nJ/uJ/mJ as fits, each family's own
    parameter names, no trial numbers in exhaustive mode (pareto.csv keeps the raw columns)."""
    df = table.copy()
    if data.summary.get("mode") == "exhaustive":
        df = df.drop(columns=["trial"])
    for col in [c for c in df.columns if c.endswith("_uj")]:
        scale, unit = _energy_unit(df[col])
        if unit != "uj":
            df[col] = df[col] * scale
            df = df.rename(columns={col: f"{col[:-3]}_{unit}"})
    if "architecture" in df.columns:
        at = list(df.columns).index("group_size")
        df.insert(at, "core", [_core_text(r) for _, r in df.iterrows()])
        df = df.drop(columns=["group_size", "luts", "fetchers"])
    else:
        df = df.rename(columns={"group_size": "mu", "luts": "L", "fetchers": "K"})
    return df


def _pick_rows(data: ReportData, table: pd.DataFrame) -> list[tuple[Pick, pd.Series, dict[str, str]]]:
    """Each suggested pick with its table row and its commands, run from the report's folder
    (paths relative to it, so the same trials give the same report wherever it is written)."""
    out = []
    for pick in suggest_picks(data.space, table):
        row = table[table["design"] == pick.design].iloc[0]
        path = f"{DESIGNS}/{pick.design}.yaml"
        out.append((pick, row, commands(data.space, row, path, f"build/{pick.design}")))
    return out


def _pick_metrics(data: ReportData, row: pd.Series) -> str:
    names = [o.name for o in data.space.objectives] + [c for c in ("power_mw", "clock_mhz") if c in row.index]
    parts = []
    for name in dict.fromkeys(names):
        value = float(row[name])
        if name.endswith("_uj"):
            scale, unit = _energy_unit(pd.Series([value]))
            parts.append(f"{name[:-3]}_{unit} {value * scale:.4g}")
        else:
            parts.append(f"{name} {value:.4g}")
    return ", ".join(parts)


# ----------------------------------------------------------------------------
# Plots


def _pyplot():
    """matplotlib's pyplot on the headless Agg backend, loaded when a report is drawn (it takes
    half a second to import: every other command of the CLI goes without it)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _label_points(data: ReportData) -> pd.DataFrame:
    """Front rows labelled on the PNGs: the suggested picks and each objective's extremes."""
    table = _pareto_table(data)
    ids = {p.design for p in suggest_picks(data.space, table)}
    for o in data.space.objectives:
        ids |= {str(table.loc[table[o.name].idxmin(), "design"]), str(table.loc[table[o.name].idxmax(), "design"])}
    return table[table["design"].isin(ids)]


def _plot_fronts(data: ReportData, plots: Path) -> list[str]:
    space, frame = data.space, data.frame
    names = []
    objs = space.objectives
    pairs = list(combinations(range(len(objs)), 2)) or [(0, 0)]
    for i, j in pairs:
        a, b = objs[i], objs[j]
        fig, ax = _pyplot().subplots(figsize=(6.4, 4.8), dpi=100)
        feas = frame[frame["feasible"]]
        infeas = frame[~frame["feasible"]]
        if len(infeas):
            ax.scatter(infeas[a.name], infeas[b.name], s=6, marker="x", color="#e8a0a0", label="infeasible", lw=0.6)
        exhaustive = data.summary.get("mode") == "exhaustive"
        ax.scatter(feas[a.name], feas[b.name], s=6, color="#b0b0b0",
                   label="feasible designs" if exhaustive else "feasible trials")
        front = frame[frame["pareto"]]
        ax.scatter(front[a.name], front[b.name], s=18, color="#1f77b4", zorder=3,
                   label="Pareto front (exact: every design enumerated)" if exhaustive else "Pareto front (found)")
        if data.reference is not None:
            ref = data.reference
            ax.scatter(ref[a.name], ref[b.name], s=40, facecolors="none", edgecolors="black", lw=0.8,
                       label="exhaustive front (a dot without a ring: found, but beaten)", zorder=4)
        if len(front):
            for _, row in _label_points(data).iterrows():
                ax.annotate(str(row["design"]), (row[a.name], row[b.name]), fontsize=6, xytext=(3, 3),
                            textcoords="offset points", zorder=5)
        ax.set_xscale("log" if a.log else "linear")
        ax.set_yscale("log" if b.log else "linear")
        ax.set_xlabel(f"{a.label} ({'lower' if a.direction == 'minimize' else 'higher'} is better)")
        ax.set_ylabel(f"{b.label} ({'lower' if b.direction == 'minimize' else 'higher'} is better)")
        ax.set_title(f"{b.name} vs {a.name}" + (" (projection of a %d-objective front)" % len(objs) if len(objs) > 2 else ""),
                     fontsize=9)
        ax.grid(True, which="both", lw=0.3, alpha=0.5)
        ax.legend(fontsize=7, loc="best")
        fig.tight_layout()
        name = f"pareto_{a.name}__{b.name}.png"
        fig.savefig(plots / name, metadata=_PNG_META)
        _pyplot().close(fig)
        names.append(name)
    return names


def _svg_front(data: ReportData, a, b, width: int = 640, height: int = 420) -> str:
    """An inline SVG of the front in objectives ``a``, ``b``: hovering a point shows its design id
    and metrics (the same ids as the table, pareto.csv and the design files)."""
    table = _pareto_table(data)
    picks = {p.design for p in suggest_picks(data.space, table)}
    pad = 50

    def scale(values: np.ndarray, log: bool, lo_px: float, hi_px: float) -> np.ndarray:
        v = np.log10(np.maximum(values, 1e-300)) if log else values.astype(np.float64)
        lo, hi = float(v.min()), float(v.max())
        span = hi - lo if hi > lo else 1.0
        return lo_px + (v - lo) / span * (hi_px - lo_px)

    xs = scale(table[a.name].to_numpy(), a.log, pad, width - 10)
    ys = scale(table[b.name].to_numpy(), b.log, height - pad, 10)
    dots = []
    for (_, row), x, y in zip(table.iterrows(), xs, ys):
        tip = html.escape(f"{row['design']}: {_pick_metrics(data, row)}")
        pick = row["design"] in picks
        dots.append(f"<circle cx='{x:.1f}' cy='{y:.1f}' r='{5 if pick else 3.5}' fill='{'#d62728' if pick else '#1f77b4'}'>"
                    f"<title>{tip}</title></circle>")
        if pick:
            dots.append(f"<text x='{x + 6:.1f}' y='{y - 6:.1f}' font-size='10'>{html.escape(str(row['design']))}</text>")
    axes = (f"<line x1='{pad}' y1='{height - pad}' x2='{width - 10}' y2='{height - pad}' stroke='#888'/>"
            f"<line x1='{pad}' y1='10' x2='{pad}' y2='{height - pad}' stroke='#888'/>"
            f"<text x='{width / 2:.0f}' y='{height - 15}' font-size='11' text-anchor='middle'>"
            f"{html.escape(a.label)}{' (log)' if a.log else ''}</text>"
            f"<text x='12' y='{height / 2:.0f}' font-size='11' text-anchor='middle' "
            f"transform='rotate(-90 12 {height / 2:.0f})'>{html.escape(b.label)}{' (log)' if b.log else ''}</text>")
    return (f"<svg xmlns='http://www.w3.org/2000/svg' width='{width}' height='{height}' "
            f"style='border:1px solid #eee'>{axes}{''.join(dots)}</svg>")


def _plot_hypervolume(data: ReportData, plots: Path) -> str | None:
    if data.hv_curve is None or len(data.hv_curve[0]) == 0:
        return None
    ks, hvs = data.hv_curve
    true_hv = data.summary.get("exhaustive_hypervolume")
    fig, ax = _pyplot().subplots(figsize=(6.4, 4.0), dpi=100)
    if true_hv:
        ax.plot(ks, hvs / true_hv, marker=".", label="found front / exhaustive front")
        ax.axhline(1.0, color="black", lw=0.8, ls="--", label="exhaustive front")
        ax.axhline(0.99, color="gray", lw=0.6, ls=":", label="99%")
        ax.set_ylabel("hypervolume ratio")
    else:
        ax.plot(ks, hvs, marker=".", label="found front")
        ax.set_ylabel("hypervolume (normalized objectives)")
    ax.set_xlabel("trials")
    ax.set_title("Hypervolume against trials", fontsize=9)
    ax.grid(True, lw=0.3, alpha=0.5)
    ax.legend(fontsize=7, loc="lower right")
    fig.tight_layout()
    fig.savefig(plots / "hypervolume.png", metadata=_PNG_META)
    _pyplot().close(fig)
    return "hypervolume.png"


def _plot_importance(data: ReportData, plots: Path) -> str | None:
    imp = data.importances
    if not imp:
        return None
    params = list(next(iter(imp.values())))
    objs = list(imp)
    fig, ax = _pyplot().subplots(figsize=(6.4, 0.6 + 0.5 * len(params) * max(1, len(objs)) / 2 + 1), dpi=100)
    y = np.arange(len(params))
    h = 0.8 / len(objs)
    for k, o in enumerate(objs):
        ax.barh(y + k * h, [imp[o][p] for p in params], height=h, label=o)
    ax.set_yticks(y + h * (len(objs) - 1) / 2, params)
    ax.invert_yaxis()
    ax.set_xlabel("share of explained variance (first-order ANOVA)")
    ax.set_title("Parameter importance", fontsize=9)
    ax.legend(fontsize=7, loc="lower right")
    ax.grid(True, axis="x", lw=0.3, alpha=0.5)
    fig.tight_layout()
    fig.savefig(plots / "importance.png", metadata=_PNG_META)
    _pyplot().close(fig)
    return "importance.png"


# ----------------------------------------------------------------------------
# Text


REFINED_NOTE = ("The synthesized designs with their per-token objectives from the model and from the measured "
                "core (area, power and fmax replaced by synthesis; `dse.refine`), ranked by distance to the ideal "
                "point on one scale (1 = best); `measured_pareto`: still Pareto-optimal among them on measured "
                "numbers; `*_error_pct`: model against measured.")


def _md_table(df: pd.DataFrame) -> str:
    head = "| " + " | ".join(df.columns) + " |"
    sep = "|" + "|".join("---" for _ in df.columns) + "|"
    rows = ["| " + " | ".join(_fmt(v) for v in row) + " |" for row in df.itertuples(index=False)]
    return "\n".join([head, sep] + rows)


def _html_table(df: pd.DataFrame) -> str:
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in df.columns)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(_fmt(v))}</td>" for v in row) + "</tr>"
                   for row in df.itertuples(index=False))
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _accuracy_lines(tech_name: str) -> list[tuple[str, str]]:
    """How far off the ternary LUT-core model was against synthesis with this table, per regime."""
    tech = load_tech(tech_name)
    return [(f"model accuracy, {regime} LUT cores", accuracy_text(accuracy(tech, regime)))
            for regime in ACCURACY_REGIMES]


def _memory_line(space: Space) -> str:
    mem = load_tech(space.tech).memory[space.memory]
    return (f"{space.memory}, {mem['pj_per_bit']:g} pJ per streamed bit, in energy per token "
            f"(hardwired layers stream nothing) ({mem['source']})")


def _summary_lines(data: ReportData) -> list[tuple[str, str]]:
    s = data.summary
    space = data.space
    lines = [
        ("space", f"{space.name} ({s['space_size']:,} designs)"),
        ("workload", f"{space.workload.name}: {space.workload.gemvs_per_token} GEMVs, "
                     f"{space.workload.weights_per_token:,} weights per token"),
        ("per-token account", space.workload.account()),
        ("DRAM energy", _memory_line(space)),
        ("technology", space.tech),
        *_accuracy_lines(space.tech),
        ("objectives", ", ".join(f"{o.name} ({o.direction})" for o in space.objectives)),
        ("constraints", ", ".join(f"{k} = {v:g}" for k, v in space.constraints.items()) or "none"),
        ("mode", f"{s['mode']}: {s['mode_reason']}" if s.get("mode_reason") else s["mode"]),
    ]
    if s["mode"] == "search":
        lines += [("sampler", f"{s['sampler']} (seed {s['seed']}, population {space.population})"),
                  ("study", f"{s['study']} in {s['storage']}"),
                  ("trials", f"{s['trials']:,} complete ({s['distinct_designs']:,} distinct designs, "
                             f"{s['feasible_trials']:,} feasible)")]
    lines.append(("Pareto designs", f"{s['pareto_designs']}"))
    if s.get("hypervolume") is not None:
        lines.append(("hypervolume", f"{s['hypervolume']:.4f} (objectives normalized, log10 scale)"))
    if s.get("hypervolume_ratio") is not None:
        lines.append(("vs exhaustive front", f"{100 * s['hypervolume_ratio']:.2f}% of its hypervolume "
                                             f"({s['exhaustive_pareto']} designs on it)"))
    if s.get("bandwidth_bound_pareto") is not None:
        lines.append(("roofline", f"{s['bandwidth_bound_pareto']} of the Pareto designs are bandwidth-bound "
                                  f"at {space.bandwidth_gbps:g} GB/s" if space.bandwidth_gbps else
                                  "unlimited bandwidth: every design is compute-bound"))
    return lines


_CSS = """body{font-family:sans-serif;max-width:1200px;margin:2em auto;padding:0 1em;color:#222}
table{border-collapse:collapse;font-size:12px;margin:1em 0}td,th{border:1px solid #ccc;padding:2px 6px;text-align:right}
th{background:#f0f0f0}img{max-width:100%;border:1px solid #eee}.kv td{text-align:left}"""


def _rtl_note(space: Space) -> str:
    g = space.workload.largest
    return (f"each folder's design.yaml is the priced core, sized for the workload's largest GEMV ({g.name}, "
            f"n={g.n}, m={g.m}), for `hwgen simulate` and `hwgen synth`")


def _picks_md(data: ReportData, table: pd.DataFrame) -> list[str]:
    md = ["", "## Suggested designs", "",
          "Points of the front to start from; each design file is in `designs/`, and the commands "
          "below, run in this report's folder, build it (`hwgen estimate` on it gives the table's area and "
          "power at this clock; for a design with hardwired layers, those of its core)."]
    for pick, row, cmds in _pick_rows(data, table):
        md += ["", f"### {pick.design}: {pick.title}", "", f"{_core_text(row)}; {_pick_metrics(data, row)}. "
               f"Why: {pick.reason}.", "", "```sh", *cmds.values(), "```"]
    return md


def _picks_html(data: ReportData, table: pd.DataFrame) -> list[str]:
    h = ["<h2>Suggested designs</h2>",
         f"<p>Points of the front to start from. Each design file is in <code>{DESIGNS}/</code>; run the "
         "commands in this report's folder (<code>hwgen estimate</code> on the file gives the table's "
         "area and power at this clock; for a design with hardwired layers, those of its core).</p>"]
    for pick, row, cmds in _pick_rows(data, table):
        h += [f"<h3 id='{html.escape(pick.design)}'>{html.escape(pick.design)}: {html.escape(pick.title)}</h3>",
              f"<p>{html.escape(_core_text(row))}; {html.escape(_pick_metrics(data, row))}. "
              f"Why: {html.escape(pick.reason)}. Design file: "
              f"<a href='{DESIGNS}/{html.escape(pick.design)}.yaml'>{DESIGNS}/{html.escape(pick.design)}.yaml</a></p>",
              "<pre>" + html.escape("\n".join(cmds.values())) + "</pre>"]
    return h


def _write_text(stage: Path, data: ReportData, plots: dict[str, list[str] | str | None],
                table: pd.DataFrame) -> None:
    space = data.space
    shown_all = _display_table(data, table)
    shown = shown_all.head(TABLE_ROWS)
    more = f"\n\n(first {TABLE_ROWS} of {len(table)}; all in `pareto.csv` and report.html)" \
        if len(table) > TABLE_ROWS else ""
    md = [f"# Pareto report: {space.name}", ""]
    md += [f"- **{k}**: {v}" for k, v in _summary_lines(data)]
    md += _picks_md(data, table)
    md += ["", "## Pareto designs", "",
           "Designs no other feasible design beats on every objective. `bound` is the roofline "
           "limit: compute (cycles) or bandwidth (weight stream).", "", _md_table(shown) + more]
    md += ["", "## Plots", ""]
    md += [f"![{n}](plots/{n})" for n in plots["fronts"]]
    if plots["hv"]:
        md += ["", "Hypervolume of the found front against trials:", "", f"![hypervolume](plots/{plots['hv']})"]
    if plots["importance"]:
        md += ["", "Parameter importance:", "", f"![importance](plots/{plots['importance']})"]
    if data.synth is not None and len(data.synth):
        md += ["", "## Model against synthesis", "", data.synth_note, "", _md_table(data.synth)]
    if data.refined is not None and len(data.refined):
        md += ["", "## Front re-ranked by synthesis", "", REFINED_NOTE, "", _md_table(data.refined)]
    if data.rtl:
        md += ["", "## RTL", "", f"Verilog of every Pareto design (as `hwgen generate` writes it); {_rtl_note(space)}: "
               + ", ".join(f"[{k}]({v}/)" for k, v in data.rtl.items())]
    md += ["", "## Workload", "", gemv_table(space.workload), "",
           "## Files", "", "- `trials.csv`: every trial (parameters, metrics, feasibility)",
           "- `pareto.csv`: every Pareto design", "- `manifest.json`: summary; written last, marks the report complete"]
    (stage / "report.md").write_text("\n".join(md) + "\n")

    h = [f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>Pareto report: {html.escape(space.name)}</title>",
         f"<style>{_CSS}</style></head><body>", f"<h1>Pareto report: {html.escape(space.name)}</h1>",
         "<table class='kv'>" + "".join(f"<tr><th>{html.escape(k)}</th><td>{html.escape(v)}</td></tr>"
                                        for k, v in _summary_lines(data)) + "</table>"]
    h += _picks_html(data, table)
    h += ["<h2>Pareto front</h2>",
          "<p>Hover a point for its design id and figures; the suggested designs are red.</p>"]
    objs = space.objectives
    h += [_svg_front(data, objs[i], objs[j]) for i, j in (list(combinations(range(len(objs)), 2)) or [(0, 0)])]
    h += ["<p>The same fronts with every design evaluated (grey), labels on the suggested designs and "
          "each objective's extremes:</p>"]
    h += [f"<img src='plots/{n}' alt='{n}'>" for n in plots["fronts"]]
    if plots["hv"]:
        h += ["<h2>Hypervolume against trials</h2>", f"<img src='plots/{plots['hv']}' alt='hypervolume'>"]
    if plots["importance"]:
        h += ["<h2>Parameter importance</h2>", f"<img src='plots/{plots['importance']}' alt='importance'>"]
    h += ["<h2>Pareto designs</h2>", "<p><code>bound</code>: roofline limit, compute or bandwidth. "
          "Every Pareto design (also in <a href='pareto.csv'>pareto.csv</a>).</p>", _html_table(shown_all)]
    if data.synth is not None and len(data.synth):
        h += ["<h2>Model against synthesis</h2>", f"<p>{html.escape(data.synth_note)}</p>", _html_table(data.synth)]
    if data.refined is not None and len(data.refined):
        h += ["<h2>Front re-ranked by synthesis</h2>", f"<p>{html.escape(REFINED_NOTE)}</p>", _html_table(data.refined)]
    if data.rtl:
        h += [f"<h2>RTL</h2><p>Verilog of every Pareto design; {html.escape(_rtl_note(space))}: "
              + ", ".join(f"<a href='{v}/'>{k}</a>" for k, v in data.rtl.items()) + "</p>"]
    wl = pd.DataFrame([{"projection": g.name, "n": g.n, "m": g.m, "per token": g.count} for g in space.workload.gemvs])
    h += ["<h2>Workload</h2>", _html_table(wl),
          "<p>Files: <a href='trials.csv'>trials.csv</a>, <a href='pareto.csv'>pareto.csv</a>, "
          "<a href='report.md'>report.md</a>, <a href='manifest.json'>manifest.json</a></p></body></html>"]
    (stage / "report.html").write_text("\n".join(h) + "\n")


def write_report(stage: Path, data: ReportData) -> list[str]:
    """Write every report file into ``stage``; return their relative paths (sorted)."""
    stage = Path(stage)
    plots_dir = stage / "plots"
    plots_dir.mkdir(parents=True, exist_ok=True)
    table = _pareto_table(data)
    cols = ["trial"] + data.space.param_names + [c for c in data.frame.columns
                                                 if c not in ("trial", *data.space.param_names)]
    data.frame[cols].to_csv(stage / "trials.csv", index=False, float_format="%.8g")
    table.to_csv(stage / "pareto.csv", index=False, float_format="%.8g")
    plots = {"fronts": _plot_fronts(data, plots_dir), "hv": _plot_hypervolume(data, plots_dir),
             "importance": _plot_importance(data, plots_dir)}
    _write_text(stage, data, plots, table)
    (stage / DESIGNS).mkdir(exist_ok=True)
    for design, text in data.pick_designs.items():
        (stage / DESIGNS / f"{design}.yaml").write_text(text)
    return sorted(str(p.relative_to(stage)) for p in stage.rglob("*") if p.is_file())


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _listed_files(manifest: Path) -> set[str]:
    """The report files an earlier manifest lists (none if it is missing or unreadable)."""
    try:
        listed = json.loads(manifest.read_text()).get("files", {})
    except (OSError, ValueError, AttributeError):
        return set()
    return {rel for rel in listed if isinstance(rel, str) and ".." not in rel.split("/")}


def publish(stage: Path, out: Path, files: list[str], manifest: dict[str, Any],
            replace_dirs: tuple[str, ...] = ("plots", "rtl", DESIGNS)) -> Path:
    """Move a finished staging folder into ``out``; ``manifest.json`` goes last.

    The old manifest is removed first, so between the two a reader sees no complete
    report; the folders in ``replace_dirs`` are swapped whole (stale plots do not linger),
    and files the old manifest listed that this report does not write are removed.
    """
    stage, out = Path(stage), Path(out)
    man_path = out / MANIFEST
    previous = _listed_files(man_path)
    if man_path.exists():
        man_path.unlink()
    for rel in previous - set(files):  # what an earlier report wrote and this one does not
        if rel.split("/", 1)[0] not in replace_dirs:
            (out / rel).unlink(missing_ok=True)
    trash = stage.with_name(stage.name + "-old")
    trash.mkdir(exist_ok=True)
    for d in replace_dirs:
        if (out / d).exists():
            os.replace(out / d, trash / d)
        if (stage / d).exists():
            os.replace(stage / d, out / d)
    for rel in files:
        if rel.split("/", 1)[0] in replace_dirs:
            continue
        target = out / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(stage / rel, target)
    manifest = dict(manifest)
    manifest["files"] = {rel: _sha256(out / rel) for rel in files}
    manifest["status"] = "complete"
    tmp = out / (MANIFEST + ".tmp")
    tmp.write_text(json.dumps(manifest, indent=2, sort_keys=True, default=_json_default) + "\n")
    os.replace(tmp, man_path)
    shutil.rmtree(stage, ignore_errors=True)
    shutil.rmtree(trash, ignore_errors=True)
    return man_path


def _json_default(v: Any) -> Any:
    if isinstance(v, (np.integer,)):
        return int(v)
    if isinstance(v, (np.floating,)):
        return float(v)
    if isinstance(v, (np.bool_,)):
        return bool(v)
    if isinstance(v, np.ndarray):
        return v.tolist()
    raise TypeError(f"not JSON serializable: {type(v)}")
