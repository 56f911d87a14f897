"""The `hwgen` command line: a thin layer over `hwgen.api`.

User errors (`HwgenError`) print one line and exit with their code (2 for usage
errors, 1 when the RTL disagrees with the reference model); bugs stay tracebacks.
Every command runs the cheap checks of `hwgen.preflight` first and imports `hwgen.api`
(Amaranth, numpy) only then: ``--help`` and a mistyped path or value answer at once.
"""

from __future__ import annotations

import argparse
import json
import os
import sys

from . import __version__
from .cache import cache_usage, clean_cache
from .cachedir import PARTS
from .errors import HwgenError, InputError
from .preflight import DEFAULT_CLOCK_MHZ, check_clock_mhz, check_input_file, check_output_dir, check_output_file
from .size_guard import build_seconds, check_build_size

DESCRIPTION = """\
hwgen generates and explores hardware for low-bit LLM inference: LUT-based
ternary GEMV cores and hardwired-neuron arrays. Every design is a YAML file
(see designs/); every number comes from the analytical cost model or real
synthesis, and every RTL output is checked bit-exact in simulation.
"""


def _api():
    """`hwgen.api`, imported on first use (`LAZY_MODULES` in tests/test_layers.py says why)."""
    from . import api

    return api


def _accuracy_text(accuracy: dict) -> str:
    from costmodel.model import accuracy_text  # with numpy: on first use, as `hwgen.api`

    return accuracy_text(accuracy)


def _say(command: str, text: str) -> None:
    """A progress note on stderr (stdout stays the command's result)."""
    print(f"hwgen {command}: {text}", file=sys.stderr, flush=True)


#: Elaborations expected to take longer than this are announced.
ANNOUNCE_BUILD_S = 10.0


def _load_announced(command: str, design):
    """The validated design (from a path, or already loaded); a note first if generating its
    Verilog will take a while."""
    config = _api().load(design)
    check_build_size(config)
    seconds = build_seconds(config)
    if seconds > ANNOUNCE_BUILD_S:
        took = f"{seconds:.0f} s" if seconds < 90 else f"{seconds / 60:.0f} minutes"
        _say(command, f"elaborating {config.top}: roughly {took} for a core this size")
    return config


def _print_json(data) -> None:
    print(json.dumps(data, indent=2, sort_keys=True))


def cmd_generate(args) -> int:
    check_input_file(args.design, "design file")
    check_clock_mhz(args.clock_mhz, "--clock-mhz")
    check_output_dir(args.out, "output folder")
    info = _api().generate(_load_announced("generate", args.design), args.out, clock_mhz=args.clock_mhz)
    print(f"wrote {args.out}/{', '.join(info['files'])}, filelist.f, constraints.sdc, manifest.json")
    return 0


def cmd_simulate(args) -> int:
    check_input_file(args.design, "design file")
    if args.program is not None:
        if args.weights or args.activations or args.out:
            raise InputError("--program replaces --weights, --activations and --out")
        check_input_file(args.program, "program file")
        config = _api().load(args.design)
        gemvs = _api().program_gemvs(config, args.program)  # every GEMV checked before the note and elaboration
        pairs = _api().simulate_program(_load_announced("simulate", config), gemvs, simulator=args.simulator,
                                        seed=args.seed)
        outputs = sum(r.size for _, r in pairs)
        print(f"{args.simulator}: RTL matches the reference model on all {len(pairs)} GEMVs ({outputs} outputs); "
              f"wrote {', '.join(str(p) for p, _ in pairs)}")
        return 0
    if args.activations is None or args.out is None:
        raise InputError("simulate needs --activations and --out (or --program)")
    for path, what in ((args.weights, "weights file"), (args.activations, "activations file")):
        if path is not None:
            check_input_file(path, what)
    check_output_file(args.out, "--out")
    weights = None if args.weights is None else _api().load_array(args.weights, "weights")
    activations = _api().load_array(args.activations, "activations")
    config = _api().load(args.design)
    _api().check_operands(config, weights, activations)  # before the note and elaboration
    result = _api().simulate(_load_announced("simulate", config), weights, activations, simulator=args.simulator,
                             seed=args.seed)
    _api().save_array(args.out, result)
    print(f"{args.simulator}: RTL matches the reference model on {result.size} outputs; wrote {args.out}")
    return 0


def cmd_estimate(args) -> int:
    check_input_file(args.design, "design file")
    if args.clock_mhz is not None:
        check_clock_mhz(args.clock_mhz, "--clock-mhz")
    result = _api().estimate(args.design, tech=args.tech, clock_mhz=args.clock_mhz)
    if args.json:
        _print_json(result)
    else:
        at_fmax = args.clock_mhz is None
        print("\n".join(estimate_lines(result, at_fmax)))
    return 0


def _number(value) -> str:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, int) or float(value).is_integer() and abs(value) < 1e15:
        return f"{int(value):,}"
    return f"{value:,.4g}" if abs(value) < 1e4 else f"{value:,.0f}"


def estimate_lines(result: dict, at_fmax: bool) -> list[str]:
    """`hwgen estimate`'s human output: one aligned line per figure, the breakdown as shares."""
    lines = []
    for key, value in result.items():
        if key == "breakdown":
            for metric, parts in value.items():
                total = sum(parts.values()) or 1.0
                shares = ", ".join(f"{part} {100 * v / total:.0f}%" for part, v in parts.items())
                lines.append(f"{metric + ' by block':28s} {shares}")
        elif key == "accuracy":
            lines.append(f"{'accuracy':28s} {value['regime']} design; {_accuracy_text(value)}")
        elif key == "clock_mhz":
            note = "fmax; power and throughput at this clock; --clock-mhz to choose" if at_fmax else \
                "power and throughput at this clock"
            lines.append(f"{key:28s} {_number(value)} ({note})")
        elif isinstance(value, dict):
            lines.append(f"{key:28s} " + ", ".join(f"{k}={_number(v)}" for k, v in value.items()))
        else:
            lines.append(f"{key:28s} {_number(value)}")
    return lines


def cmd_synth(args) -> int:
    check_input_file(args.design, "design file")
    check_clock_mhz(args.clock_mhz, "--clock-mhz")
    if args.liberty is not None:
        check_input_file(args.liberty, "liberty file")
    result = _api().synth(args.design, tech=args.tech, liberty=args.liberty, clock_mhz=args.clock_mhz,
                          on_start=None if args.json else lambda text: _say("synth", text))
    if args.json:
        _print_json(result)
    else:
        for key in ("area_um2", "cells", "critical_path_ns", "fmax_mhz", "power_mw", "activity_source"):
            print(f"{key:24s} {_number(result[key])}")
    return 0


def cmd_sweep(args) -> int:
    if args.space is not None and args.space.endswith((".yaml", ".yml")):  # (a folder may be a model)
        check_input_file(args.space, "space file")
    check_output_dir(args.out, "--out")
    mode = True if args.exhaustive else False if args.search else None
    result = _api().sweep(args.space, trials=args.trials, storage=args.storage, study=args.study,
                          out_dir=args.out, jobs=args.jobs, emit_rtl=args.emit_rtl, synth_top=args.synth_top,
                          seed=args.seed, exhaustive=mode, progress=not args.quiet,
                          scheduler=args.scheduler)
    counted = "designs enumerated" if result.mode == "exhaustive" else "trials"
    print(f"report: {result.out_dir}/report.html ({len(result.pareto)} Pareto designs, "
          f"{result.trials} {counted}, {result.seconds:.1f} s)")
    return 0


def cmd_cache(args) -> int:
    root, parts = cache_usage()
    if args.clean:
        freed = clean_cache()
        print(f"removed {freed / 1e6:,.1f} MB from {root}")
        return 0
    print(f"cache: {root}")
    for name, (count, size) in parts.items():
        print(f"  {name:12s} {count:6,d} entries {size / 1e6:10,.1f} MB  {PARTS[name]}")
    print("hwgen cache --clean deletes them; HWGEN_CACHE_DIR moves the cache")
    return 0


class _Parser(argparse.ArgumentParser):
    """argparse with one-line errors (the usage is one ``--help`` away)."""

    def error(self, message: str):
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="hwgen", description=DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=f"hwgen {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND", parser_class=_Parser)

    p = sub.add_parser("generate", help="write a design's Verilog, file list, SDC and manifest",
                       description="Generate synthesizable Verilog for DESIGN.yaml into OUT/: <top>.v, "
                                   "filelist.f, constraints.sdc and manifest.json (config, ports, latency, "
                                   "tool versions, cost estimate). The same config gives byte-identical files.")
    p.add_argument("design", metavar="DESIGN.yaml")
    p.add_argument("-o", "--out", required=True, metavar="OUT", help="output folder (created if missing)")
    p.add_argument("--clock-mhz", type=float, default=DEFAULT_CLOCK_MHZ,
                   help="target clock for constraints.sdc and the estimate (default %(default)s)")
    p.set_defaults(func=cmd_generate)

    p = sub.add_parser("simulate", help="run the RTL in a simulator on your data and check it",
                       description="Run the design's RTL in a real simulator on W.npy (N, M) and A.npy "
                                   "((N,) or (B, N)) and write Y = A @ W to --out. Exits 1 if the RTL "
                                   "differs from the bit-exact reference model (and writes nothing).")
    p.add_argument("design", metavar="DESIGN.yaml")
    p.add_argument("--weights", metavar="W.npy", help="(N, M) weights (optional for hardwired designs, "
                   "which carry their own: if given, must equal them); ternary: int in {-1,0,1}; sherry: ternary with one 0 per 4 rows; "
                   "ifairy: complex in {+1,-1,+i,-i}; intB: ints in [-2^(B-1), 2^(B-1)-1]")
    p.add_argument("--program", metavar="PROGRAM.yaml",
                   help="run a list of GEMVs (gemvs: [{weights, activations, out}], paths relative to the file) "
                        "in order in one simulation; every output is written only if all are exact")
    p.add_argument("--activations", metavar="A.npy", help="(N,) or (B, N) activations (ifairy: complex with integer parts)")
    p.add_argument("--out", metavar="Y.npy", help="where to write the (B, M) int64 result (complex128 for ifairy)")
    p.add_argument("--simulator", choices=("verilator", "icarus"), default="verilator")
    p.add_argument("--seed", type=int, default=0, help="seed of the random stream stalls (default 0)")
    p.set_defaults(func=cmd_simulate)

    p = sub.add_parser("estimate", help="print the analytical cost model's prediction",
                       description="Predict area (um^2), power (mW), energy per GEMV and per op (pJ), "
                                   "fmax (MHz), cycles and throughput with the analytical model.")
    p.add_argument("design", metavar="DESIGN.yaml")
    p.add_argument("--tech", default="osu018",
                   help="technology table: a shipped one (osu018, osu035, n16, n7, n5) or the path of a .json table "
                        "(default %(default)s)")
    p.add_argument("--clock-mhz", type=float, default=None, help="clock for power/throughput (default: fmax)")
    p.add_argument("--json", action="store_true", help="print JSON for machines")
    p.set_defaults(func=cmd_estimate)

    p = sub.add_parser("synth", help="synthesize with Yosys + OpenSTA and print measured figures",
                       description="Run the open synthesis flow: Yosys maps the design onto a Liberty "
                                   "library (area, cells), OpenSTA reports the critical path and the power, "
                                   "with switching activity from a simulation of a random workload.")
    p.add_argument("design", metavar="DESIGN.yaml")
    p.add_argument("--tech", default="osu018",
                   help="technology whose open Liberty library to use: osu018 or osu035 (default %(default)s)")
    p.add_argument("--liberty", metavar="FILE", help="any Liberty file instead of the technology's")
    p.add_argument("--clock-mhz", type=float, default=DEFAULT_CLOCK_MHZ,
                   help="clock for timing and power (default %(default)s)")
    p.add_argument("--json", action="store_true", help="print JSON for machines")
    p.set_defaults(func=cmd_synth)

    p = sub.add_parser("sweep", help="search the design space and write a Pareto report",
                       description="Multi-objective design-space exploration over the space in SPACE.yaml, or "
                                   "the built-in default: ternary LUT cores for BitNet b1.58 2B4T decode. A space "
                                   "the vectorized model prices in seconds is enumerated (the exact Pareto front); "
                                   "a larger one, or one given --trials/--storage/--study/--jobs, is searched with "
                                   "Optuna (NSGA-II by default); the report says which and why. Writes "
                                   "report.html, report.md, CSVs, plots and, per suggested design, a design file "
                                   "with the commands that build it. An interrupted search resumes from its "
                                   "storage with the same arguments.")
    p.add_argument("space", nargs="?", metavar="SPACE.yaml",
                   help="search space (default: built-in), or a model directory: the built-in space on that checkpoint")
    p.add_argument("--trials", type=int, help="complete trials the study should hold when done, counted across "
                   "every process sharing the storage (a resumed or shared study runs only the missing ones)")
    p.add_argument("--storage", metavar="URL", help="Optuna RDB URL or journal file (default: under --out)")
    p.add_argument("--study", metavar="NAME", help="study name (default: the space's name)")
    p.add_argument("--out", default="reports", metavar="DIR", help="report folder (default %(default)s)")
    p.add_argument("--jobs", type=int, default=1, help="local worker processes, for the search and --synth-top (default %(default)s)")
    p.add_argument("--emit-rtl", action="store_true", help="write every Pareto design's Verilog")
    p.add_argument("--synth-top", type=int, default=0, metavar="N",
                   help="synthesize the N Pareto designs of largest hypervolume contribution (all, if the front "
                        "is no larger): model beside synthesis, and the front re-ranked by measured numbers")
    p.add_argument("--scheduler", metavar="tcp://HOST:PORT",
                   help="run --synth-top's syntheses on this Dask cluster (default: --jobs local workers)")
    p.add_argument("--seed", type=int, help="sampler seed (default: the space's)")
    how = p.add_mutually_exclusive_group()
    how.add_argument("--exhaustive", action="store_true", help="enumerate the space, however large (up to the "
                     "exhaustive limit)")
    how.add_argument("--search", action="store_true", help="search with the sampler even when enumerating is cheap")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=cmd_sweep)

    p = sub.add_parser("cache", help="show or clean the cache (simulator builds, synthesis results, compiled kernels)",
                       description="Show where hwgen caches what it builds ($HWGEN_CACHE_DIR, default "
                                   "~/.cache/hwgen): simulator builds, fast-path executables, synthesis results, "
                                   "elaborated designs and compiled C kernels, and how much each part holds; "
                                   "--clean deletes them (they are rebuilt when needed).")
    p.add_argument("--clean", action="store_true", help="delete every part of the cache")
    p.set_defaults(func=cmd_cache)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        code = args.func(args)
        sys.stdout.flush()
        return code
    except HwgenError as exc:
        print(f"hwgen {args.command}: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print(f"hwgen {args.command}: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # the reader went away (`hwgen estimate d.yaml | head -1`): what it wanted was printed;
        # point stdout at /dev/null so the interpreter's final flush does not fail again
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


if __name__ == "__main__":
    sys.exit(main())
