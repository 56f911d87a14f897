"""What every streaming GEMV core shares: the command port and controller, the activation
buffer, the act/keys join, the global stall, pipeline delays and the accumulators that emit
one result beat per column block.

Per GEMV the core takes one ``cmd`` beat (`hwgen.rtl.controller.cmd_layout`), then in
column block 0 one ``act`` beat with every ``keys`` beat (``act`` is written to the
activation buffer), then ``keys`` beats alone while the buffer supplies the activations.
The buffer is an `amaranth.lib.memory.Memory` of ``ceil(max_n / rows_per_tile)`` words of
one ``act`` beat, one synchronous write port and one synchronous read port (transparent
for the write): a clean memory boundary a synthesis flow can map to an SRAM macro.

Flow control: the pipeline advances unless a finished result still waits for
``result.ready``. The control word (valid, first, last, gemv_last) of each accepted
tile travels down the pipeline beside its data, delayed by the same cuts.
"""

from __future__ import annotations

from amaranth import Module, Mux, Signal
from amaranth.lib import data, memory, stream
from amaranth.lib.wiring import In, Out

from .controller import GemvController, cmd_layout

CONTROL = data.StructLayout({"valid": 1, "first": 1, "last": 1, "gemv_last": 1})


def frame_ports(workload, act_layout) -> dict:
    """The signature members every core shares: ``cmd``, ``act`` and the ``error`` flag."""
    return {
        "cmd": In(stream.Signature(cmd_layout(workload.max_n, workload.max_m))),
        "act": In(stream.Signature(act_layout)),
        "error": Out(1),
    }


def stream_frame(m: Module, core, workload, rows_per_tile: int, fetchers: int):
    """Controller, activation buffer and the join of ``core.act`` and ``core.keys``.

    Returns ``(advance, control, acts)``: the stall-free signal, the control word of the
    tile accepted this cycle, and its activations (the stream's in column block 0, the
    buffer's after).
    """
    m.submodules.controller = ctrl = GemvController(workload.max_n, workload.max_m, rows_per_tile, fetchers)
    m.d.comb += [ctrl.cmd.valid.eq(core.cmd.valid), ctrl.cmd.payload.eq(core.cmd.payload),
                 core.cmd.ready.eq(ctrl.cmd.ready), core.error.eq(ctrl.error)]

    advance = Signal()
    act_ok = core.act.valid | ~ctrl.load
    m.d.comb += [
        advance.eq(~core.result.valid | core.result.ready),
        core.act.ready.eq(ctrl.busy & advance & ctrl.load & core.keys.valid),
        core.keys.ready.eq(ctrl.busy & advance & act_ok),
    ]
    fire = ctrl.busy & advance & core.keys.valid & act_ok
    m.d.comb += ctrl.fire.eq(fire)

    m.submodules.act_buffer = buffer = memory.Memory(shape=core.act.payload.shape(), depth=ctrl.depth, init=[])
    write = buffer.write_port()
    read = buffer.read_port(transparent_for=(write,))
    m.d.comb += [write.addr.eq(ctrl.row),
                 write.data.eq(core.act.payload), write.en.eq(fire & ctrl.load),
                 read.addr.eq(ctrl.row_next)]
    acts = Signal.like(core.act.payload, name="acts")
    m.d.comb += acts.eq(Mux(ctrl.load, core.act.payload, read.data))

    control = Signal(CONTROL, name="ctrl0")
    m.d.comb += [control.valid.eq(fire), control.first.eq(ctrl.first),
                 control.last.eq(ctrl.last), control.gemv_last.eq(ctrl.gemv_last)]
    return advance, control, acts


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
