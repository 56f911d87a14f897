"""The integer LUT GEMV core of every weight format: build, fetch, reduce, accumulate.

Streaming interface (all `amaranth.lib.stream`, valid/ready; `hwgen.rtl.stream_frame`):

* ``cmd``: one beat per GEMV, its ``n`` and ``m``; ``error`` flags a rejected command.
* ``act``: one beat per row block, once per GEMV: ``L * inputs`` signed lanes (lane
  ``l*inputs + j``; iFairy: ``(re, im)`` per activation), kept in the activation buffer.
* ``keys``: one beat per tile, ``L*K`` keys of the format (lane ``l*K + k``), in the tile
  order of `hwgen.formats` (column block outer, row block inner).
* ``result``: one beat per column block: ``K * lanes`` accumulated sums (lane
  ``k*lanes + part``) and ``last``, set on the final column block of a GEMV.

The format's pieces (all described by `hwgen.weights.shape.LutCoreShape` from the format's
`hwgen.weights.spec.WeightSpec`) plug into one pipeline:

* build: `LutBuild` over the format's adder graph (`WeightSpec.graph`);
* fetch: `make_fetch`, ``lanes`` values per column;
* reduce: one `ReductionTree` per column and lane; bit-planes add one tree over the
  L entry-0 values (``S``) and each column subtracts it and halves;
* accumulate across row blocks, emit on the last one.

The whole pipeline stalls while a result waits for ``result.ready``.
"""

from amaranth import Module, Mux, Signal, signed, unsigned
from amaranth.lib import data, stream, wiring
from amaranth.lib.wiring import In, Out

from ..config import LutConfig
from ..formats import signed_width
from ..weights.shape import LutCoreShape
from .bitplane_core import BitplaneFetch
from .ifairy_core import IfairyFetch
from .lut_build import LutBuild
from .reduction import ReductionTree
from .select_fetch import SelectFetch
from .signed_select import SignedSelect
from .stream_frame import accumulate, delay, emit_result, frame_ports, stream_frame


def result_layout(fetchers: int, acc_width: int) -> data.StructLayout:
    return data.StructLayout({"sums": data.ArrayLayout(signed(acc_width), fetchers), "last": 1})


def make_fetch(shape: LutCoreShape) -> wiring.Component:
    """The format's fetch unit for one (LUT, column). A zero-entry select (ternary) is one
    `SignedSelect` with a single ``value``; the others give ``values`` (one per lane)."""
    spec, mu = shape.spec, shape.config.group_size
    if spec.zero_entry:
        return SignedSelect(shape.entries, spec.index_bits(mu), shape.entry_width, shape.fetch_width,
                            zero_entry=True)
    if spec.signed_select:
        return SelectFetch(shape.entries, spec.index_bits(mu), shape.entry_width, shape.fetch_width)
    if spec.complex:
        return IfairyFetch(mu, shape.entry_width, shape.fetch_width)
    return BitplaneFetch(spec.bits, mu, shape.entry_width, shape.entry_bound)


class LutCore(wiring.Component):
    """An integer LUT GEMV core for one validated `LutConfig` (any weight format)."""

    def __init__(self, config: LutConfig):
        self.config = config
        self.shape = s = LutCoreShape(config)
        c = config
        super().__init__({
            **frame_ports(c.workload, data.ArrayLayout(signed(c.act.width), c.luts * s.inputs)),
            "keys": In(stream.Signature(data.ArrayLayout(unsigned(s.key_width), c.luts * c.fetchers))),
            "result": Out(stream.Signature(result_layout(s.result_lanes, c.accumulator_width))),
        })

    def elaborate(self, platform):
        m = Module()
        c, s = self.config, self.shape
        L, K, P, n_in = c.luts, c.fetchers, s.lanes, s.inputs

        advance, control, acts = stream_frame(m, self, c.workload, L * c.group_size, K)
        acts = acts.as_value()

        # LUT build, one unit per LUT.
        w = c.act.width
        tables = []
        for l in range(L):
            build = LutBuild(s.graph, s.node_widths, w, s.entry_width)
            m.submodules[f"build{l}"] = build
            m.d.comb += build.acts.eq(acts[l * n_in * w:(l + 1) * n_in * w])
            tables.append(delay(m, build.entries, int(s.cut(0)), advance, f"table{l}"))
        keys = delay(m, self.keys.payload, int(s.cut(0)), advance, "keys_s1")
        control = delay(m, control, int(s.cut(0)), advance, "ctrl1")

        # Fetch: K fetch units per LUT, P values each.
        fetched = [[[None] * L for _ in range(P)] for _ in range(K)]
        for l in range(L):
            for k in range(K):
                fetch = make_fetch(s)
                m.submodules[f"fetch{l}_{k}"] = fetch
                m.d.comb += [fetch.entries.eq(tables[l]), fetch.key.eq(keys[l * K + k])]
                if s.spec.zero_entry:
                    fetched[k][0][l] = delay(m, fetch.value, int(s.cut(1)), advance, f"fetched{l}_{k}")
                    continue
                values = delay(m, fetch.values, int(s.cut(1)), advance, f"fetched{l}_{k}")
                for p in range(P):
                    fetched[k][p][l] = values[p]
        corr_leaves = [delay(m, tables[l][0], int(s.cut(1)), advance, f"entry0_{l}") for l in range(L)] if s.spec.correction else []
        control = delay(m, control, int(s.cut(1)), advance, "ctrl2")

        # Reduction over the L LUTs of every column and lane.
        tree_registered = [s.cut(2 + i) for i in range(len(s.levels))]

        def tree(name, leaves, bounds):
            t = ReductionTree(s.levels, bounds, tree_registered)
            m.submodules[name] = t
            m.d.comb += t.en.eq(advance)
            for l, leaf in enumerate(leaves):
                m.d.comb += t.values[l].eq(leaf)
            return t.sum

        sums = [[tree(f"tree{k}_{p}" if P > 1 else f"tree{k}", fetched[k][p], s.level_bounds)
                 for p in range(P)] for k in range(K)]
        if s.spec.correction:
            total_s = tree("tree_entry0", corr_leaves, s.correction_bounds)
            diff_bound = s.level_bounds[-1][0] + s.correction_bounds[-1][0]
            for k in range(K):
                diff = Signal(signed(signed_width(-diff_bound, diff_bound)), name=f"corrected{k}")
                half = Signal(signed(signed_width(-s.tile_bound, s.tile_bound)), name=f"tile_sum{k}")
                m.d.comb += [diff.eq(sums[k][0] - total_s), half.eq(diff.shift_right(1))]
                sums[k][0] = half
        for i, registered in enumerate(tree_registered):
            control = delay(m, control, int(registered), advance, f"ctrl{3 + i}")

        # Accumulate across row blocks; emit on the last one.
        for k in range(K):
            for p in range(P):
                lane = k * P + p
                accumulate(m, str(lane), signed(c.accumulator_width),
                           lambda acc, k=k, p=p: Mux(control.first, 0, acc) + sums[k][p],
                           control, advance, self.result.payload.sums[lane])
        emit_result(m, control, advance, self.result)
        return m
