"""hwgen adder graphs (neighbour and all-pairs sharing) vs da4ml 0.6 on the same seeded matrices.

Adders (including hwgen's output negations; da4ml's add/sub ops), adder depth, run time (wall
clock and CPU time of the process: da4ml's solver runs on several threads, hwgen's on one),
and osu018 area of two small ones (combinational logic only: hwgen's input/output flops
subtracted; da4ml's two-stage pipeline traced into one combinational netlist, `da4ml_comb`, with
its own shift_adder / negative cells), on seed 0 and on the fresh seeds `FRESH_SEEDS`; hwgen's
all-pairs netlist keeps each adder whole through synthesis, so da4ml's is also synthesized with
its ``shift_adder`` kept whole (like for like), and hwgen's also flattened (what keeping costs or
saves). int8
inputs. da4ml is a benchmark-only dependency (`pip install da4ml==0.6.0`). hwgen's all-pairs
kernel is C compiled on first use: that one-time cost is measured on its own, in fresh processes.

da4ml 0.6's ``shift_adder`` leaves the top bits of ``out`` undriven when ``BW_OUT`` exceeds its
adder width (``accum[BW_OUT-1:0]`` reads past ``accum``); synthesis then treats them as
don't-cares and drops the logic behind them, so its netlist neither computes ``A @ W`` nor has
a fair area. The benchmark synthesizes it with the adder widened to ``BW_OUT`` (sign-extended
operands, the intended value) and first checks the netlist with Icarus against ``A @ W``.

    HWGEN_CACHE_DIR=/work/cache PYTHONPATH=. nice python -m benchmarks.cse_vs_da4ml [--sizes 32 64 128 256]
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from da4ml.cmvm import solve
from da4ml.codegen.rtl.verilog.comb import comb_logic_gen
from da4ml.trace import FixedVariableArrayInput, comb_trace

import costmodel.synth as synth
from hwgen.errors import ToolError
from hwgen.hardwired import parse_hardwired
from hwgen.hardwired.config import generate_weights
from hwgen.hardwired.graph import build_graph
from hwgen.hardwired.rtl import generate_verilog

DA4ML_SOURCES = Path(comb_logic_gen.__code__.co_filename).parent / "source"
POSITIONS = {"ternary": 1, "int4": 4}
SYNTH = [("ternary", 32), ("int4", 32)]
#: Matrix seeds of the fresh-seed area table (seed 0 is the table above it), fixed before any of
#: them was synthesized: the comparison is over these, not over seeds picked from results.
FRESH_SEEDS = (1, 2, 3, 4)
#: What marks a module to be kept whole through synthesis: hwgen's all-pairs adder module carries
#: it; the benchmark also synthesizes the all-pairs netlist without it (flattened) and da4ml's
#: netlist with it on ``shift_adder`` (each adder kept whole, like for like).
KEEP = "(* keep_hierarchy *)\n"
#: Each synthesis stops after this long (the netlists that finish take under a minute); a stopped
#: one is reported as not finished and left out of the averages.
SYNTH_LIMIT_S = 240


#: Repeat a run (at least three times) until this much wall time is spent, and keep the fastest:
#: the same for both tools, so a sub-millisecond run is not one noisy sample.
REPEAT_SECONDS = 0.5


def _timed(fn):
    """``(result, wall seconds, CPU seconds)`` of the fastest run: at least three runs or
    `REPEAT_SECONDS` of them, whichever is more (one run when it takes a second or more)."""
    best, out, spent, runs = (float("inf"), 0.0), None, 0.0, 0
    while runs < 3 or spent < REPEAT_SECONDS:
        start, cpu = time.perf_counter(), time.process_time()
        out = fn()
        wall = time.perf_counter() - start
        best, spent, runs = min(best, (wall, time.process_time() - cpu)), spent + wall, runs + 1
        if best[0] >= 1.0:
            break
    return out, *best


def hwgen_run(w: np.ndarray, fmt: str, cse: str) -> dict:
    g, seconds, cpu = _timed(lambda: build_graph(w, POSITIONS[fmt], -128, 127, cse=cse))
    a = np.random.default_rng(0).integers(-128, 128, (8, w.shape[0]))
    assert np.array_equal(g.evaluate(a), a @ w.astype(np.int64))
    return {"adders": g.n_adders + g.negations, "depth": g.n_levels, "seconds": seconds, "cpu": cpu}


_FIRST_CALL = ("import time; start = time.perf_counter(); from hwgen.hardwired import cse; cse._kernel(); "
               "print(time.perf_counter() - start)")


_PEAK = ("import sys; from hwgen.hardwired.config import generate_weights; from hwgen.hardwired.graph import build_graph; "
         "fmt, n, build = sys.argv[1], int(sys.argv[2]), sys.argv[3] == '1'; w = generate_weights(fmt, n, n, 0); "
         "build and build_graph(w, {'ternary': 1, 'int4': 4}[fmt], -128, 127, cse='all-pairs')")


def peak_mb(fmt: str, n: int, build: bool) -> float:
    """Peak resident memory (MB) of a fresh process that makes the matrix and, if ``build``,
    its all-pairs graph (the largest child so far: measure the smaller one first)."""
    subprocess.run([sys.executable, "-c", _PEAK, fmt, str(n), "1" if build else "0"], check=True)
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


def first_call_seconds() -> tuple[float, float]:
    """Seconds to get the all-pairs kernel in a fresh process: compiling it into an empty cache,
    then loading the compiled one (each after hwgen's own imports)."""
    with tempfile.TemporaryDirectory() as cache:
        env = {**os.environ, "HWGEN_CACHE_DIR": cache}
        run = (lambda: float(subprocess.run([sys.executable, "-c", _FIRST_CALL], env=env, check=True,
                                            capture_output=True, text=True).stdout))
        return run(), run()


def _depth(ops) -> int:
    depth = [0] * len(ops)
    for i, op in enumerate(ops):
        if op.opcode in (0, 1):
            depth[i] = 1 + max(depth[op.id0], depth[op.id1])
        elif op.opcode >= 0 or op.opcode < -1:
            depth[i] = depth[op.id0] if op.id0 >= 0 else 0
    return max(depth)


def da4ml_run(w: np.ndarray) -> tuple[dict, object]:
    pipe, seconds, cpu = _timed(lambda: solve(w.astype(np.float32), qintervals=[(-128.0, 127.0, 1.0)] * w.shape[0]))
    ops = [op for s in pipe.solutions for op in s.ops]
    return {"adders": sum(op.opcode in (0, 1) for op in ops),
            "depth": sum(_depth(s.ops) for s in pipe.solutions), "seconds": seconds, "cpu": cpu}, pipe


def _flop_area(result, liberty: Path) -> float:
    text = liberty.read_text()
    total = 0.0
    for cell, count in result.cells_by_type.items():
        if cell.startswith("DFF"):
            area = re.search(rf"cell\s*\(\s*{cell}\s*\)\s*{{[^}}]*?area\s*:\s*([\d.]+)", text, re.S)
            total += count * float(area.group(1))
    return total


_BW_ADD = ("localparam BW_ADD = (IN0_NEED_BITS > IN1_NEED_BITS) ? IN0_NEED_BITS + EXTRA_PAD + 1 : "
           "IN1_NEED_BITS + EXTRA_PAD + 1;")


def da4ml_comb(pipe, n: int):
    """da4ml's `Pipeline` for int8 inputs as one `CombLogic`, by da4ml's own tracer.

    ``solve`` returns two stages: it searches decompositions ``W = M0 @ M1`` and the second
    stage is ``M1``, often a pass-through (reordered or not) but on some matrices with adders
    of its own, and the first stage's outputs can carry shifts (``out_shifts``) that its Verilog
    does not apply, so the stages' netlists cannot simply be chained. Tracing the pipeline on
    symbolic int8 inputs (`comb_trace`, how da4ml turns a traced model into RTL) inlines both
    stages with the shifts resolved: the same adders, plus a full-width copy of each input (its
    int8 quantization), which `da4ml_netlist` folds away."""
    inp = FixedVariableArrayInput(n)
    comb = comb_trace(inp, pipe(inp.quantize(1, 7, 0)._vars))
    assert sum(op.opcode in (0, 1) for op in comb.ops) == sum(op.opcode in (0, 1) for s in pipe.solutions
                                                              for op in s.ops), "tracing changed the adders"
    return comb


def _fold_copies(text: str) -> str:
    """``text`` without its full-width copies (``wire [W:0] vA; assign vA[W:0] = vB[W:0];``), each
    use of ``vA`` reading ``vB``: the same logic, and the same shape as da4ml's single-stage
    netlist (a run with the copies in stalled over 8 minutes in ABC on one seed-0 netlist).

    ABC's time on these flattened netlists is erratic: on int4 32x32 seeds 1 and 4 it ran over
    23 and 16 minutes, and on seed 0 once 33 s and once over 10 minutes, unfinished; so every
    synthesis here stops at `SYNTH_LIMIT_S`."""
    copy = re.compile(r"^\s*wire \[(\d+):0\] (v\d+); assign \2\[\1:0\] = (v\d+)\[\1:0\];\n", re.M)
    alias = {a: b for _, a, b in copy.findall(text)}
    assert all(b not in alias for b in alias.values())
    return re.sub(r"\b(v\d+)\[", lambda m: alias.get(m.group(1), m.group(1)) + "[", copy.sub("", text))


def da4ml_netlist(pipe, folder: Path, n: int, kept: bool = False) -> list[Path]:
    """da4ml's Verilog of the traced pipeline (`da4ml_comb`, copies folded) and its cells,
    ``shift_adder`` widened to ``BW_OUT`` (and, if ``kept``, marked `KEEP`)."""
    adder = (DA4ML_SOURCES / "shift_adder.v").read_text()
    assert _BW_ADD in adder, "da4ml's shift_adder changed: review the width patch"
    fixed = _BW_ADD.replace("localparam BW_ADD =", "localparam BW_ADD0 =") + (
        "\n  localparam BW_ADD = (BW_ADD0 > BW_OUT) ? BW_ADD0 : BW_OUT;")
    files = [folder / "da.v", folder / "shift_adder.v", folder / "negative.v"]
    files[0].write_text(_fold_copies(comb_logic_gen(da4ml_comb(pipe, n), "da_top")))
    adder = adder.replace(_BW_ADD, fixed)
    files[1].write_text(adder.replace("module shift_adder", KEEP + "module shift_adder") if kept else adder)
    files[2].write_text((DA4ML_SOURCES / "negative.v").read_text())
    return files


def check_da4ml(files: list[Path], w: np.ndarray) -> None:
    """Simulate the netlist (Icarus) on seeded int8 vectors; raise unless it computes ``A @ W``."""
    n = w.shape[0]
    slices = [(int(h), int(lo)) for h, lo in re.findall(r"assign model_out\[(\d+):(\d+)\]", files[0].read_text())]
    assert len(slices) == w.shape[1]
    a = np.random.default_rng(1).integers(-128, 128, (16, n))
    a[0], a[1] = -128, 127
    vec = ["".join(f"{int(v) & 0xFF:02x}" for v in row[::-1]) for row in a]
    tb = files[0].parent / "tb.v"
    tb.write_text("module tb;\n  reg [%d:0] x;\n  wire [%d:0] y;\n  da_top d(.model_inp(x), .model_out(y));\n"
                  "  initial begin\n%s  end\nendmodule\n" % (
                      8 * n - 1, slices[-1][0],
                      "".join(f"    x = {8 * n}'h{v}; #1; $display(\"%b\", y);\n" for v in vec)))
    exe = files[0].parent / "tb.vvp"
    subprocess.run(["iverilog", "-o", str(exe), str(tb), *map(str, files)], check=True)
    lines = subprocess.run(["vvp", "-n", str(exe)], check=True, capture_output=True, text=True).stdout.split()
    bits = [line for line in lines if set(line) <= set("01xz")][: len(vec)]
    got = np.zeros((len(vec), len(slices)), dtype=np.int64)
    for i, line in enumerate(bits):
        assert set(line) <= {"0", "1"}, "undriven bits in da4ml's netlist"
        for j, (hi, lo) in enumerate(slices):
            field = line[len(line) - 1 - hi: len(line) - lo]
            got[i, j] = int(field, 2) - (int(field[0]) << len(field))
    assert np.array_equal(got, a @ w.astype(np.int64)), "da4ml's netlist does not compute A @ W"


def _synthesized(files: list[Path], top: str):
    """`synth.synthesize` within `SYNTH_LIMIT_S`; None when it was stopped."""
    try:
        return synth.synthesize(files, top, timeout_s=SYNTH_LIMIT_S)
    except ToolError as err:
        if "did not finish" not in str(err):
            raise
        print(f"({top}: synthesis stopped after {SYNTH_LIMIT_S} s)", file=sys.stderr, flush=True)
        return None


def _comb_area(text: str, top: str, liberty: Path) -> tuple[float, float] | None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "hw.v"
        path.write_text(text)
        r = _synthesized([path], top)
    return None if r is None else (r.area_um2 - _flop_area(r, liberty), r.critical_path_ns)


def da4ml_area(w: np.ndarray) -> tuple[dict, list[int]]:
    """``{"da4ml": (um^2, ns), "da4ml kept": ...}`` of da4ml's netlist for ``w`` as da4ml writes
    it and with each ``shift_adder`` kept whole (None where synthesis was stopped), checked on
    Icarus first; and the adders of each of its stages."""
    _, pipe = da4ml_run(w)
    out = {}
    for key, kept in (("da4ml", False), ("da4ml kept", True)):
        with tempfile.TemporaryDirectory() as tmp:
            files = da4ml_netlist(pipe, Path(tmp), w.shape[0], kept)
            check_da4ml(files, w)
            r = _synthesized(files, "da_top")
        out[key] = None if r is None else (r.area_um2, r.critical_path_ns)
    return out, [sum(op.opcode in (0, 1) for op in s.ops) for s in pipe.solutions]


def synth_areas(fmt: str, n: int, seed: int = 0, extras: bool = True) -> dict:
    """Areas of the seeded matrix: hwgen all-pairs as emitted (adders kept whole) and da4ml both
    ways (`da4ml_area`); with ``extras``, also hwgen neighbours and the all-pairs netlist
    flattened (`KEEP` taken out)."""
    out = {}
    liberty = synth.default_liberty()
    for cse in ("neighbours", "all-pairs") if extras else ("all-pairs",):
        c = parse_hardwired({"kind": "hardwired", "weights": fmt, "workload": {"n": n, "m": n}, "cse": cse,
                             "seed": seed})
        text, _, _ = generate_verilog(c)
        out[cse] = _comb_area(text, c.top, liberty)
        if cse == "all-pairs" and extras:
            assert text.count(KEEP) == 1, "the all-pairs adder module is no longer kept whole"
            out["flattened"] = _comb_area(text.replace(KEEP, ""), c.top, liberty)
    areas, out["stages"] = da4ml_area(generate_weights(fmt, n, n, seed))
    return {**out, **areas}


def _seconds(x: float) -> str:
    """Three significant digits, never in exponent form: a 0.15 ms run is not shown as 0.0001 s."""
    return np.format_float_positional(x, precision=3, unique=False, fractional=False, trim="-")


def _cell(r: dict | None) -> str:
    return "not run" if r is None else f"{r['adders']:,} / {r['depth']} / {_seconds(r['seconds'])}"


def _area(r: tuple[float, float] | None) -> str:
    return f"not finished in {SYNTH_LIMIT_S // 60} min" if r is None else f"{r[0]:,.0f} / {r[1]:.2f}"


def _versus(r: tuple[float, float] | None, base: tuple[float, float] | None) -> str:
    return "-" if r is None or base is None else f"{r[0] / base[0] - 1:+.1%}"


def _ratio(x: float) -> str:
    return f"{x:,.0f}x" if x >= 10 else f"{x:,.1f}x"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[32, 64, 128, 256])
    parser.add_argument("--da4ml-max", type=int, default=128,
                        help="largest size da4ml is run on (256x256 ran over 35 minutes unfinished)")
    parser.add_argument("--all-pairs-max", type=int, default=256, help="largest size all-pairs CSE is run on")
    args = parser.parse_args()
    largest = ("int4", max(n for n in args.sizes if n <= args.all_pairs_max))
    bare, built = peak_mb(*largest, False), peak_mb(*largest, True)  # the bare one first: a maximum only grows
    compile_s, load_s = first_call_seconds()
    print("| matrix | hwgen neighbours: adders / depth / s | hwgen all-pairs: adders / depth / s (CPU s) | "
          "da4ml 0.6: adders / depth / s (CPU s) | all-pairs vs da4ml adders | "
          "all-pairs speed-up over da4ml: wall / CPU | neighbours speed-up (wall) |")
    print("|---|---|---|---|---|---|---|")
    ratios, walls, cpus = [], [], []
    for fmt in ("ternary", "int4"):
        for n in args.sizes:
            w = generate_weights(fmt, n, n, 0)
            nb = hwgen_run(w, fmt, "neighbours")
            ap = hwgen_run(w, fmt, "all-pairs") if n <= args.all_pairs_max else None
            da = da4ml_run(w)[0] if n <= args.da4ml_max else None
            ratio = speed = nb_speed = "-"
            if ap and da:
                ratios.append(ap["adders"] / da["adders"] - 1)
                walls.append(da["seconds"] / ap["seconds"])
                cpus.append(da["cpu"] / ap["cpu"])
                ratio = f"{ratios[-1]:+.1%}"
                speed = f"{_ratio(walls[-1])} / {_ratio(cpus[-1])}"
                nb_speed = _ratio(da["seconds"] / nb["seconds"])
            ap_cell = _cell(ap) + (f" ({_seconds(ap['cpu'])})" if ap else "")
            da_cell = _cell(da) + (f" ({_seconds(da['cpu'])})" if da else "")
            print(f"| {fmt} {n}x{n} | {_cell(nb)} | {ap_cell} | {da_cell} | {ratio} | {speed} | {nb_speed} |",
                  flush=True)
    if ratios:
        mean = (lambda xs: np.exp(np.mean(np.log(xs))))
        hit = sum(x >= 100 for x in walls)
        print(f"\nhwgen all-pairs vs da4ml 0.6 over the {len(ratios)} matrices both ran: adders "
              f"{np.mean(ratios):+.1%} on average, worst {max(ratios):+.1%}; speed-up by wall clock "
              f"{_ratio(mean(walls))} (geometric mean), worst {_ratio(min(walls))}, at least 100x on {hit} of "
              f"{len(walls)}; by CPU time {_ratio(mean(cpus))}, worst {_ratio(min(cpus))}. Times: the fastest of "
              f"at least three runs (of {REPEAT_SECONDS} s of runs for short ones; one run when it takes a "
              "second or more), both tools in this one process. The all-pairs "
              f"kernel's one-time costs, in fresh processes: compiling it {compile_s:.2f} s (first use on a "
              f"machine), loading the compiled one {load_s:.2f} s (later processes; both include hwgen's imports). "
              f"Peak memory of a fresh process building the all-pairs graph of {largest[0]} {largest[1]}x{largest[1]}: "
              f"{built:,.0f} MB ({bare:,.0f} MB for the same process stopping before the build).")
    print("\nCombinational area and critical path (osu018). hwgen all-pairs as emitted keeps each adder whole "
          "through synthesis (`keep_hierarchy`); da4ml as written flattens its `shift_adder` cells; \"kept\" is "
          "da4ml's netlist with `shift_adder` kept whole, like for like; \"flattened\" is hwgen's all-pairs "
          "netlist without `keep_hierarchy`.\n")
    print("| matrix | hwgen neighbours: um^2 / ns | hwgen all-pairs: um^2 / ns | all-pairs flattened | "
          "da4ml as written: um^2 / ns | da4ml kept | all-pairs vs da4ml as written | all-pairs vs da4ml kept |")
    print("|---|---|---|---|---|---|---|---|")
    for fmt, n in SYNTH:
        a = synth_areas(fmt, n)
        print(f"| {fmt} {n}x{n} | "
              + " | ".join(_area(a[k]) for k in ("neighbours", "all-pairs", "flattened", "da4ml", "da4ml kept"))
              + f" | {_versus(a['all-pairs'], a['da4ml'])} | {_versus(a['all-pairs'], a['da4ml kept'])} |", flush=True)
    print(f"\nFresh seeds {', '.join(map(str, FRESH_SEEDS))} (fixed in the benchmark before any was synthesized), "
          "the same flow and columns.\n")
    print("| matrix | seed | adders: hwgen all-pairs / da4ml (stage 1 + stage 2) | hwgen all-pairs: um^2 / ns | "
          "da4ml as written: um^2 / ns | da4ml kept | all-pairs vs da4ml as written | all-pairs vs da4ml kept |")
    print("|---|---|---|---|---|---|---|---|")
    summary = []
    for fmt, n in SYNTH:
        diffs = {"da4ml": [], "da4ml kept": []}
        for seed in FRESH_SEEDS:
            a = synth_areas(fmt, n, seed, extras=False)
            g = build_graph(generate_weights(fmt, n, n, seed), POSITIONS[fmt], -128, 127, cse="all-pairs")
            adders = f"{g.n_adders + g.negations} / {sum(a['stages'])} ({' + '.join(map(str, a['stages']))})"
            for key, found in diffs.items():
                if a["all-pairs"] and a[key]:
                    found.append(a["all-pairs"][0] / a[key][0] - 1)
            print(f"| {fmt} {n}x{n} | {seed} | {adders} | "
                  + " | ".join(_area(a[k]) for k in ("all-pairs", "da4ml", "da4ml kept"))
                  + f" | {_versus(a['all-pairs'], a['da4ml'])} | {_versus(a['all-pairs'], a['da4ml kept'])} |",
                  flush=True)
        for key, found in diffs.items():
            summary.append(f"{fmt} {n}x{n} vs {key} ({len(found)} of {len(FRESH_SEEDS)} seeds finished): "
                           + (f"{np.mean(found):+.1%} on average, worst {max(found):+.1%}" if found else "none"))
    print(f"\nhwgen all-pairs area vs da4ml on the fresh seeds (worst: the largest, least in hwgen's favour; "
          f"a synthesis stopped after {SYNTH_LIMIT_S // 60} minutes counts as not finished): "
          + "; ".join(summary) + ".")


if __name__ == "__main__":
    main()
