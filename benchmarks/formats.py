"""Weight-format comparison: regenerates ``reports/formats.md``.

Ternary, Sherry, iFairy and int2/int3/int4 LUT cores at **equal throughput**: every
design takes 512 weights per cycle (32 rows x 16 columns of the weight matrix; for
iFairy 512 complex weights), int8 activations, the same pipeline cuts and the same
clock, on the BitNet-2B-sized GEMV ``2560 x 2560``. Area, energy per weight and fmax
come from the analytical cost model (`costmodel.model`, one model and one technology
table for every format); bits stored per weight
are the streamed key bits per weight. ``--synth`` adds a cross-check of one small
design per format against Yosys + OpenSTA (osu018, default input activity).

Run: ``.venv/bin/python benchmarks/formats.py [--synth] [--tech osu018] [--out reports/formats.md]``
"""

from __future__ import annotations

import argparse
import platform
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from hwgen import api  # noqa: E402
from hwgen.config import parse_design  # noqa: E402

WORKLOAD = {"n": 2560, "m": 2560}
CLOCK_MHZ = 100.0
PIPELINE = 2

#: (label, weights, mu, L): every design has L * mu = 32 rows and K = 16 columns per cycle.
DESIGNS = [
    ("ternary mu=4", "ternary", 4, 8),
    ("ternary mu=2", "ternary", 2, 16),
    ("sherry", "sherry", 4, 8),
    ("ifairy mu=1 (swap/negate only)", "ifairy", 1, 32),
    ("ifairy mu=2", "ifairy", 2, 16),
    ("int2 mu=4", "int2", 4, 8),
    ("int3 mu=4", "int3", 4, 8),
    ("int4 mu=4", "int4", 4, 8),
    ("int4 mu=2", "int4", 2, 16),
]

#: Small designs for the synthesis cross-check (one per format, and deeper trees for four).
SYNTH = [
    ("ternary", 4, 2), ("sherry", 4, 2), ("ifairy", 2, 2), ("int2", 4, 2), ("int3", 4, 2), ("int4", 4, 2),
    ("ternary", 4, 8), ("sherry", 4, 8), ("ifairy", 2, 8), ("int3", 4, 8),
]


def design(weights: str, mu: int, luts: int, fetchers: int = 16, workload=WORKLOAD, pipeline=PIPELINE) -> dict:
    return {"kind": "lut", "weights": weights, "activation": "int8", "group_size": mu, "luts": luts,
            "fetchers": fetchers, "pipeline": pipeline, "workload": dict(workload)}


def stored_bits(config) -> float:
    from hwgen.families import family_of

    return family_of(config).bits_per_weight(config)


def build_info(config) -> tuple[int, int, int]:
    """(table entries, build adders per LUT, key bits)."""
    from hwgen.weights.shape import LutCoreShape

    s = LutCoreShape(config)
    return s.entries, s.graph.adders, s.key_width


def comparison(tech: str) -> tuple[str, list[dict]]:
    rows = []
    for label, weights, mu, luts in DESIGNS:
        config = parse_design(design(weights, mu, luts))
        est = api.estimate(config, tech=tech, clock_mhz=CLOCK_MHZ)
        n, m = config.workload.n, config.workload.m
        entries, adders, key = build_info(config)
        rows.append({
            "label": label, "weights": weights, "mu": mu, "L": luts, "entries": entries, "adders": adders,
            "key": key, "bits": stored_bits(config), "area": est["area_um2"],
            "e_weight": est["energy_pj_per_gemv"] / (n * m), "fmax": est["fmax_mhz"],
            "mib": stored_bits(config) * n * m / 8 / 2**20, "breakdown": est["breakdown"]["area_um2"],
        })
    base = rows[0]
    lines = [
        "| design | weights/cycle | table entries | build adders / LUT | key bits | bits stored / weight "
        "| weight storage, 2560x2560 (MiB) | area (mm^2) | area vs ternary mu=4 | energy / weight (pJ) "
        "| energy vs ternary mu=4 | fmax (MHz) |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r['label']} | 512 | {r['entries']} | {r['adders']} | {r['key']} | {r['bits']:.3g} | {r['mib']:.2f} "
            f"| {r['area'] / 1e6:.3f} | {r['area'] / base['area']:.2f}x | {r['e_weight']:.3f} "
            f"| {r['e_weight'] / base['e_weight']:.2f}x | {r['fmax']:.0f} |")
    parts = list(rows[0]["breakdown"])
    lines += ["", "Area breakdown (mm^2):", "",
              "| design | " + " | ".join(parts) + " |", "|---|" + "---|" * len(parts)]
    for r in rows:
        lines.append(f"| {r['label']} | " + " | ".join(f"{r['breakdown'][p] / 1e6:.3f}" for p in parts) + " |")
    return "\n".join(lines), rows


def synth_check(tech: str) -> str:
    from costmodel.synth_target import synthesis_target
    from hwgen.families import synthesize

    target = synthesis_target(tech)
    lines = ["| design (K=4, n=64, m=16, pipeline 1) | model area (um^2) | synthesized area (um^2) "
             "| model / synth | model crit. path (ns) | synth crit. path (ns) | cells |",
             "|---|---|---|---|---|---|---|"]
    for weights, mu, luts in SYNTH:
        config = parse_design(design(weights, mu, luts, fetchers=4, workload={"n": 64, "m": 16}, pipeline=1))
        clock = target.clock_mhz(CLOCK_MHZ)
        est = api.estimate(config, tech=target.tech, clock_mhz=clock)
        result, _ = synthesize(config, target.liberty, 1000.0 / clock)
        lines.append(
            f"| {weights} mu={mu} L={luts} | {est['area_um2']:.0f} | {result.area_um2:.0f} "
            f"| {est['area_um2'] / result.area_um2:.2f} | {est['critical_path_ns']:.2f} "
            f"| {result.critical_path_ns:.2f} | {result.cells} |")
        print(lines[-1], flush=True)
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tech", default="osu018")
    parser.add_argument("--synth", action="store_true", help="add the synthesis cross-check (minutes)")
    parser.add_argument("--out", default=str(ROOT / "reports" / "formats.md"))
    args = parser.parse_args(argv)
    out = write_report(args.tech, args.synth, Path(args.out))
    print(out.read_text())
    print(f"wrote {out}")
    return 0


def section(ctx) -> str:
    """Section ``formats`` of BENCHMARKS.md: rewrites reports/formats.md with the synthesis cross-check."""
    out = write_report("osu018", True, Path(ctx.root) / "reports" / "formats.md")
    text = out.read_text()
    check = text[text.index("## Synthesis cross-check"):].split("\n", 1)[1].strip()
    return "`benchmarks/formats.py --synth` rewrote `reports/formats.md` (model comparison at equal throughput). " \
           "Its synthesis cross-check:\n\n" + check


def write_report(tech: str, synth: bool, out: Path) -> Path:
    """``reports/formats.md``: the formats at equal throughput, and with ``synth`` the cross-check."""
    table, _ = comparison(tech)
    text = [
        "# Weight formats at equal throughput",
        "",
        f"Generated by `benchmarks/formats.py` ({platform.python_version()}, tech `{tech}`). "
        f"Every design: int8 activations, 32 weight rows x 16 columns per cycle (512 weights/cycle; "
        f"iFairy: 512 complex weights), pipeline {PIPELINE}, workload {WORKLOAD['n']} x {WORKLOAD['m']}, "
        f"{CLOCK_MHZ:g} MHz, so throughput is equal by construction. Area and energy are cost-model "
        "estimates (`costmodel.model`, one model for every format, the same "
        "per-bit unit costs). Energy per weight = energy per GEMV / (N*M). Bits stored per weight = "
        "streamed key bits / group size (ternary keys carry a sign and an index including the zero "
        "entry, so 7 bits per 4 weights, not the 1.58-bit entropy).",
        "",
        table,
        "",
        "Reading the table:",
        "",
        "* **Sherry** keeps ternary's arithmetic but each LUT holds 16 entries instead of 40 and "
        "needs 20 build adders instead of 36; its key is the 5-bit packed group, so the fetch "
        "mux and the key registers shrink with the weight storage (1.25 vs 1.75 bits/weight).",
        "* **iFairy** processes complex weights: every weight costs two real outputs "
        "(real and imaginary), two trees and two accumulators per column; the mu=1 core is "
        "the plain multiplication-free swap/negate datapath, mu=2 uses the rotation-symmetric "
        "table (4 complex entries, 8 adders).",
        "* **int-b** weights through bit-planes share one +-1 table (2^(mu-1) entries) between "
        "b plane look-ups; each extra bit adds a select, a negator and a shift-add per fetch, "
        "so area and energy grow roughly linearly in b, while storage is exactly b bits.",
    ]
    if synth:
        from costmodel.synth_target import synthesis_target

        text += ["", f"## Synthesis cross-check (Yosys + OpenSTA, {synthesis_target(tech).tech})", "",
                 "One small design per format (and four with deeper trees), synthesized with the project's flow "
                 "(`costmodel.synth`, default input activity), against the model's area and "
                 "critical path for the same config.", "", synth_check(tech)]
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("\n".join(text) + "\n")
    return out


if __name__ == "__main__":
    raise SystemExit(main())
