"""Float datapath blocks: LUT build, fetch and reduction tree out of `hwgen.fpadd.FpAdder`.

Timing convention: every block has a fixed ``latency`` in cycles of its ``en``
input (the core's ``advance``); every register inside (adder stages, delay
balancing, pipeline cuts) is gated by ``en``, so a stall freezes the block
whole. Values that skip an adder (an input reused as an entry, an odd value
passing a tree level) go through delay registers of the adder's latency, so
every output of a block is aligned.
"""

from __future__ import annotations

from amaranth import Array, Cat, Module, Signal, unsigned
from amaranth.lib import data, wiring
from amaranth.lib.wiring import In, Out

from ..formats import ActivationFormat
from ..fpadd import FpAdder
from ..lutgraph import LutGraph
from .stream_frame import delay

__all__ = ["FloatLutBuild", "FloatFetch", "FloatReductionTree"]


def _adder(m: Module, fmt: ActivationFormat, pipeline: int, en, a, b, sub: bool, name: str):
    add = FpAdder(fmt, pipeline)
    m.submodules[name] = add
    m.d.comb += [add.a.eq(a), add.b.eq(b), add.sub.eq(int(sub))]
    if pipeline:
        m.d.comb += add.en.eq(en)
    return add.result


class FloatLutBuild(wiring.Component):
    """The ``(3**mu - 1) / 2`` float LUT entries of ``mu`` activations.

    One `FpAdder` per `hwgen.lutgraph` node (``sub`` nodes subtract), in the
    graph's order; entries are aligned to ``latency = adder_pipeline * depth``.

    Parameters
    ----------
    graph : LutGraph
    fmt : ActivationFormat
        Float format of activations and entries.
    adder_pipeline : int
        Register stages inside each adder.
    """

    def __init__(self, graph: LutGraph, fmt: ActivationFormat, adder_pipeline: int):
        self._graph, self._fmt, self._a = graph, fmt, adder_pipeline
        super().__init__({
            "acts": In(data.ArrayLayout(unsigned(fmt.width), graph.mu)),
            "en": In(1, init=1),
            "entries": Out(data.ArrayLayout(unsigned(fmt.width), len(graph.entries))),
        })

    @property
    def latency(self) -> int:
        return self._a * self._graph.depth

    def elaborate(self, platform):
        m = Module()
        a = self._a
        values, times = [], []
        aligned = {}

        def at(node: int, t: int):
            """Node ``node``'s value delayed to time ``t`` (registers shared between users)."""
            if t == times[node]:
                return values[node]
            if (node, t) not in aligned:
                aligned[node, t] = delay(m, at(node, t - 1), 1, self.en, f"n{node}_t{t}")
            return aligned[node, t]

        for i, node in enumerate(self._graph.nodes):
            if node.op == "in":
                values.append(self.acts[node.a])
                times.append(0)
                continue
            t = max(times[node.a], times[node.b])
            values.append(_adder(m, self._fmt, a, self.en, at(node.a, t), at(node.b, t),
                                 node.op == "sub", f"add{i}"))
            times.append(t + a)
        for index, node_id in enumerate(self._graph.entries):
            m.d.comb += self.entries[index].eq(at(node_id, self.latency))
        return m


class FloatFetch(wiring.Component):
    """``(E+1):1`` mux over the entries (index 0 reads ``+0``), negated by flipping the sign bit.

    Parameters
    ----------
    entries, index_bits, width : int
        Built entries E, the key's index bits (the sign bit sits above) and the format's width.
    """

    def __init__(self, entries: int, index_bits: int, width: int):
        self._index_bits = index_bits
        super().__init__({
            "entries": In(data.ArrayLayout(unsigned(width), entries)),
            "key": In(unsigned(index_bits + 1)),
            "value": Out(unsigned(width)),
        })

    def elaborate(self, platform):
        m = Module()
        width = len(self.value)
        unused = (1 << self._index_bits) - 1 - len(self.entries)
        table = Array([0, *self.entries, *([0] * unused)])
        selected = Signal(width, name="selected")
        m.d.comb += selected.eq(table[self.key[: self._index_bits]])
        negate = self.key[self._index_bits]
        m.d.comb += self.value.eq(Cat(selected[: width - 1], selected[width - 1] ^ negate))
        return m


class FloatReductionTree(wiring.Component):
    """Pairwise float adder tree in `hwgen.datapath.tree_levels` order.

    Parameters
    ----------
    levels : list of list of tuple
        Pairing per level.
    count : int
        Values entering the tree.
    fmt : ActivationFormat
    adder_pipeline : int
        Register stages inside each adder (an odd value passing a level is delayed as much).
    registered : list of bool
        Per level, a pipeline cut register after it.
    """

    def __init__(self, levels, count: int, fmt: ActivationFormat, adder_pipeline: int, registered: list[bool]):
        self._levels, self._fmt, self._a, self._registered = levels, fmt, adder_pipeline, registered
        super().__init__({
            "values": In(data.ArrayLayout(unsigned(fmt.width), count)),
            "en": In(1, init=1),
            "sum": Out(unsigned(fmt.width)),
        })

    @property
    def latency(self) -> int:
        return sum(self._a + int(r) for r in self._registered)

    def elaborate(self, platform):
        m = Module()
        values = list(self.values)
        for depth, (level, registered) in enumerate(zip(self._levels, self._registered)):
            next_values = []
            for j, group in enumerate(level):
                name = f"l{depth}_{j}"
                if len(group) == 1:
                    out = delay(m, values[group[0]], self._a, self.en, name)
                else:
                    out = _adder(m, self._fmt, self._a, self.en, values[group[0]], values[group[1]], False, name)
                next_values.append(delay(m, out, int(registered), self.en, f"{name}_cut"))
            values = next_values
        m.d.comb += self.sum.eq(values[0])
        return m
