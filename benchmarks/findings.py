"""Reproduce the reference work's findings with our synthesis flow; writes reports/findings.md.

    .venv/bin/python benchmarks/findings.py [--jobs 2] [--out reports]

1. LUT vs multiplier-based MAC area at equal throughput (the same ``rows x
   columns`` products per cycle, the same 100 MHz constraint, pipeline 1) for
   int4, int8, fp8_e4m3, bf16 and fp16 activations; the LUT parameters are the
   best of ``(mu, L) in {(1, 4), (2, 2), (4, 1)}`` (``L*mu = 4`` rows, ``K = 4``).
   Integer LUT candidates are all synthesized (cheap); for floats the cost model
   (`costmodel.float_model`) picks the candidate and only that one is
   synthesized. Baselines, all `kind: mac` with ``rows = 4, columns = 4``:
   the ternary sign-select MAC (no multiplier), and the true multiplier MAC
   (int8 weights for integer activations, fp16 weights for float activations).
2. One large core vs several small tiles at equal throughput (fp16 and int8):
   one ``K = 8`` core vs 2 tiles of ``K = 4`` vs 4 tiles of ``K = 2``
   (``mu = 2, L = 2``); tile area = tiles x synthesized core area.

Every number in the tables is Yosys 0.23 + osu018 (`costmodel.synth`), cached
under ``~/.cache/hwgen`` so a rerun only synthesizes what changed.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

ACTS = ("int4", "int8", "fp8_e4m3", "bf16", "fp16")
ROWS, COLS = 4, 4
LUT_CANDIDATES = ((1, 4), (2, 2), (4, 1))
WORKLOAD = {"n": 64, "m": 16}
SCALE_K = (4, 8)  # section 3: columns per cycle, LUT mu=2 L=2 vs the sign-select MAC


def lut(act: str, mu: int, luts: int, fetchers: int = COLS) -> dict:
    return {"kind": "lut", "activation": act, "group_size": mu, "luts": luts, "fetchers": fetchers,
            "pipeline": 1, "workload": WORKLOAD}


def mac(act: str, weights: str, columns: int = COLS) -> dict:
    return {"kind": "mac", "weights": weights, "activation": act, "rows": ROWS, "columns": columns,
            "pipeline": 1, "workload": WORKLOAD}


def synth_one(design: dict) -> dict:
    from hwgen import api

    start = time.perf_counter()
    r = api.synth(design)
    est = api.estimate(design)
    return {"design": design, "area_um2": r["area_um2"], "cells": r["cells"],
            "critical_path_ns": r["critical_path_ns"], "fmax_mhz": r["fmax_mhz"],
            "model_area_um2": est["area_um2"], "seconds": round(time.perf_counter() - start, 1)}


def plan() -> tuple[dict, list[dict]]:
    from hwgen import api

    chosen, designs = {}, []
    for act in ACTS:
        cands = [lut(act, mu, L) for mu, L in LUT_CANDIDATES]
        if act.startswith("int"):
            designs += cands
        else:
            best = min(cands, key=lambda d: api.estimate(d)["area_um2"])
            designs.append(best)
        designs += [mac(act, "ternary"), mac(act, "int8" if act.startswith("int") else "fp16")]
    for act in ("int8", "fp16"):
        designs += [lut(act, 2, 2, k) for k in (8, 4, 2)]
        designs += [mac(act, "ternary", k) for k in SCALE_K]
    unique = {json.dumps(d, sort_keys=True): d for d in designs}
    return chosen, list(unique.values())


def key(d: dict) -> str:
    return json.dumps(d, sort_keys=True)


def run(jobs: int) -> dict[str, dict]:
    _, designs = plan()
    # biggest first, so the two workers finish together
    from hwgen import api

    designs.sort(key=lambda d: -api.estimate(d)["area_um2"])
    results = {}
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        for row in pool.map(synth_one, designs):
            results[key(row["design"])] = row
            print(f"  {row['area_um2']:>11.0f} um2  {row['seconds']:>6.1f} s  {label(row['design'])}", flush=True)
    return results


def label(d: dict) -> str:
    if d["kind"] == "lut":
        return f"LUT {d['activation']} mu={d['group_size']} L={d['luts']} K={d['fetchers']}"
    return f"MAC {d['activation']} x {d['weights']} {d['rows']}x{d['columns']}"


def _kscale(results: dict[str, dict]) -> list[tuple]:
    out = []
    for act in ("int8", "fp16"):
        for k in SCALE_K:
            lr, mr = results.get(key(lut(act, 2, 2, k))), results.get(key(mac(act, "ternary", k)))
            if lr and mr:
                out.append((act, k, lr["area_um2"], mr["area_um2"]))
    return out


def report(results: dict[str, dict], out: Path, seconds: float, argv: list[str]) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = []
    for act in ACTS:
        luts = [results[key(lut(act, mu, L))] for mu, L in LUT_CANDIDATES if key(lut(act, mu, L)) in results]
        best = min(luts, key=lambda r: r["area_um2"])
        sel = results[key(mac(act, "ternary"))]
        mul = results[key(mac(act, "int8" if act.startswith("int") else "fp16"))]
        rows.append((act, best, sel, mul))

    figs = out / "findings"
    figs.mkdir(parents=True, exist_ok=True)
    fig, ax = plt.subplots(figsize=(7, 3.6))
    x = range(len(rows))
    for i, (name, idx) in enumerate((("LUT (best)", 1), ("MAC sign-select", 2), ("MAC multiplier", 3))):
        ax.bar([j + (i - 1) * 0.27 for j in x], [r[idx]["area_um2"] / 1e3 for r in rows], 0.27, label=name)
    ax.set_xticks(list(x), [r[0] for r in rows])
    ax.set_ylabel("area (1000 um^2, osu018)")
    ax.set_yscale("log")
    ax.set_title(f"equal throughput: {ROWS}x{COLS} ternary MACs / cycle")
    ax.legend()
    fig.tight_layout()
    fig.savefig(figs / "findings_area.png", dpi=120)
    plt.close(fig)

    tiles = []
    for act in ("int8", "fp16"):
        for k, n_tiles in ((8, 1), (4, 2), (2, 4)):
            r = results[key(lut(act, 2, 2, k))]
            tiles.append((act, n_tiles, k, r["area_um2"], n_tiles * r["area_um2"]))
    fig, ax = plt.subplots(figsize=(5, 3.2))
    for act in ("int8", "fp16"):
        pts = [(t[1], t[4] / 1e3) for t in tiles if t[0] == act]
        ax.plot([p[0] for p in pts], [p[1] for p in pts], "o-", label=act)
    ax.set_xscale("log", base=2)
    ax.set_yscale("log")
    ax.set_xlabel("tiles (K per tile = 8 / tiles)")
    ax.set_ylabel("total area (1000 um^2)")
    ax.set_title("one large core vs tiles, equal throughput")
    ax.legend()
    fig.tight_layout()
    fig.savefig(figs / "findings_tiles.png", dpi=120)
    plt.close(fig)

    def f(v):
        return f"{v:,.0f}"

    lines = [
        "# Findings: LUT vs multiplier-based MAC, and core size",
        "",
        "Generated by `benchmarks/findings.py` (do not edit by hand). Every area is measured by our",
        "synthesis flow (`hwgen synth`: Yosys 0.23, `synth -flatten; dfflibmap; abc` onto the OSU 0.18 um",
        "library, 100 MHz constraint); the model column is `hwgen estimate` for the same design.",
        "",
        "## Commands",
        "",
        "```sh",
        f"{' '.join(['.venv/bin/python', 'benchmarks/findings.py', *argv])}",
        "# one design by hand, e.g. the fp16 LUT core and its multiplier baseline:",
        "hwgen synth designs/findings/lut_fp16.yaml --json",
        "hwgen synth designs/findings/mac_fp16_mul.yaml --json",
        "```",
        "",
        f"Run time of the last invocation {seconds:.0f} s (synthesis results are cached under ~/.cache/hwgen;",
        "`synth s` below is each design's uncached synthesis + estimate time, kept in",
        "`reports/findings/results.json`; 2-core machine shared with other sessions' synthesis runs).",
        "",
        f"## 1. LUT vs MAC at equal throughput ({ROWS} rows x {COLS} columns of ternary weights per cycle)",
        "",
        "LUT parameters: the best of (mu, L) in {(1, 4), (2, 2), (4, 1)} with K = 4 (integers: each",
        "synthesized; floats: chosen by the cost model, then synthesized). Baselines (`kind: mac`, same",
        "streaming interface, same tile): **sign-select** = ternary weights select +a, -a or 0 before an",
        "adder tree (no multiplier at all); **multiplier** = the weights dequantized to a multiplier",
        "input format: int8 x activation integer multipliers, or fp16 x activation float multipliers",
        "(product rounded to the activation format).",
        "",
        "**Which baseline is the reference paper's.** Geens et al. (ISPASS 2026) compare against",
        "multiplier-based designs *with the same activation type*, and with ternary weights the MAC's",
        "multiplier handles a 2-bit weight (activation x {-1, 0, +1}). In gates such a multiplier *is*",
        "our sign-select: an int8 x 2-bit two's-complement multiplier reduces to negate-and-select, an",
        "fp16 x ternary product is a sign flip or a zero. So the **gain vs sign-select** column is the",
        "like-for-like counterpart of the paper's comparison. The **gain vs multiplier** column compares",
        "against a MAC that does not exploit ternary weights at all (a full int8 x int8 or fp16 x fp16",
        "multiplier per product); it is an upper bound on what a LUT design saves, and against it the",
        "int8 gain is *larger* than fp16's (an int8 multiplier is large next to an int8 adder, an fp16",
        "multiplier is not much larger than an fp16 adder).",
        "",
        "All designs are compared at equal throughput *per cycle* (4 x 4 ternary MACs per cycle); the",
        "100 MHz constraint is what ABC sizes towards, and the critical paths (table below) differ,",
        "so per second the float MACs are slower still than their LUT counterparts.",
        "",
        "| activation | best LUT | LUT area | sign-select MAC | multiplier MAC | gain vs multiplier | gain vs sign-select | LUT model area |",
        "|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    for act, best, sel, mul in rows:
        d = best["design"]
        lines.append(
            f"| {act} | mu={d['group_size']} L={d['luts']} | {f(best['area_um2'])} | {f(sel['area_um2'])} | "
            f"{f(mul['area_um2'])} | **{mul['area_um2'] / best['area_um2']:.2f}x** | "
            f"{sel['area_um2'] / best['area_um2']:.2f}x | {f(best['model_area_um2'])} |")
    g = {act: (mul["area_um2"] / best["area_um2"], sel["area_um2"] / best["area_um2"]) for act, best, sel, mul in rows}
    if "fp16" in g and "int8" in g:
        fm, fs = g["fp16"]
        im, is_ = g["int8"]
        lines += [
            "",
            "**Against the issue's claims (measured here, 4 x 4 tile).** vs the full multiplier MAC:",
            f"fp16 LUT {fm:.2f}x smaller ({'at least' if fm >= 2 else 'less than'} 2x), but the int8 gain",
            f"({im:.2f}x) is {'smaller' if im < fm else 'larger'} than fp16's. vs the sign-select MAC (the",
            f"paper's comparison): int8 {is_:.2f}x {'<' if is_ < fs else '>='} fp16 {fs:.2f}x, the paper's ordering,",
            f"but fp16 is {'at least' if fs >= 2 else 'below'} 2x at this size; the gain grows with K (section 3).",
            "So no single baseline shows both claims at this tile size: the 2x holds only against full",
            "multipliers, the int8-below-fp16 ordering only against sign-select.",
        ]
    lines += ["", "![area](findings/findings_area.png)", "", "All LUT candidates synthesized (integers) / chosen (floats):", "",
              "| design | area um^2 | cells | critical path ns | model area um^2 | synth s |", "|---|---:|---:|---:|---:|---:|"]
    for r in sorted(results.values(), key=lambda r: (r["design"]["activation"], label(r["design"]))):
        lines.append(f"| {label(r['design'])} | {f(r['area_um2'])} | {r['cells']} | {r['critical_path_ns']:.2f} | "
                     f"{f(r['model_area_um2'])} | {r['seconds']} |")
    lines += [
        "",
        "## 2. One large core vs several small tiles (equal throughput: 4 rows x 8 columns per cycle)",
        "",
        "| activation | tiles | K per tile | core area um^2 | total area um^2 | vs one core |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for act, n_tiles, k, core_area, total in tiles:
        one = next(t[4] for t in tiles if t[0] == act and t[1] == 1)
        lines.append(f"| {act} | {n_tiles} | {k} | {f(core_area)} | {f(total)} | {total / one:.2f}x |")
    lines += ["", "![tiles](findings/findings_tiles.png)", ""]
    ks = _kscale(results)
    if ks:
        lines += [
            "## 3. Gain against the sign-select MAC vs columns per cycle (K)",
            "",
            "LUT mu=2 L=2 (4 rows) with K fetchers against the sign-select MAC with 4 rows x K columns:",
            "the LUT build (2 adders per LUT) is shared by all K columns, so the gain grows with K towards",
            "the per-column bound (a MAC column needs 4 adders incl. the accumulator, a LUT column 2 plus",
            "its fetch muxes).",
            "",
            "| activation | K | LUT area um^2 | sign-select MAC area um^2 | gain |",
            "|---|---:|---:|---:|---:|",
        ]
        lines += [f"| {a} | {k} | {f(la)} | {f(ma)} | **{ma / la:.2f}x** |" for a, k, la, ma in ks]
        lines += [""]
    lines += [
        "## Synthesis run time (why this report was missing)",
        "",
        "Before commit c4246c5 the float cores did not finish synthesizing in reasonable time: Yosys",
        "0.23's `share` pass (part of `synth`) tried to merge every variable shift (`$shr`/`$shl` from",
        "Amaranth `>>`/`<<` in the float adder, multiplier and widener) with every other, enumerating",
        "the mux conditions under which its result is used up to the next register. A reduction-tree",
        "adder feeding the accumulator adder in the same pipeline stage gave ~290,000 patterns per shift:",
        "`share` alone took 87 s and 3.9 GB for a 2x2 fp16 MAC and 2:45 / 7.2 GB for the fp16 LUT core,",
        "and shared nothing. The shifts are now written as explicit logarithmic shifters of 2:1 muxes",
        "(`hwgen.fpadd.shift_right/shift_left`, the same structure Yosys makes of a `$shr`), so `share`",
        "has no candidates; the flow is unchanged. Per-design synthesis time is the `synth s` column.",
        "",
    ]
    (out / "findings.md").write_text("\n".join(lines) + "\n")
    return out / "findings.md"


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--out", default=str(REPO / "reports"))
    args = parser.parse_args(argv)
    start = time.perf_counter()
    results = run(args.jobs)
    # Keep the uncached synthesis time of each design across reruns (a cached result takes ~1 s).
    store = Path(args.out) / "findings" / "results.json"
    if store.is_file():
        prev = {key(r["design"]): r for r in json.loads(store.read_text())}
        for k, r in results.items():
            if k in prev and abs(prev[k]["area_um2"] - r["area_um2"]) < 1:
                r["seconds"] = max(r["seconds"], prev[k]["seconds"])
    store.parent.mkdir(parents=True, exist_ok=True)
    store.write_text(json.dumps(sorted(results.values(), key=lambda r: key(r["design"])), indent=1) + "\n")
    path = report(results, Path(args.out), time.perf_counter() - start, argv)
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
