"""The LUT-based ternary GEMV core with float activations: build, fetch, reduce, accumulate.

Same streaming interface as `hwgen.rtl.lut_core.LutCore`, with bit patterns in
the lanes: ``act`` lanes are activation-format patterns, ``result`` sums are
accumulation-format patterns. Arithmetic order and rounding: `sim.float_reference`;
pipeline placement and the single-cycle accumulator: `hwgen.floatpath`.
"""

from amaranth import Module, Mux, unsigned
from amaranth.lib import data, stream, wiring
from amaranth.lib.wiring import In, Out

from ..config import FloatLutConfig
from ..floatpath import FloatLutShape
from ..formats import key_index_bits
from ..fpadd import FpAdder
from ..fpconv import FpWiden
from .float_blocks import FloatFetch, FloatLutBuild, FloatReductionTree
from .stream_frame import accumulate, delay, emit_result, frame_ports, stream_frame

__all__ = ["FloatLutCore", "float_result_layout", "float_accumulate"]


def float_result_layout(fetchers: int, width: int) -> data.StructLayout:
    return data.StructLayout({"sums": data.ArrayLayout(unsigned(width), fetchers), "last": 1})


def float_accumulate(m: Module, sums: list, control, advance, fmt, acc_fmt, result) -> None:
    """Widen each column sum, start on the first row block, ``acc + sum`` after; emit on the last."""
    for k, value in enumerate(sums):
        widen = FpWiden(fmt, acc_fmt)
        m.submodules[f"widen{k}"] = widen
        m.d.comb += widen.a.eq(value)
        add = FpAdder(acc_fmt, 0)  # single-cycle: the accumulator is a loop-carried dependency
        m.submodules[f"accadd{k}"] = add

        def next_value(acc, add=add, widen=widen):
            m.d.comb += [add.a.eq(acc), add.b.eq(widen.result), add.sub.eq(0)]
            return Mux(control.first, widen.result, add.result)

        accumulate(m, str(k), acc_fmt.width, next_value, control, advance, result.payload.sums[k])
    emit_result(m, control, advance, result)


class FloatLutCore(wiring.Component):
    """A ternary LUT GEMV core with float activations, for one validated `FloatLutConfig`."""

    def __init__(self, config: FloatLutConfig):
        self.config = config
        self.shape = FloatLutShape(config)
        c, s = config, self.shape
        super().__init__({
            **frame_ports(c.workload, data.ArrayLayout(unsigned(c.act.width), c.luts * c.group_size)),
            "keys": In(stream.Signature(data.ArrayLayout(unsigned(s.key_width), c.luts * c.fetchers))),
            "result": Out(stream.Signature(float_result_layout(c.fetchers, c.acc_format.width))),
        })

    def elaborate(self, platform):
        m = Module()
        c, s = self.config, self.shape
        L, K, mu, a = c.luts, c.fetchers, c.group_size, c.adder_pipeline
        fmt = c.act

        advance, control, acts = stream_frame(m, self, c.workload, L * mu, K)

        # LUT build (adder_pipeline * depth cycles), then cut 0.
        tables = []
        for l in range(L):
            build = FloatLutBuild(s.graph, fmt, a)
            m.submodules[f"build{l}"] = build
            m.d.comb += build.en.eq(advance)
            for j in range(mu):
                m.d.comb += build.acts[j].eq(acts[l * mu + j])
            tables.append(delay(m, build.entries, int(s.cut(0)), advance, f"table{l}"))
        keys = delay(m, self.keys.payload, s.build_latency + int(s.cut(0)), advance, "keys")
        control = delay(m, control, s.build_latency + int(s.cut(0)), advance, "ctrl_build")

        # Fetch (combinational), then cut 1.
        fetched = [[None] * L for _ in range(K)]
        for l in range(L):
            for k in range(K):
                fetch = FloatFetch(s.entries, key_index_bits(mu), fmt.width)
                m.submodules[f"fetch{l}_{k}"] = fetch
                m.d.comb += [fetch.entries.eq(tables[l]), fetch.key.eq(keys[l * K + k])]
                fetched[k][l] = delay(m, fetch.value, int(s.cut(1)), advance, f"fetched{l}_{k}")
        control = delay(m, control, int(s.cut(1)), advance, "ctrl_fetch")

        # Reduction over the L LUTs of each column.
        registered = [s.cut(2 + i) for i in range(len(s.levels))]
        sums = []
        for k in range(K):
            tree = FloatReductionTree(s.levels, L, fmt, a, registered)
            m.submodules[f"tree{k}"] = tree
            m.d.comb += tree.en.eq(advance)
            for l in range(L):
                m.d.comb += tree.values[l].eq(fetched[k][l])
            sums.append(tree.sum)
        control = delay(m, control, s.tree_latency, advance, "ctrl_tree")

        float_accumulate(m, sums, control, advance, fmt, c.acc_format, self.result)
        return m
