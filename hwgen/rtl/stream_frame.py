"""What every streaming GEMV core shares: the act/keys join, the global stall, tile
control, pipeline delays and the accumulators that emit one result beat per column block.

Flow control: ``act`` and ``keys`` are consumed together, one beat per tile; the whole
pipeline advances unless a finished result still waits for ``result.ready``. The
control word (valid, first, last, gemv_last) of each accepted beat travels down the
pipeline beside its data, delayed by the same cuts.
"""

from __future__ import annotations

from amaranth import Module, Signal
from amaranth.lib import data

from .controller import TileController

CONTROL = data.StructLayout({"valid": 1, "first": 1, "last": 1, "gemv_last": 1})


def stream_frame(m: Module, core, tiling) -> tuple[Signal, data.View]:
    """Join ``core.act`` and ``core.keys``, count tiles; returns ``(advance, control)``."""
    advance = Signal()
    m.d.comb += [
        advance.eq(~core.result.valid | core.result.ready),
        core.act.ready.eq(advance & core.keys.valid),
        core.keys.ready.eq(advance & core.act.valid),
    ]
    fire = core.act.valid & core.keys.valid & advance
    m.submodules.controller = ctrl = TileController(tiling.row_blocks, tiling.col_blocks)
    m.d.comb += ctrl.fire.eq(fire)
    control = Signal(CONTROL, name="ctrl0")
    m.d.comb += [control.valid.eq(fire), control.first.eq(ctrl.first),
                 control.last.eq(ctrl.last), control.gemv_last.eq(ctrl.gemv_last)]
    return advance, control


def delay(m: Module, value, cycles: int, en, name: str):
    """``value`` through ``cycles`` registers that advance when ``en`` is high."""
    for i in range(cycles):
        reg = Signal.like(value, name=f"{name}_d{i}")
        with m.If(en):
            m.d.sync += reg.eq(value)
        value = reg
    return value


def accumulate(m: Module, name: str, shape, next_value, control, advance, result_lane) -> None:
    """One accumulator: ``next_value(acc)`` is its value after the current beat (it must
    restart on ``control.first``); the value of a column block's last beat is the result."""
    acc = Signal(shape, name=f"acc{name}")
    total = Signal(shape, name=f"total{name}")
    m.d.comb += total.eq(next_value(acc))
    with m.If(advance & control.valid):
        m.d.sync += acc.eq(total)
    with m.If(advance & control.valid & control.last):
        m.d.sync += result_lane.eq(total)


def emit_result(m: Module, control, advance, result) -> None:
    """``result`` is valid for the beat after a column block's last tile; ``last`` ends a GEMV."""
    with m.If(advance & control.valid & control.last):
        m.d.sync += result.payload.last.eq(control.gemv_last)
    with m.If(advance):
        m.d.sync += result.valid.eq(control.valid & control.last)
