"""hwgen adder graphs (neighbour and all-pairs sharing) vs da4ml 0.6 on the same seeded matrices.

Adders (including hwgen's output negations; da4ml's add/sub ops), adder depth, run time, and
osu018 area of two small ones (combinational logic only: hwgen's input/output flops subtracted,
da4ml's single-stage netlist with its own shift_adder / negative cells). int8 inputs.
da4ml is a benchmark-only dependency (`pip install da4ml==0.6.0`).

    HWGEN_CACHE_DIR=/work/cache PYTHONPATH=. nice python -m benchmarks.cse_vs_da4ml [--sizes 32 64 128]
"""

from __future__ import annotations

import argparse
import re
import tempfile
import time
from pathlib import Path

import numpy as np
from da4ml.cmvm import solve
from da4ml.codegen.rtl.verilog.comb import comb_logic_gen

import costmodel.synth as synth
from hwgen.hardwired import parse_hardwired
from hwgen.hardwired.config import generate_weights
from hwgen.hardwired.graph import build_graph
from hwgen.hardwired.rtl import generate_verilog

DA4ML_SOURCES = Path(comb_logic_gen.__code__.co_filename).parent / "source"
POSITIONS = {"ternary": 1, "int4": 4}
SYNTH = [("ternary", 32), ("int4", 32)]


def hwgen_run(w: np.ndarray, fmt: str, cse: str) -> dict:
    start = time.perf_counter()
    g = build_graph(w, POSITIONS[fmt], -128, 127, cse=cse)
    seconds = time.perf_counter() - start
    a = np.random.default_rng(0).integers(-128, 128, (8, w.shape[0]))
    assert np.array_equal(g.evaluate(a), a @ w.astype(np.int64))
    return {"adders": g.n_adders + g.negations, "depth": g.n_levels, "seconds": seconds}


def _depth(ops) -> int:
    depth = [0] * len(ops)
    for i, op in enumerate(ops):
        if op.opcode in (0, 1):
            depth[i] = 1 + max(depth[op.id0], depth[op.id1])
        elif op.opcode >= 0 or op.opcode < -1:
            depth[i] = depth[op.id0] if op.id0 >= 0 else 0
    return max(depth)


def da4ml_run(w: np.ndarray) -> tuple[dict, object]:
    start = time.perf_counter()
    pipe = solve(w.astype(np.float32), qintervals=[(-128.0, 127.0, 1.0)] * w.shape[0])
    seconds = time.perf_counter() - start
    ops = [op for s in pipe.solutions for op in s.ops]
    return {"adders": sum(op.opcode in (0, 1) for op in ops),
            "depth": sum(_depth(s.ops) for s in pipe.solutions), "seconds": seconds}, pipe


def _flop_area(result, liberty: Path) -> float:
    text = liberty.read_text()
    total = 0.0
    for cell, count in result.cells_by_type.items():
        if cell.startswith("DFF"):
            area = re.search(rf"cell\s*\(\s*{cell}\s*\)\s*{{[^}}]*?area\s*:\s*([\d.]+)", text, re.S)
            total += count * float(area.group(1))
    return total


def synth_areas(fmt: str, n: int) -> dict:
    out = {}
    w = generate_weights(fmt, n, n, 0)
    liberty = synth.default_liberty()
    for cse in ("neighbours", "all-pairs"):
        c = parse_hardwired({"kind": "hardwired", "weights": fmt, "workload": {"n": n, "m": n}, "cse": cse})
        text, _, _ = generate_verilog(c)
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "hw.v"
            path.write_text(text)
            r = synth.synthesize([path], c.top)
        out[cse] = (r.area_um2 - _flop_area(r, liberty), r.critical_path_ns)
    _, pipe = da4ml_run(w)
    first, second = pipe.solutions
    assert all(op.opcode == -1 for op in second.ops[: n]), "da4ml's second stage must be a pass-through"
    with tempfile.TemporaryDirectory() as tmp:
        files = [Path(tmp) / "da.v"]
        files[0].write_text(comb_logic_gen(first, "da_top"))
        files += [DA4ML_SOURCES / f for f in ("shift_adder.v", "negative.v")]
        r = synth.synthesize(files, "da_top")
    out["da4ml"] = (r.area_um2, r.critical_path_ns)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[32, 64, 128, 256])
    parser.add_argument("--da4ml-max", type=int, default=128, help="largest size da4ml is run on")
    parser.add_argument("--all-pairs-max", type=int, default=128, help="largest size all-pairs CSE is run on")
    args = parser.parse_args()
    print("| matrix | hwgen neighbours: adders / depth / s | hwgen all-pairs: adders / depth / s | "
          "da4ml 0.6: adders / depth / s | all-pairs vs da4ml adders | speed-up vs da4ml (neighbours / all-pairs) |")
    print("|---|---|---|---|---|---|")
    for fmt in ("ternary", "int4"):
        for n in args.sizes:
            w = generate_weights(fmt, n, n, 0)
            nb = hwgen_run(w, fmt, "neighbours")
            ap = hwgen_run(w, fmt, "all-pairs") if n <= args.all_pairs_max else None
            da = da4ml_run(w)[0] if n <= args.da4ml_max else None

            def cell(r):
                return "not run" if r is None else f"{r['adders']:,} / {r['depth']} / {r['seconds']:.3f}"

            ratio = f"{ap['adders'] / da['adders'] - 1:+.1%}" if ap and da else "-"
            speed = (f"{da['seconds'] / nb['seconds']:,.0f}x / "
                     f"{da['seconds'] / ap['seconds']:,.1f}x" if da and ap else "-")
            print(f"| {fmt} {n}x{n} | {cell(nb)} | {cell(ap)} | {cell(da)} | {ratio} | {speed} |", flush=True)
    print("\n| matrix | hwgen neighbours: um^2 / ns | hwgen all-pairs: um^2 / ns | da4ml: um^2 / ns |")
    print("|---|---|---|---|")
    for fmt, n in SYNTH:
        a = synth_areas(fmt, n)
        print(f"| {fmt} {n}x{n} | " + " | ".join(f"{a[k][0]:,.0f} / {a[k][1]:.2f}"
                                                  for k in ("neighbours", "all-pairs", "da4ml")) + " |", flush=True)


if __name__ == "__main__":
    main()
