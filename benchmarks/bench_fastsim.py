"""Simulation speed for BENCHMARKS.md: the fast Verilator harness against cocotb, on real sizes.

Run (late, alone, niced; Verilator builds of large cores take minutes):
``nice .venv/bin/python benchmarks/bench_fastsim.py [--opt O0,O1,O2] [--skip-hardwired]``

Measures, on one machine in one run:
1. ``designs/lut_default.yaml`` (2560 x 2560, mu=4 L=8 K=16): beats/s of the cocotb
   testbench and of the fast harness on the same stimulus (loop time, build excluded),
   both exact against the reference model, with identical cycle counts;
2. with ``--opt``, the fast harness's build and run time at each C++ optimisation level
   on the 2560 x 6912 run, to choose `sim.fastsim.DEFAULT_OPT`, each built three ways: from the
   Verilog as emitted for any CPU (the build before `sim.select_tables`), with the selects as
   tables, and with them for the host CPU (`sim.fastsim.NATIVE`, the default);
3. ``hwgen simulate`` (`api.simulate`) wall times after the build: a 2560 x 6912 ternary
   GEMV on the mu=4 L=8 K=16 core, the fp16 float core of designs/fp16_lut_example.yaml,
   and a hardwired 512 x 512 ternary array;
4. with ``--icarus``, the mu=5 L=3 K=5 int8 core on a 301 x 37 GEMV with 3 activation rows
   on Icarus (cocotb), build included, against the Verilog before the alias fix (``--icarus-old``
   also runs that one: it took over 10 minutes);
5. with ``--base DIR``, ``hwgen simulate`` of that checkout (e.g. the cocotb-only code before
   this work) on the same 1-row 2560 x 2560 data: wall and simulator CPU seconds of a cached run;
6. with ``--alias-check``, osu018 synthesis of small cores with and without the layout-field
   alias wires `hwgen.emit.drop_field_aliases` removes (area and cells must not move).
Prints Markdown.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from amaranth.back import verilog

from costmodel.synth import synthesize
from hwgen import api
from hwgen.rtl.lut_core import LutCore
from sim import fastsim
from sim.fastsim import DEFAULT_OPT, NATIVE, OPT_LEVELS, build_model, run_fast
from sim.lanes import bytes_to_lanes
from sim.lut_sim import lut_job, lut_widths, simulate_lut
from sim.reference import lut_gemv
from sim.stimulus import amaranth_streams, read_outcome, write_stimulus
from sim.stream import stream_beats
from sim.streams import run_streams

ROOT = Path(__file__).resolve().parent.parent
LUT_DEFAULT = ROOT / "designs" / "lut_default.yaml"


def ternary_case(config, batch: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    w = rng.choice(np.array([-1, 0, 1], np.int8), size=(config.workload.n, config.workload.m), p=[0.3, 0.4, 0.3])
    a = rng.integers(-128, 128, (batch, config.workload.n))
    return w, a


def stream_run(config, verilog: str, w, a, harness: str, opt: str = DEFAULT_OPT, native: bool = True):
    """One streamed GEMV, checked exact; returns the harness's `Outcome`."""
    t = config.tiling
    ports = amaranth_streams(verilog, config.top)
    cmd_width = next(p.width for p in ports if p.name == "cmd")
    beats = stream_beats(lut_widths(config), [lut_job(config, w, a).beats], cmd_width)
    results = {"result": len(a) * t.col_blocks}
    if harness == "fast":  # `run_streams`' fast path, at the given C++ level and CPU
        with tempfile.TemporaryDirectory() as tmp:
            write_stimulus(Path(tmp), config.top, ports, beats, results, 0, 0.1, 0.1)
            run_fast(verilog, config.top, ports, Path(tmp), progress=False, opt=opt, native=native)
            outcome = read_outcome(Path(tmp), ports)
    else:
        outcome = run_streams(verilog, config.top, ports, beats, results, harness=harness, progress=False)
    got = bytes_to_lanes(outcome.outputs["result"], config.fetchers, config.accumulator_width)
    assert np.array_equal(got.reshape(len(a), -1)[:, : t.m], lut_gemv(config, w, a)), "not exact"
    return outcome, len(beats["keys"])


def timed(fn):
    start = time.perf_counter()
    value = fn()
    return value, time.perf_counter() - start


FAST_RUNS = 5


def cocotb_vs_fast() -> list[str]:
    config = api.load(LUT_DEFAULT)
    verilog = api.verilog(config)
    w, a = ternary_case(config, batch=1)
    _, build_s = timed(lambda: build_model(verilog, config.top, amaranth_streams(verilog, config.top)))
    runs = sorted((timed(lambda: stream_run(config, verilog, w, a, "fast")) for _ in range(FAST_RUNS)),
                  key=lambda run: run[0][0].seconds)  # its loop takes hundredths of a second: the median of a few
    (fast, beats), fast_wall = runs[FAST_RUNS // 2]
    slowest = runs[-1][0][0]
    (slow, _), slow_wall = timed(lambda: stream_run(config, verilog, w, a, "cocotb"))
    assert fast.cycles == slow.cycles and all(np.array_equal(fast.stamps[p], slow.stamps[p]) for p in fast.stamps)
    w8, a8 = ternary_case(config, batch=8, seed=1)
    (fast8, beats8), fast8_wall = timed(lambda: stream_run(config, verilog, w8, a8, "fast"))
    return [
        "Design `designs/lut_default.yaml` (mu=4, L=8, K=16, int8, 2560 x 2560), random gaps and "
        "back-pressure at 10%, both exact against the reference model; beats/s is the harness's own loop "
        "time (build, packing and the reference model excluded).",
        "",
        "| harness | activation rows | beats | cycles | loop s | beats/s | loop CPU s | beats per CPU s | wall s |",
        "|---|---|---|---|---|---|---|---|---|",
        *(f"| {name} | {rows} | {n} | {o.cycles} | {o.seconds:.3f} | {n / o.seconds:,.0f} | {o.cpu_seconds:.3f} | "
          f"{n / o.cpu_seconds:,.0f} | {wall:.1f} |"
          for name, rows, n, o, wall in [("cocotb (Verilator)", 1, beats, slow, slow_wall),
                                         ("fast C++ harness", 1, beats, fast, fast_wall),
                                         ("fast C++ harness", 8, beats8, fast8, fast8_wall)]),
        "",
        f"The fast 1-row row is the median of {FAST_RUNS} runs (the slowest: {beats / slowest.seconds:,.0f} beats/s, "
        f"{slow.seconds / slowest.seconds:,.0f}x cocotb). Fast path / cocotb on the same 1-row run: "
        f"{slow.seconds / fast.seconds:,.0f}x by wall time, {slow.cpu_seconds / fast.cpu_seconds:,.0f}x by CPU time "
        f"(cycle counts identical: {fast.cycles}). Fast-harness build (`-{DEFAULT_OPT} {NATIVE}`, selects as "
        f"tables): {build_s:.0f} s; "
        "cocotb's wall time includes its own Verilator build, the fast rows' do not.",
    ]


@contextlib.contextmanager
def emitted_selects():
    """Build the fast path from the Verilog as emitted (its selects as ``casez``, as before
    `sim.select_tables`): the baseline of the select rewrite."""
    saved, fastsim.table_selects = fastsim.table_selects, lambda text: text
    try:
        yield
    finally:
        fastsim.table_selects = saved


#: The fast path's build variants: (name, selects as tables, for the host CPU); the last is the default.
VARIANTS = [("selects as emitted, generic CPU", False, False), ("selects as tables, generic CPU", True, False),
            (f"selects as tables, `{NATIVE}`", True, True)]


def opt_levels(levels: list[str]) -> list[str]:
    config = api.load({**api.load(LUT_DEFAULT).to_dict(), "workload": {"n": 2560, "m": 6912}})
    verilog = api.verilog(config)
    w, a = ternary_case(config, batch=1)
    rows = ["| C++ level | build | build s | loop s (2560 x 6912, 34560 beats) | beats/s | beats per CPU s |",
            "|---|---|---|---|---|---|"]
    ports = amaranth_streams(verilog, config.top)
    for level in levels:
        for name, tables, native in VARIANTS:
            with contextlib.nullcontext() if tables else emitted_selects():
                _, build_s = timed(lambda: build_model(verilog, config.top, ports, level, native=native))
                outcome, beats = stream_run(config, verilog, w, a, "fast", level, native)
            rows.append(f"| -{level} | {name} | {build_s:.0f} | {outcome.seconds:.3f} | "
                        f"{beats / outcome.seconds:,.0f} | {beats / outcome.cpu_seconds:,.0f} |")
    return rows


def simulate_walls(skip_hardwired: bool) -> list[str]:
    rows = ["| `api.simulate` (= `hwgen simulate`), Verilator fast path | first call s | "
            "second call s (model and elaboration cached) | outputs, exact |", "|---|---|---|---|"]
    big = api.load({**api.load(LUT_DEFAULT).to_dict(), "workload": {"n": 2560, "m": 6912}})
    w, a = ternary_case(big, batch=1)
    cases = [("ternary 2560 x 6912, mu=4 L=8 K=16, 1 row", big, w, a[0])]
    fp16 = api.load(ROOT / "designs" / "fp16_lut_example.yaml")
    rng = np.random.default_rng(2)
    fw = rng.integers(-1, 2, (fp16.workload.n, fp16.workload.m)).astype(np.int8)
    fa = rng.standard_normal((4, fp16.workload.n)).astype(np.float16)
    cases.append((f"fp16 float LUT core {fp16.workload.n} x {fp16.workload.m} (fp16_lut_example), 4 rows", fp16, fw, fa))
    if not skip_hardwired:
        hw = api.load({"kind": "hardwired", "weights": "ternary", "activation": "int8", "seed": 3,
                       "workload": {"n": 512, "m": 512}, "pipeline": 2, "sharing": True})
        ha = np.random.default_rng(3).integers(-128, 128, (16, 512))
        cases.append(("hardwired ternary 512 x 512 (adder graph, shared), 16 rows", hw, None, ha))
    for name, config, weights, acts in cases:
        _, first = timed(lambda: api.simulate(config, weights, acts))
        y, second = timed(lambda: api.simulate(config, weights, acts))
        rows.append(f"| {name} | {first:.1f} | {second:.2f} | {np.asarray(y).size} |")
    return rows


ALIAS_CHECK_DESIGNS = [
    {"kind": "lut", "weights": "ternary", "activation": "int8", "group_size": 2, "luts": 2, "fetchers": 4,
     "pipeline": 1, "workload": {"n": 32, "m": 16}},
    {"kind": "lut", "weights": "ternary", "activation": "int4", "group_size": 5, "luts": 1, "fetchers": 2,
     "pipeline": 2, "workload": {"n": 40, "m": 8}},
]


ICARUS_DESIGN = {"kind": "lut", "weights": "ternary", "activation": "int8", "group_size": 5, "luts": 3,
                 "fetchers": 5, "pipeline": 1, "workload": {"n": 301, "m": 37}}


def icarus_case(with_old: bool) -> list[str]:
    """`api.simulate` on Icarus, fresh build (its own cache folder), as emitted and, if asked, as
    Amaranth converts it (with the field aliases)."""
    config = api.load(ICARUS_DESIGN)
    rng = np.random.default_rng(7)
    w, a = rng.integers(-1, 2, (301, 37)), rng.integers(-128, 128, (3, 301))
    runs = [("emitted (aliases dropped)", api.verilog(config), a)]
    if with_old:  # one activation row: all three took over 10 minutes
        runs.append(("Amaranth's (with aliases)", verilog.convert(LutCore(config), name=config.top, emit_src=False), a[:1]))
    rows = ["| Verilog | activation rows | beats | wall s incl. build | exact |", "|---|---|---|---|---|"]
    for name, text, acts in runs:
        with tempfile.TemporaryDirectory() as tmp:
            os.environ["HWGEN_CACHE_DIR"] = tmp
            y, wall = timed(lambda: simulate_lut(config, text, w, acts, simulator="icarus"))
        rows.append(f"| {name} | {len(acts)} | {len(acts) * config.tiling.tiles} | {wall:.1f} | "
                    f"{np.array_equal(y, lut_gemv(config, w, acts))} |")
    return rows


def alias_check() -> list[str]:
    """Synthesis of Amaranth's Verilog as converted and as hwgen emits it (aliases dropped)."""
    rows = ["| design | Verilog bytes (Amaranth / emitted) | area um^2 (Amaranth / emitted) | cells |", "|---|---|---|---|"]
    for design in ALIAS_CHECK_DESIGNS:
        config = api.load(design)
        texts = {"amaranth": verilog.convert(LutCore(config), name=config.top, emit_src=False),
                 "emitted": api.verilog(config)}
        results = {}
        with tempfile.TemporaryDirectory() as tmp:
            for name, text in texts.items():
                source = Path(tmp) / name / f"{config.top}.v"
                source.parent.mkdir()
                source.write_text(text)
                results[name] = synthesize([source], config.top)
        a, e = results["amaranth"], results["emitted"]
        rows.append(f"| mu={config.group_size} L={config.luts} K={config.fetchers} {config.act.name} p={config.pipeline} "
                    f"| {len(texts['amaranth']):,} / {len(texts['emitted']):,} | {a.area_um2:.1f} / {e.area_um2:.1f} "
                    f"| {a.cells} / {e.cells} |")
    return rows


BASE_RUN = """
import resource, time
import numpy as np
from hwgen import api
config = api.load({design!r})
w, a = np.load({w!r}), np.load({a!r})
api.simulate(config, w, a)  # builds
before, start = resource.getrusage(resource.RUSAGE_CHILDREN), time.perf_counter()
api.simulate(config, w, a)
after = resource.getrusage(resource.RUSAGE_CHILDREN)
print(time.perf_counter() - start, after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)
"""


def base_run(base: str) -> list[str]:
    """`hwgen simulate` of another checkout on the 1-row lut_default data, cached build."""
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                            cwd=base).stdout.strip()
    config = api.load(LUT_DEFAULT)
    w, a = ternary_case(config, batch=1)  # the cocotb_vs_fast data
    with tempfile.TemporaryDirectory() as tmp:
        np.save(Path(tmp) / "w.npy", w)
        np.save(Path(tmp) / "a.npy", a)
        script = BASE_RUN.format(design=str(LUT_DEFAULT), w=str(Path(tmp) / "w.npy"), a=str(Path(tmp) / "a.npy"))
        out = subprocess.run([sys.executable, "-c", script], cwd=base, capture_output=True, text=True, check=True,
                             env={**os.environ, "PYTHONPATH": base, "HWGEN_CACHE_DIR": tmp}).stdout
    wall, cpu = map(float, out.split()[-2:])
    return [f"| `api.simulate` at {commit} (cocotb), cached build, 12800 beats | {wall:.1f} s wall | "
            f"{cpu:.1f} s simulator CPU | {12800 / cpu:,.0f} beats per CPU s |"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--opt", default="", help=f"compare C++ levels, e.g. O0,O2 (of {', '.join(OPT_LEVELS)})")
    parser.add_argument("--skip-hardwired", action="store_true")
    parser.add_argument("--alias-check", action="store_true", help="only the synthesis check of dropped aliases")
    parser.add_argument("--icarus", action="store_true", help="only the mu=5 core on Icarus")
    parser.add_argument("--base", help="only: hwgen simulate of the checkout in this folder (cocotb baseline)")
    parser.add_argument("--icarus-old", action="store_true", help="with --icarus: also the Verilog with aliases")
    args = parser.parse_args()
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                            cwd=ROOT).stdout.strip()
    load = os.getloadavg()
    print(f"Measured {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} on `{platform.node()}` "
          f"({platform.machine()}, {os.cpu_count()} CPUs, load average {load[0]:.1f} at start), commit {commit}. "
          f"Command: `nice python benchmarks/bench_fastsim.py {' '.join(sys.argv[1:])}`.\n")
    if args.base:
        print("\n".join(base_run(args.base)))
        return
    if args.icarus:
        print("\n".join(icarus_case(args.icarus_old)))
        return
    if args.alias_check:
        print("\n".join(alias_check()))
        return
    if args.opt:
        print("\n".join(opt_levels(args.opt.split(","))) + "\n")
    print("\n".join(cocotb_vs_fast()) + "\n")
    print("\n".join(simulate_walls(args.skip_hardwired)))
    print(f"\nLoad average at the end: {os.getloadavg()[0]:.1f}.")


if __name__ == "__main__":
    main()
