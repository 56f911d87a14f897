"""Build adders Yosys's ``opt_share`` removes from an unregistered LUT table read by one fetcher.

When the LUT table is not registered (pipeline 0) and each LUT has a single fetcher
(K = 1), every leaf adder of the build graph drives nothing but that fetcher's ``$pmux``.
``opt_share`` (run by ``synth``'s ``opt -full``) then merges groups of such adders that
share an operand into one adder behind a mux of their other operands: the adder bits go,
and the muxed operands become fetch-mux inputs. How many bits go depends on the graph's
shape in a way only the pass itself reproduces (mu = 4 loses 54% of its build adder bits,
mu = 5 10%), so it is measured: `measure` runs Yosys's coarse synthesis on the one-LUT
core and counts ``$alu`` bits before and after ``opt -full``. ``python -m
costmodel.opt_share`` re-measures every group size and activation and writes
`costmodel.opt_share_table.TABLE_PATH`; the cost model reads it through
`costmodel.opt_share_table.removed_build_bits`.
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path

from amaranth.back import verilog

from hwgen.config import MAX_GROUP_SIZE
from hwgen.formats import ACTIVATIONS
from hwgen.rtl.lut_core import LutCore

from .opt_share_table import TABLE_PATH
from .runs import design_config
from .synth import require_tool, run_tool, tool_versions

__all__ = ["coarse_rtlil", "cell_widths", "measure", "main"]


def coarse_rtlil(config, *then: str) -> list[str]:
    """RTLIL of a LUT core after Yosys's coarse synthesis, then after each command of ``then``."""
    steps = ["synth -top core -flatten -run begin:fine", *then]
    script = "read_verilog core.v; " + " ".join(f"{step}; write_rtlil step{i}.il;" for i, step in enumerate(steps))
    with tempfile.TemporaryDirectory(prefix="hwgen-coarse-") as tmp:
        tmp = Path(tmp)
        (tmp / "core.v").write_text(verilog.convert(LutCore(config), name="core"))  # src: which block a cell is
        run_tool([require_tool("yosys"), "-q", "-p", script], "yosys", cwd=tmp)
        return [(tmp / f"step{i}.il").read_text() for i in range(len(steps))]


def cell_widths(rtlil: str, cell_type: str, parameter: str, src: str | None = None) -> list[int]:
    """Integer ``parameter`` of every ``cell_type`` cell (e.g. ``"$alu"``, ``"Y_WIDTH"``) of an RTLIL
    text; with ``src``, only cells whose source attribute names it (e.g. ``"lut_build.py"``)."""
    widths, source, keep = [], "", None
    for line in rtlil.splitlines():
        text = line.strip()
        if text.startswith("attribute \\src "):
            source = text
            continue
        if text.startswith(f"cell {cell_type} "):
            keep = src is None or src in source
        elif keep is not None and text.startswith(f"parameter \\{parameter} ") and keep:
            widths.append(int(text.split()[-1]))
        elif text == "end":
            keep = None
        if not text.startswith("attribute"):
            source = ""
    return widths


def measure(group_size: int, activation: str) -> int:
    """LUT build ``$alu`` output bits ``opt -full`` removes from the pipeline-0, one-LUT, one-fetcher
    core (cells from `hwgen.rtl.lut_build` only: the controller's adders are not the build's)."""
    config = design_config(dict(mu=group_size, L=1, K=1, act=activation, p=0, n=group_size * 16, m=16))
    before, after = coarse_rtlil(config, "opt -full")
    return sum(cell_widths(before, "$alu", "Y_WIDTH", "lut_build.py")) - sum(
        cell_widths(after, "$alu", "Y_WIDTH", "lut_build.py"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m costmodel.opt_share", description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=TABLE_PATH)
    args = parser.parse_args(argv)
    table = {"yosys": tool_versions().get("yosys", ""), "removed_build_bits": {}}
    for act in (name for name, fmt in ACTIVATIONS.items() if not fmt.is_float):
        table["removed_build_bits"][act] = []
        for mu in range(1, MAX_GROUP_SIZE + 1):
            bits = measure(mu, act)
            print(f"{act} mu={mu}: {bits} build adder bits removed", flush=True)
            table["removed_build_bits"][act].append(bits)
    args.out.write_text(json.dumps(table, indent=1) + "\n")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
