"""gpt-oss-120B-shaped model with MXFP4 experts as Hardwired-Neuron arrays at 5 nm, beside HNLPU's figures.

Writes the section between ``<!-- hn-model:begin -->`` and ``<!-- hn-model:end -->`` of
``reports/hardwired.md`` (appended if absent) and prints it:

    PYTHONPATH=. python benchmarks/hn_model.py
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from costmodel.hardwired import HN_OSU018, choose_architecture, hn_features, hn_stage, price
from hwgen.hardwired import parse_hardwired
from hwgen.hardwired.config import load_weights
from hwgen.hardwired.hn import fabric_of

ROOT = Path(__file__).resolve().parent.parent
BEGIN, END = "<!-- hn-model:begin -->", "<!-- hn-model:end -->"

#: gpt-oss-120b config.json: 36 layers, hidden 2880, 128 experts (top-4), expert FFN 2880,
#: 64 query / 8 KV heads x 64, vocabulary 201,088 (untied embedding and unembedding).
LAYERS, HIDDEN, EXPERTS, TOP_K, FFN, Q, KV, VOCAB = 36, 2880, 128, 4, 2880, 64 * 64, 8 * 64, 201_088
#: (name, N, M, instances, active fraction per token, weight format as hardwired here)
MATRICES = [
    ("expert gate/up", HIDDEN, 2 * FFN, LAYERS * EXPERTS, TOP_K / EXPERTS, "mxfp4"),
    ("expert down", FFN, HIDDEN, LAYERS * EXPERTS, TOP_K / EXPERTS, "mxfp4"),
    ("q proj", HIDDEN, Q, LAYERS, 1.0, "fp4"),
    ("k/v proj", HIDDEN, KV, 2 * LAYERS, 1.0, "fp4"),
    ("o proj", Q, HIDDEN, LAYERS, 1.0, "fp4"),
    ("router", HIDDEN, EXPERTS, LAYERS, 1.0, "fp4"),
    ("unembedding", HIDDEN, VOCAB, 1, 1.0, "fp4"),
]
#: HNLPU (ASPLOS '26) published figures.
HNLPU = {"chips": 16, "chip_mm2": 827, "total_mm2": 13_232, "chip_w": 308, "tokens_per_s": 249_960,
         "tokens_per_j": 36, "um2_per_weight": 0.079, "pj_per_weight": 1.0, "nre_musd": (59.46, 123.5),
         "base_masks_musd": 27.69, "wiring_masks_musd_per_chip": 2.31}
#: Assumptions of this projection (each printed in the report).
TECH = "n5"
SAMPLE_NEURONS = 64          # neurons of the sample matrix the fabric is sized on
SLACK = 1.25                 # region_slack: capacity per value = fullest region of the sample x slack
SCALE_SPAN = 4               # MXFP4 block exponents one neuron may span
RETICLE_MM2 = 858.0          # 26 mm x 33 mm
HN_SHARE_OF_DIE = 0.7        # share of a die that HN arrays may fill (the rest: SRAM, VEX, I/O)
CLOCK_MHZ = 1000.0           # bit-serial HN clock; 8 cycles per int8 GEMV


def matrix_cost(n: int, m: int, fmt: str) -> dict:
    """Area (um^2) and energy per GEMV (pJ) of one ``(n, m)`` HN array at `TECH`, from a sample fabric."""
    raw = {"kind": "hardwired", "architecture": "hn", "weights": fmt, "workload": {"n": n, "m": SAMPLE_NEURONS},
           "region_slack": SLACK, "seed": 1}
    if fmt == "mxfp4":
        raw["scale_span"] = SCALE_SPAN
    c = parse_hardwired(raw)
    fabric = fabric_of(c, load_weights(c))
    levels, width = hn_stage(fabric)
    per_neuron = price({k: v / SAMPLE_NEURONS for k, v in hn_features(fabric, 0).items()}, [levels], [width],
                       fabric.initiation_interval, n, 1, TECH, CLOCK_MHZ, coefficients=HN_OSU018)
    inputs = price({"reg_bits": n * c.act.width}, [1], [1], fabric.initiation_interval, n, m, TECH, CLOCK_MHZ,
                   coefficients=HN_OSU018)
    return {"area_um2": per_neuron["area_um2"] * m + inputs["area_um2"],
            "energy_pj": per_neuron["energy_pj_per_gemv"] * m + inputs["energy_pj_per_gemv"],
            "capacities": fabric.capacities, "magnitudes": fabric.magnitudes,
            "crit_ns": per_neuron["critical_path_ns"]}


def project() -> tuple[list[dict], dict]:
    rows, total = [], {"weights": 0.0, "active": 0.0, "area_mm2": 0.0, "energy_uj": 0.0, "crit_ns": 0.0}
    for name, n, m, count, active, fmt in MATRICES:
        cost = matrix_cost(n, m, fmt)
        weights = n * m * count
        rows.append({"matrix": name, "shape": f"{n}x{m}", "fmt": fmt, "count": count, "weights": weights,
                     "area_mm2": cost["area_um2"] * count * 1e-6, "um2_per_weight": cost["area_um2"] / (n * m),
                     "pj_per_active_weight": cost["energy_pj"] / (n * m),
                     "energy_uj_per_token": cost["energy_pj"] * count * active * 1e-6,
                     "capacities": cost["capacities"]})
        total["weights"] += weights
        total["active"] += weights * active
        total["area_mm2"] += rows[-1]["area_mm2"]
        total["energy_uj"] += rows[-1]["energy_uj_per_token"]
        total["crit_ns"] = max(total["crit_ns"], cost["crit_ns"])
    total["dies"] = math.ceil(total["area_mm2"] / (RETICLE_MM2 * HN_SHARE_OF_DIE))
    return rows, total


def choices() -> list[str]:
    """Table rows: `choose_architecture` at `TECH` on a 16-neuron sample of each matrix kind (full N)."""
    out = []
    for name, n, _, _, _, fmt in (MATRICES[0], MATRICES[2]):
        raw = {"kind": "hardwired", "weights": fmt, "workload": {"n": n, "m": 16}, "seed": 2}
        if fmt == "mxfp4":
            raw["scale_span"] = SCALE_SPAN
        c = choose_architecture(parse_hardwired(raw), TECH)
        out.append(f"| {name} ({fmt}, N = {n}) | {c['adder_graph_area_um2'] / (16 * n):.3f} | "
                   f"{c['hn_area_um2'] / (16 * n):.3f} | {c['choice']} | {c['reason']} |")
    return out


def section(rows: list[dict], total: dict) -> str:
    h = HNLPU
    nre_me = h["base_masks_musd"] + h["wiring_masks_musd_per_chip"] * total["dies"]
    nre_full = 30.0 * total["dies"]
    lines = [BEGIN, "", "## gpt-oss-120B as Hardwired-Neuron arrays at 5 nm (MXFP4 experts)", "",
             "Generated by `benchmarks/hn_model.py` (`architecture: hn`, bit-serial int8 activations, LSB first). "
             "Per matrix, a 64-neuron sample of seeded Gaussian weights quantized as released checkpoints are "
             f"(OCP MXFP4 blocks of 32 for experts, FP4 elsewhere) sizes the fabric: per value, its fullest region "
             f"times {SLACK} (`region_slack`); the HN cost model (`costmodel.hardwired.estimate_hn`, osu018 "
             f"coefficients {HN_OSU018}) is scaled to the `{TECH}` table (osu018 x TSMC's published N7->N5 "
             "factors). Every assumption:", "",
             f"- shape from gpt-oss-120b's config: {LAYERS} layers, hidden {HIDDEN}, {EXPERTS} experts top-{TOP_K}, "
             f"expert FFN {FFN}, {Q // 64} q / {KV // 64} kv heads x 64, vocabulary {VOCAB:,}; the embedding table "
             "is a lookup (not hardwired); attention (QK, softmax, AV), norms and the KV cache are not priced;",
             f"- experts MXFP4 (`scale_span: {SCALE_SPAN}`); the other matrices hardwired as FP4, as HNLPU hardwires "
             "the whole model in FP4 (gpt-oss ships them in BF16);",
             f"- one token per {8} cycles per array at {CLOCK_MHZ:g} MHz (not checked against the model's critical "
             f"path of {total['crit_ns']:.2f} ns at {TECH}); energy = cell switching of the routed experts "
             f"({TOP_K}/{EXPERTS}) and every dense matrix from the tech table's per-bit energies (at osu018 the "
             "model is 1.4-1.6x above OpenSTA's default-activity power of synthesized HN arrays, BENCHMARKS.md), "
             "leakage not counted; the energy of the metal-embedding wires themselves (each input bit fans out "
             "to every neuron of its matrix over upper-metal routes) is not modelled and is likely most of "
             "HNLPU's ~1 pJ per weight;",
             f"- dies: HN area / ({RETICLE_MM2:g} mm^2 reticle x {HN_SHARE_OF_DIE:g} of a die for HN arrays); "
             f"mask NRE from HNLPU's own split: ${h['base_masks_musd']}M shared base set (60 layers) + "
             f"${h['wiring_masks_musd_per_chip']}M of metal-embedding layers (M8-M11) per die, against $30M per "
             "full mask set per die without Metal-Embedding.", "",
             "| matrix | N x M | format | instances | weights | um^2/weight | pJ/active weight | area (mm^2) | "
             "uJ/token | slots per value region (+- each) |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r['matrix']} | {r['shape']} | {r['fmt']} | {r['count']:,} | {r['weights'] / 1e9:.2f} G | "
                     f"{r['um2_per_weight']:.3f} | {r['pj_per_active_weight']:.4f} | {r['area_mm2']:,.0f} | "
                     f"{r['energy_uj_per_token']:.1f} | {', '.join(map(str, r['capacities']))} |")
    tokens_per_j = 1e6 / total["energy_uj"]
    um2_w = total["area_mm2"] * 1e6 / total["weights"]
    pj_w = total["energy_uj"] * 1e6 / total["active"]
    lines += ["", "| | this projection (HN arrays only) | HNLPU (published, whole system) |", "|---|---|---|",
              f"| weights hardwired | {total['weights'] / 1e9:.1f} G | 116.8 G (gpt-oss 120B) |",
              f"| area per weight | {um2_w:.3f} um^2 | ~{h['um2_per_weight']} um^2 |",
              f"| energy per active weight | {pj_w:.3f} pJ | ~{h['pj_per_weight']} pJ |",
              f"| HN area | {total['area_mm2']:,.0f} mm^2 | {h['total_mm2']:,} mm^2 total die area |",
              f"| dies | {total['dies']} | {h['chips']} x {h['chip_mm2']} mm^2 |",
              f"| array energy per token | {total['energy_uj']:.0f} uJ ({tokens_per_j:,.0f} tokens/J, arrays only) | "
              f"{h['tokens_per_j']} tokens/J (system) |",
              f"| mask NRE | ${nre_me:.1f}M with Metal-Embedding vs ${nre_full:.0f}M without | "
              f"${h['nre_musd'][0]}M-{h['nre_musd'][1]}M (initial tapeout) |", "",
              "Per matrix, `costmodel.hardwired.choose_architecture` prices both architectures on the same "
              f"weights ({TECH}, 16-neuron samples; adder graph parallel, HN bit-serial):", "",
              "| matrix | adder graph um^2/weight | HN um^2/weight | choice | why |", "|---|---|---|---|---|",
              *choices(), "",
              "Read with care: our per-weight area is standard-cell popcount trees and ripple adders priced from "
              "osu018 synthesis and scaled by published node factors; HNLPU's comes from post-layout 5 nm custom "
              "placement with metal-layer wiring over a prefabricated array (carry-save popcount cells, no "
              "ripple adders). These numbers cannot separate how much of the gap is cells and layout and how much "
              "is architecture; the die count and NRE follow from the area and inherit its uncertainty.", "", END]
    return "\n".join(lines)


def main() -> None:
    rows, total = project()
    text = section(rows, total)
    path = ROOT / "reports" / "hardwired.md"
    old = path.read_text()
    if BEGIN in old and END in old:
        new = old[: old.index(BEGIN)] + text + old[old.index(END) + len(END):]
    else:
        new = old.rstrip("\n") + "\n\n" + text + "\n"
    path.write_text(new)
    print(text)


if __name__ == "__main__":
    main()
