"""LUT build unit: all non-zero signed sums of a group of activations."""

from amaranth import Module, Signal, signed
from amaranth.lib import data, wiring
from amaranth.lib.wiring import In, Out

from ..lutgraph import LutGraph


class LutBuild(wiring.Component):
    """Builds the ``(3**mu - 1) / 2`` LUT entries from ``mu`` activations.

    Combinational; the adder graph (`hwgen.lutgraph`) shares sub-expressions and
    uses sign symmetry, so it holds ``graph.adders`` adders.

    Parameters
    ----------
    graph : LutGraph
        The build graph for this group size.
    node_widths : list of int
        Exact signed width of every graph node (from `LutCoreShape`).
    act_width, entry_width : int
        Widths of one activation and of one output entry.
    """

    def __init__(self, graph: LutGraph, node_widths: list[int], act_width: int, entry_width: int):
        self._graph = graph
        self._node_widths = node_widths
        super().__init__({
            "acts": In(data.ArrayLayout(signed(act_width), graph.mu)),
            "entries": Out(data.ArrayLayout(signed(entry_width), len(graph.entries))),
        })

    @property
    def adders(self) -> int:
        return self._graph.adders

    def elaborate(self, platform):
        m = Module()
        values = []
        for i, (node, width) in enumerate(zip(self._graph.nodes, self._node_widths)):
            value = Signal(signed(width), name=f"n{i}")
            if node.op == "in":
                m.d.comb += value.eq(self.acts[node.a])
            elif node.op == "add":
                m.d.comb += value.eq(values[node.a] + values[node.b])
            else:
                m.d.comb += value.eq(values[node.a] - values[node.b])
            values.append(value)
        for index, node_id in enumerate(self._graph.entries):
            m.d.comb += self.entries[index].eq(values[node_id])
        return m
