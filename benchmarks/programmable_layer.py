"""The issue's must-show runs: one core per family runs a layer's seven projections in one simulation.

    python benchmarks/programmable_layer.py [--simulators verilator icarus]

Uses the designs and data of `tests/test_programmable.py` (ternary mu=3 L=4 K=8 int8;
fp16 mu=3 L=4 K=8 pipeline 3; Sherry mu=4 L=3 K=8; all `max_n = max_m = 160`) and runs
`hwgen.api.simulate_program` on each simulator (the tests run fp16 and Sherry on Icarus
only, to keep the suite's Verilator builds few). Prints wall time per run (builds cached
under HWGEN_CACHE_DIR).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from test_programmable import FP16, SHERRY, TERNARY, write_program  # noqa: E402

from hwgen import api  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--simulators", nargs="+", default=["verilator", "icarus"])
    args = parser.parse_args(argv)
    for name, design, kind in (("ternary int8", TERNARY, "ternary"), ("fp16 pipeline 3", FP16, "fp16"),
                               ("sherry int8", SHERRY, "sherry")):
        for simulator in args.simulators:
            with tempfile.TemporaryDirectory() as tmp:
                write_program(Path(tmp), kind)
                start = time.perf_counter()
                pairs = api.simulate_program(design, Path(tmp) / "program.yaml", simulator=simulator)
                seconds = time.perf_counter() - start
            outputs = sum(r.size for _, r in pairs)
            print(f"{name:16s} {simulator:9s}: {len(pairs)} GEMVs, {outputs} outputs exact "
                  f"(reference and PyTorch), {seconds:.1f} s", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
