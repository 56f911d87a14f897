"""The `hwgen` command line: a thin layer over `hwgen.api`.

User errors (`HwgenError`) print one line and exit with their code (2 for usage
errors, 1 when the RTL disagrees with the reference model); bugs stay tracebacks.
"""

from __future__ import annotations

import argparse
import json
import sys

from . import __version__, api
from .errors import HwgenError, InputError

DESCRIPTION = """\
hwgen generates and explores hardware for low-bit LLM inference: LUT-based
ternary GEMV cores and hardwired-neuron arrays. Every design is a YAML file
(see designs/); every number comes from the analytical cost model or real
synthesis, and every RTL output is checked bit-exact in simulation.
"""


def _print_json(data) -> None:
    print(json.dumps(data, indent=2, sort_keys=True))


def cmd_generate(args) -> int:
    info = api.generate(args.design, args.out, clock_mhz=args.clock_mhz)
    print(f"wrote {args.out}/{', '.join(info['files'])}, filelist.f, constraints.sdc, manifest.json")
    return 0


def cmd_simulate(args) -> int:
    if args.program is not None:
        if args.weights or args.activations or args.out:
            raise InputError("--program replaces --weights, --activations and --out")
        pairs = api.simulate_program(args.design, args.program, simulator=args.simulator, seed=args.seed)
        outputs = sum(r.size for _, r in pairs)
        print(f"{args.simulator}: RTL matches the reference model on all {len(pairs)} GEMVs ({outputs} outputs); "
              f"wrote {', '.join(str(p) for p, _ in pairs)}")
        return 0
    if args.activations is None or args.out is None:
        raise InputError("simulate needs --activations and --out (or --program)")
    weights = None if args.weights is None else api.load_array(args.weights, "weights")
    activations = api.load_array(args.activations, "activations")
    result = api.simulate(args.design, weights, activations, simulator=args.simulator, seed=args.seed)
    api.save_array(args.out, result)
    print(f"{args.simulator}: RTL matches the reference model on {result.size} outputs; wrote {args.out}")
    return 0


def cmd_estimate(args) -> int:
    from costmodel.model import accuracy_text

    result = api.estimate(args.design, tech=args.tech, clock_mhz=args.clock_mhz)
    if args.json:
        _print_json(result)
    else:
        for key, value in result.items():
            if key == "accuracy":
                value = f"{value['regime']} design; {accuracy_text(value)}"
            print(f"{key:24s} {value}")
    return 0


def cmd_synth(args) -> int:
    result = api.synth(args.design, tech=args.tech, liberty=args.liberty, clock_mhz=args.clock_mhz)
    if args.json:
        _print_json(result)
    else:
        for key in ("area_um2", "cells", "critical_path_ns", "fmax_mhz", "power_mw", "activity_source"):
            print(f"{key:24s} {result[key]}")
    return 0


def cmd_sweep(args) -> int:
    result = api.sweep(args.space, trials=args.trials, storage=args.storage, study=args.study,
                       out_dir=args.out, jobs=args.jobs, emit_rtl=args.emit_rtl, synth_top=args.synth_top,
                       seed=args.seed, exhaustive=args.exhaustive or None, progress=not args.quiet)
    print(f"report: {result.out_dir}/report.html ({len(result.pareto)} Pareto designs, "
          f"{result.trials} trials, {result.seconds:.1f} s)")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="hwgen", description=DESCRIPTION,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=f"hwgen {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("generate", help="write a design's Verilog, file list, SDC and manifest",
                       description="Generate synthesizable Verilog for DESIGN.yaml into OUT/: <top>.v, "
                                   "filelist.f, constraints.sdc and manifest.json (config, ports, latency, "
                                   "tool versions, cost estimate). The same config gives byte-identical files.")
    p.add_argument("design", metavar="DESIGN.yaml")
    p.add_argument("-o", "--out", required=True, metavar="OUT", help="output folder (created if missing)")
    p.add_argument("--clock-mhz", type=float, default=api.DEFAULT_CLOCK_MHZ,
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
    p.add_argument("--clock-mhz", type=float, default=api.DEFAULT_CLOCK_MHZ,
                   help="clock for timing and power (default %(default)s)")
    p.add_argument("--json", action="store_true", help="print JSON for machines")
    p.set_defaults(func=cmd_synth)

    p = sub.add_parser("sweep", help="search the design space and write a Pareto report",
                       description="Multi-objective design-space search (Optuna NSGA-II by default) over "
                                   "the space in SPACE.yaml, or the built-in default: ternary LUT cores for "
                                   "BitNet b1.58 2B4T decode. Writes report.html, report.md, CSVs and plots. "
                                   "An interrupted sweep resumes from its storage with the same arguments.")
    p.add_argument("space", nargs="?", metavar="SPACE.yaml",
                   help="search space (default: built-in), or a model directory: the built-in space on that checkpoint")
    p.add_argument("--trials", type=int, help="trials the study should hold when done")
    p.add_argument("--storage", metavar="URL", help="Optuna RDB URL or journal file (default: under --out)")
    p.add_argument("--study", metavar="NAME", help="study name (default: the space's name)")
    p.add_argument("--out", default="reports", metavar="DIR", help="report folder (default %(default)s)")
    p.add_argument("--jobs", type=int, default=1, help="local worker processes (default %(default)s)")
    p.add_argument("--emit-rtl", action="store_true", help="write every Pareto design's Verilog")
    p.add_argument("--synth-top", type=int, default=0, metavar="N",
                   help="synthesize the N best Pareto designs, model beside synthesis")
    p.add_argument("--seed", type=int, help="sampler seed (default: the space's)")
    p.add_argument("--exhaustive", action="store_true", help="enumerate the space with the vectorized model")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=cmd_sweep)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except HwgenError as exc:
        print(f"hwgen {args.command}: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print(f"hwgen {args.command}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
