"""The LUT-based ternary GEMV core: build, fetch, reduce, accumulate.

Streaming interface (all `amaranth.lib.stream`, valid/ready; `hwgen.rtl.stream_frame`):

* ``cmd``: one beat per GEMV, its ``n`` and ``m``; ``error`` flags a rejected command.
* ``act``: one beat per row block, once per GEMV: ``L*mu`` signed activations (lane
  ``l*mu + j``), kept in the activation buffer.
* ``keys``: one beat per tile, ``L*K`` ternary keys (lane ``l*K + k``), in the tile
  order of `hwgen.formats` (column block outer, row block inner).
* ``result``: one beat per column block: ``K`` accumulated sums and ``last``,
  set on the final column block of a GEMV.

The whole pipeline stalls while a result waits for ``result.ready``.
"""

from amaranth import Module, Mux, signed, unsigned
from amaranth.lib import data, stream, wiring
from amaranth.lib.wiring import In, Out

from ..config import LutConfig
from ..datapath import LutCoreShape
from ..formats import key_index_bits
from .lut_build import LutBuild
from .reduction import ReductionTree
from .signed_select import SignedSelect
from .stream_frame import accumulate, delay, emit_result, frame_ports, stream_frame


def result_layout(fetchers: int, acc_width: int) -> data.StructLayout:
    return data.StructLayout({"sums": data.ArrayLayout(signed(acc_width), fetchers), "last": 1})


class LutCore(wiring.Component):
    """A ternary LUT GEMV core for one validated `LutConfig`."""

    def __init__(self, config: LutConfig):
        self.config = config
        self.shape = LutCoreShape(config)
        c, s = config, self.shape
        super().__init__({
            **frame_ports(c.workload, data.ArrayLayout(signed(c.act.width), c.luts * c.group_size)),
            "keys": In(stream.Signature(data.ArrayLayout(unsigned(s.key_width), c.luts * c.fetchers))),
            "result": Out(stream.Signature(result_layout(c.fetchers, c.accumulator_width))),
        })

    def elaborate(self, platform):
        m = Module()
        c, s = self.config, self.shape
        L, K, mu = c.luts, c.fetchers, c.group_size

        advance, control, acts = stream_frame(m, self, c.workload, L * mu, K)
        acts = acts.as_value()

        # LUT build, one unit per LUT.
        tables = []
        for l in range(L):
            build = LutBuild(s.graph, s.node_widths, c.act.width, s.entry_width)
            m.submodules[f"build{l}"] = build
            m.d.comb += build.acts.eq(acts[l * mu * c.act.width:(l + 1) * mu * c.act.width])
            tables.append(delay(m, build.entries, int(s.cut(0)), advance, f"table{l}"))
        keys = delay(m, self.keys.payload, int(s.cut(0)), advance, "keys_s1")
        control = delay(m, control, int(s.cut(0)), advance, "ctrl1")

        # Fetch: K fetchers per LUT.
        fetched = [[None] * L for _ in range(K)]
        for l in range(L):
            for k in range(K):
                fetch = SignedSelect(s.entries, key_index_bits(mu), s.entry_width, s.fetch_width, zero_entry=True)
                m.submodules[f"fetch{l}_{k}"] = fetch
                m.d.comb += [fetch.entries.eq(tables[l]), fetch.key.eq(keys[l * K + k])]
                fetched[k][l] = delay(m, fetch.value, int(s.cut(1)), advance, f"fetched{l}_{k}")
        control = delay(m, control, int(s.cut(1)), advance, "ctrl2")

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
            control = delay(m, control, int(registered), advance, f"ctrl{3 + i}")

        # Accumulate across row blocks; emit on the last one.
        for k in range(K):
            accumulate(m, str(k), signed(c.accumulator_width),
                       lambda acc, k=k: Mux(control.first, 0, acc) + sums[k],
                       control, advance, self.result.payload.sums[k])
        emit_result(m, control, advance, self.result)
        return m
