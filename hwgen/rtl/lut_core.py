"""The LUT-based ternary GEMV core: build, fetch, reduce, accumulate.

Streaming interface (all `amaranth.lib.stream`, valid/ready):

* ``act``: one beat per tile, ``L*mu`` signed activations (lane ``l*mu + j``).
* ``keys``: one beat per tile, ``L*K`` ternary keys (lane ``l*K + k``).
  ``act`` and ``keys`` are consumed together, in the tile order of
  `hwgen.formats` (column block outer, row block inner).
* ``result``: one beat per column block: ``K`` accumulated sums and ``last``,
  set on the final column block of a GEMV.

The whole pipeline stalls while a result waits for ``result.ready``.
"""

from amaranth import Module, Mux, Signal, signed, unsigned
from amaranth.lib import data, stream, wiring
from amaranth.lib.wiring import In, Out

from ..config import LutConfig
from ..datapath import LutCoreShape
from ..formats import key_index_bits
from .controller import TileController
from .fetch import Fetch
from .lut_build import LutBuild
from .reduction import ReductionTree


def result_layout(fetchers: int, acc_width: int) -> data.StructLayout:
    return data.StructLayout({"sums": data.ArrayLayout(signed(acc_width), fetchers), "last": 1})


class LutCore(wiring.Component):
    """A ternary LUT GEMV core for one validated `LutConfig`."""

    def __init__(self, config: LutConfig):
        self.config = config
        self.shape = LutCoreShape(config)
        c, s = config, self.shape
        super().__init__({
            "act": In(stream.Signature(data.ArrayLayout(signed(c.act.width), c.luts * c.group_size))),
            "keys": In(stream.Signature(data.ArrayLayout(unsigned(s.key_width), c.luts * c.fetchers))),
            "result": Out(stream.Signature(result_layout(c.fetchers, c.accumulator_width))),
        })

    def elaborate(self, platform):
        m = Module()
        c, s = self.config, self.shape
        L, K, mu = c.luts, c.fetchers, c.group_size

        # Flow control: everything advances unless a finished result is still waiting.
        advance = Signal()
        m.d.comb += [
            advance.eq(~self.result.valid | self.result.ready),
            self.act.ready.eq(advance & self.keys.valid),
            self.keys.ready.eq(advance & self.act.valid),
        ]
        fire = self.act.valid & self.keys.valid & advance

        m.submodules.controller = ctrl = TileController(c.tiling.row_blocks, c.tiling.col_blocks)
        m.d.comb += ctrl.fire.eq(fire)
        control = Signal(data.StructLayout({"valid": 1, "first": 1, "last": 1, "gemv_last": 1}), name="ctrl0")
        m.d.comb += [control.valid.eq(fire), control.first.eq(ctrl.first),
                     control.last.eq(ctrl.last), control.gemv_last.eq(ctrl.gemv_last)]

        def stage(value, registered, name):
            """A pipeline cut: a register that advances with the pipeline, or a wire."""
            if not registered:
                return value
            reg = Signal.like(value, name=name)
            with m.If(advance):
                m.d.sync += reg.eq(value)
            return reg

        # LUT build, one unit per LUT.
        acts = self.act.payload.as_value()
        tables = []
        for l in range(L):
            build = LutBuild(s.graph, s.node_widths, c.act.width, s.entry_width)
            m.submodules[f"build{l}"] = build
            m.d.comb += build.acts.eq(acts[l * mu * c.act.width:(l + 1) * mu * c.act.width])
            tables.append(stage(build.entries, s.cut(0), f"table{l}"))
        keys = stage(self.keys.payload, s.cut(0), "keys_s1")
        control = stage(control, s.cut(0), "ctrl1")

        # Fetch: K fetchers per LUT.
        fetched = [[None] * L for _ in range(K)]
        for l in range(L):
            for k in range(K):
                fetch = Fetch(s.entries, key_index_bits(mu), s.entry_width, s.fetch_width)
                m.submodules[f"fetch{l}_{k}"] = fetch
                m.d.comb += [fetch.entries.eq(tables[l]), fetch.key.eq(keys[l * K + k])]
                fetched[k][l] = stage(fetch.value, s.cut(1), f"fetched{l}_{k}")
        control = stage(control, s.cut(1), "ctrl2")

        # Reduction over the L LUTs of each column.
        tree_registered = [s.cut(2 + i) for i in range(len(s.levels))]
        sums = []
        for k in range(K):
            tree = ReductionTree(s.levels, s.level_bounds, tree_registered)
            m.submodules[f"tree{k}"] = tree
            m.d.comb += tree.en.eq(advance)
            for l in range(L):
                m.d.comb += tree.values[l].eq(fetched[k][l])
            sums.append(tree.sum)
        for i, registered in enumerate(tree_registered):
            control = stage(control, registered, f"ctrl{3 + i}")

        # Accumulate across row blocks; emit on the last one.
        for k in range(K):
            acc = Signal(signed(c.accumulator_width), name=f"acc{k}")
            total = Signal(signed(c.accumulator_width), name=f"total{k}")
            m.d.comb += total.eq(Mux(control.first, 0, acc) + sums[k])
            with m.If(advance & control.valid):
                m.d.sync += acc.eq(total)
            with m.If(advance & control.valid & control.last):
                m.d.sync += self.result.payload.sums[k].eq(total)
        with m.If(advance & control.valid & control.last):
            m.d.sync += self.result.payload.last.eq(control.gemv_last)
        with m.If(advance):
            m.d.sync += [
                self.result.valid.eq(control.valid & control.last),
            ]
        return m
