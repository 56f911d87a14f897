"""Synthesis runs of small hardwired layers: calibrate and validate `costmodel.hardwired`.

Used by bench_hardwired.py; run alone to print the fit (``python -m benchmarks.hardwired_synth``).
"""

from __future__ import annotations

import numpy as np

from costmodel.hardwired import HW_OSU018, calibrate, estimate_hardwired, features
from costmodel.runs import synth_verilog
from hwgen.hardwired import parse_hardwired
from hwgen.hardwired.rtl import generate_verilog

#: (name, raw design) fitted on / held out.
CALIBRATION = [
    ("t16x8", {"workload": {"n": 16, "m": 8}}),
    ("t32x16p1", {"workload": {"n": 32, "m": 16}, "pipeline": 1}),
    ("t64x16p2", {"workload": {"n": 64, "m": 16}, "pipeline": 2, "seed": 1}),
    ("i4_16x8", {"workload": {"n": 16, "m": 8}, "weights": "int4", "activation": "int4"}),
    ("i8_8x4p1", {"workload": {"n": 8, "m": 4}, "weights": "int8", "pipeline": 1}),
    ("bs_i4_32x8", {"workload": {"n": 32, "m": 8}, "weights": "int4", "bit_serial": True}),
]
VALIDATION = [
    ("t48x12p2", {"workload": {"n": 48, "m": 12}, "pipeline": 2, "seed": 7}),
    ("t96x8", {"workload": {"n": 96, "m": 8}, "activation": "int4", "seed": 3}),
    ("t24x24_noshare", {"workload": {"n": 24, "m": 24}, "sharing": False, "seed": 4}),
    ("i2_32x12p1", {"workload": {"n": 32, "m": 12}, "weights": "int2", "pipeline": 1}),
    ("i4_24x12p2", {"workload": {"n": 24, "m": 12}, "weights": "int4", "pipeline": 2, "seed": 5}),
    ("i8_12x6", {"workload": {"n": 12, "m": 6}, "weights": "int8", "activation": "int4", "seed": 6}),
    ("bs_t64x16p1", {"workload": {"n": 64, "m": 16}, "bit_serial": True, "pipeline": 1, "seed": 8}),
]

#: All-pairs arrays (`cse: all-pairs`, adders kept whole in synthesis), priced with their own adder
#: coefficient (`HW_ALL_PAIRS_OSU018`) fitted on the first list, the rest held out. Seeds 21-35
#: were drawn for these lists before any of them was synthesized.
ALL_PAIRS_CALIBRATION = [
    ("ap_t32x32", {"workload": {"n": 32, "m": 32}, "cse": "all-pairs", "seed": 21}),
    ("ap_i4_32x16p1", {"workload": {"n": 32, "m": 16}, "weights": "int4", "pipeline": 1, "cse": "all-pairs",
                       "seed": 22}),
    ("ap_t64x16", {"workload": {"n": 64, "m": 16}, "cse": "all-pairs", "seed": 23}),
    ("ap_i2_24x24", {"workload": {"n": 24, "m": 24}, "weights": "int2", "cse": "all-pairs", "seed": 24}),
]
ALL_PAIRS_VALIDATION = [
    ("ap_t48x24p1", {"workload": {"n": 48, "m": 24}, "pipeline": 1, "cse": "all-pairs", "seed": 31}),
    ("ap_i4_24x24", {"workload": {"n": 24, "m": 24}, "weights": "int4", "cse": "all-pairs", "seed": 32}),
    ("ap_t96x12_a4", {"workload": {"n": 96, "m": 12}, "activation": "int4", "cse": "all-pairs", "seed": 33}),
    ("ap_bs_i4_32x8", {"workload": {"n": 32, "m": 8}, "weights": "int4", "bit_serial": True, "cse": "all-pairs",
                       "seed": 34}),
    ("ap_i8_12x8", {"workload": {"n": 12, "m": 8}, "weights": "int8", "cse": "all-pairs", "seed": 35}),
]


def run(designs) -> list[dict]:
    rows = []
    for name, raw in designs:
        c = parse_hardwired({"kind": "hardwired", **raw})
        verilog, _, stats = generate_verilog(c)
        r, _ = synth_verilog(verilog, c.top)
        est = estimate_hardwired(c)
        rows.append({"name": name, "weights": c.workload.n * c.workload.m, "fmt": c.weights,
                     "features": features(stats), "area_um2": r.area_um2, "est_area_um2": est["area_um2"],
                     "fmax_mhz": r.fmax_mhz, "est_fmax_mhz": est["fmax_mhz"], "power_mw": r.power_mw,
                     "stage_levels": stats["stage_levels"], "stage_max_width": stats["stage_max_width"],
                     "output_width": stats["output_width"], "cells": r.cells})
    return rows


def mape(rows, key="est_area_um2") -> float:
    return float(np.mean([abs(r[key] - r["area_um2"]) / r["area_um2"] for r in rows]))


if __name__ == "__main__":
    cal = run(CALIBRATION)
    print("fit:", calibrate([(r["features"], r["area_um2"]) for r in cal]), "current:", HW_OSU018)
    val = run(VALIDATION)
    for r in cal + val:
        print(r["name"], round(r["area_um2"]), round(r["est_area_um2"]), r["fmax_mhz"], r["est_fmax_mhz"],
              r["stage_levels"], r["stage_max_width"], r["features"])
    print("MAPE cal", mape(cal), "val", mape(val))
