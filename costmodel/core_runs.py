"""Synthesis runs of the float and multiplier units the float and MAC models are priced with.

`synth_unit` synthesizes one arithmetic unit (a float adder, multiplier or widener, an
integer multiplier) on its own, registered on both sides, through the flow's one entry point
(`costmodel.runs.synth_verilog`) with OpenSTA's default input activity; `measure_units` runs
every one of them, and ``python -m costmodel.core_runs --measure`` writes the unit table
`costmodel.float_model` reads (`costmodel.float_model.UNITS_PATH`). Whole float LUT cores and
MAC baselines are synthesized through their family (`hwgen.families.synthesize`).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from amaranth import Module, Signal, signed
from amaranth.back import verilog
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from hwgen.formats import ACTIVATIONS
from hwgen.fpadd import FpAdder
from hwgen.fpconv import FpWiden
from hwgen.fpmul import FpMultiplier

from . import synth
from .float_model import FLOATS, UNITS_PATH
from .runs import DEFAULT_PERIOD_NS, synth_verilog

__all__ = ["synth_unit", "unit_component", "measure_units"]


class _IntMul(wiring.Component):
    def __init__(self, a_width: int, b_width: int):
        super().__init__({"a": In(signed(a_width)), "b": In(signed(b_width)),
                          "result": Out(signed(a_width + b_width))})

    def elaborate(self, platform):
        m = Module()
        m.d.comb += self.result.eq(self.a * self.b)
        return m


class _AddSubPair(wiring.Component):
    """``a + b`` and ``a - b`` of the same operands: how every LUT-build adder comes (`hwgen.lutgraph`)."""

    def __init__(self, fmt: str):
        self._fmt = fmt
        width = ACTIVATIONS[fmt].width
        super().__init__({"a": In(width), "b": In(width), "sum": Out(width), "diff": Out(width)})

    def elaborate(self, platform):
        m = Module()
        for name, sub in (("sum", 0), ("diff", 1)):
            m.submodules[name] = add = FpAdder(self._fmt, 0)
            m.d.comb += [add.a.eq(self.a), add.b.eq(self.b), add.sub.eq(sub), getattr(self, name).eq(add.result)]
        return m


class _Registered(wiring.Component):
    """A unit between input and output registers, so its delay is a register-to-register path."""

    def __init__(self, unit):
        self._unit = unit
        members = {name: member for name, member in unit.signature.members.items() if name != "en"}
        super().__init__(members)

    def elaborate(self, platform):
        m = Module()
        m.submodules.unit = u = self._unit
        for name, member in self.signature.members.items():
            port, inner = getattr(self, name), getattr(u, name)
            reg = Signal.like(inner, name=f"r_{name}")
            if member.flow == wiring.In:
                m.d.sync += reg.eq(port)
                m.d.comb += inner.eq(reg)
            else:
                m.d.sync += reg.eq(inner)
                m.d.comb += port.eq(reg)
        return m


def unit_component(kind: str, fmt: str = "", fmt_b: str = "", width: int = 8, width_b: int = 8):
    """One registered unit: ``fpadd`` (fmt), ``fpaddsub`` (the pair a+b, a-b in fmt), ``fpmul`` (fmt x
    fmt_b -> fmt), ``widen`` (fmt -> fmt_b), ``intmul``."""
    unit = {"fpadd": lambda: FpAdder(fmt, 0), "fpaddsub": lambda: _AddSubPair(fmt),
            "fpmul": lambda: FpMultiplier(fmt, fmt_b, fmt), "widen": lambda: FpWiden(fmt, fmt_b), "intmul": lambda: _IntMul(width, width_b)}[kind]()
    return _Registered(unit)


def synth_unit(kind: str, liberty: Path | None = None, clock_period_ns: float = DEFAULT_PERIOD_NS,
               **params) -> synth.SynthResult:
    """Synthesize one registered unit of `unit_component`."""
    text = verilog.convert(unit_component(kind, **params), name="unit", emit_src=False)
    return synth_verilog(text, "unit", liberty, clock_period_ns)[0]


def measure_units(liberty: Path | None = None) -> dict:
    """Synthesize every unit alone (registered in and out), return areas without the registers."""
    lib = Path(liberty) if liberty else synth.default_liberty()
    cells = synth._liberty_cells(lib)

    def record(result) -> dict:
        dff = sum(n * cells[name][0] for name, n in result.cells_by_type.items() if name.startswith("DFF"))
        return {"area_um2": round(result.area_um2 - dff, 1), "delay_ns": round(result.critical_path_ns, 3)}

    units: dict = {"fpadd": {}, "fpaddsub": {}, "fpmul_fp16": {}, "widen": {}, "intmul": {}}
    for f in FLOATS:
        units["fpadd"][f] = record(synth_unit("fpadd", fmt=f))
        units["fpaddsub"][f] = record(synth_unit("fpaddsub", fmt=f))
        units["fpmul_fp16"][f] = record(synth_unit("fpmul", fmt=f, fmt_b="fp16"))
        for wide in ("fp16", "bf16"):
            if f != wide and f.startswith("fp8"):
                units["widen"][f"{f}->{wide}"] = record(synth_unit("widen", fmt=f, fmt_b=wide))
    for width in (4, 8):
        units["intmul"][f"int{width}xint8"] = record(synth_unit("intmul", width=width, width_b=8))
    return {"liberty": str(lib), "units": units,
            "method": "each unit between input and output registers, synthesized alone "
                      "(costmodel.core_runs.synth_unit); area minus the flip-flops, delay = critical path"}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m costmodel.core_runs")
    parser.add_argument("--measure", action="store_true", help="synthesize the units and write the table")
    args = parser.parse_args(argv)
    if args.measure:
        table = measure_units()
        UNITS_PATH.write_text(json.dumps(table, indent=1, sort_keys=True) + "\n")
        print(f"wrote {UNITS_PATH}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
