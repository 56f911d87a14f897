"""The fast path's form of a table select: a wire-array read where Yosys wrote a full ``casez``.

Verilator compiles the fetch's select (an Amaranth ``Array`` of table entries indexed by a
key, which Yosys writes as one ``casez`` arm per key value) into a tree of data-dependent
branches, and random keys mispredict them: on designs/lut_default.yaml the fetch muxes took
most of the fast harness's time. `sim.fastsim` Verilates the design with each such select
rewritten as a read of a wire array of the same entries, one load (BENCHMARKS.md, ``fastsim``).
The design's Verilog (what `hwgen generate` writes and synthesis reads) is not changed; Yosys
proves the two forms equivalent (tests/test_fastsim.py), and the cocotb harness, which runs the
Verilog as emitted, must agree with the fast path cycle for cycle.
"""

from __future__ import annotations

import re

__all__ = ["table_selects"]

# One arm per index value, in order, each assigning the same target a slice of one vector or
# a constant zero (Yosys's dummy ``if`` keeps the block's sensitivity; it is carried over).
_CASE = re.compile(r"  always @\* begin\n(    if \(\S+ \) begin end\n)    \(\* full_case = 32'd1 \*\)\n"
                   r"    casez \((\w+\[(\d+):0\])\)\n((?:      \d+'h[0-9a-f]+:\n          \S+ += [^;\n]+;\n)+)"
                   r"    endcase\n  end\n")
_ARM = re.compile(r"      (\d+)'h([0-9a-f]+):\n          (\S+) += ([^;\n]+);\n")
_SLICE = re.compile(r"(\w+)\[(\d+):(\d+)\]")
_ZERO = re.compile(r"(\d+)'h0+")


def _table_select(case: re.Match) -> str:
    guard, index, index_bits, arms_text = case.groups()
    arms = _ARM.findall(arms_text)
    target, values = arms[0][2], [expr.strip() for *_, expr in arms]
    slices = [_SLICE.fullmatch(v) for v in values]
    zeros = [_ZERO.fullmatch(v) for v in values]
    widths = {int(p[2]) - int(p[3]) + 1 if p else int(z[1]) if z else 0 for p, z in zip(slices, zeros)}
    if (len(arms) != 1 << (int(index_bits) + 1) or [int(code, 16) for _, code, _, _ in arms] != list(range(len(arms)))
            or {name for _, _, name, _ in arms} != {target} or len({p[1] for p in slices if p}) != 1
            or len(widths) != 1 or 0 in widths):
        return case[0]
    table = f"{target}$table"  # escaped like the target; no Amaranth name ends in "$table"
    return (f"  wire [{widths.pop() - 1}:0] {table} [0:{len(arms) - 1}];\n"
            + "".join(f"  assign {table} [{n}] = {value};\n" for n, value in enumerate(values))
            + f"  always @* begin\n{guard}    {target} = {table} [{index}];\n  end\n")


def table_selects(verilog: str) -> str:
    """``verilog`` with every full-case select of one vector's equal slices (or zeros) written
    as a read of a wire array of those slices: the same function; other cases are left alone."""
    return _CASE.sub(_table_select, verilog)
