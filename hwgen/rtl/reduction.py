"""Reduction tree: the sum of one output column over the L LUTs."""

from amaranth import Module, Signal, signed
from amaranth.lib import data, wiring
from amaranth.lib.wiring import In, Out

from ..formats import signed_width


class ReductionTree(wiring.Component):
    """Balanced pairwise adder tree (`hwgen.datapath.tree_levels` order).

    Parameters
    ----------
    levels : list of list of tuple
        The pairing of every level (`hwgen.datapath.tree_levels`).
    level_bounds : list of list of int
        Largest magnitude of every value entering and leaving each level
        (`LutCoreShape.level_bounds`); widths are derived from them exactly.
    registered : list of bool
        Per tree level, whether its outputs are registered (pipeline cut).

    Attributes
    ----------
    en : In(1)
        Advance the level registers (global pipeline stall when low).
    """

    def __init__(self, levels, level_bounds, registered: list[bool]):
        self._levels = levels
        self._bounds = level_bounds
        self._registered = registered
        in_bound, out_bound = max(level_bounds[0]), level_bounds[-1][0]
        super().__init__({
            "values": In(data.ArrayLayout(signed(signed_width(-in_bound, in_bound)), len(level_bounds[0]))),
            "en": In(1),
            "sum": Out(signed(signed_width(-out_bound, out_bound))),
        })

    def elaborate(self, platform):
        m = Module()
        values = list(self.values)
        for depth, (level, registered) in enumerate(zip(self._levels, self._registered)):
            next_values = []
            for j, group in enumerate(level):
                bound = self._bounds[depth + 1][j]
                out = Signal(signed(signed_width(-bound, bound)), name=f"l{depth}_{j}")
                total = values[group[0]] if len(group) == 1 else values[group[0]] + values[group[1]]
                if registered:
                    with m.If(self.en):
                        m.d.sync += out.eq(total)
                else:
                    m.d.comb += out.eq(total)
                next_values.append(out)
            values = next_values
        m.d.comb += self.sum.eq(values[0])
        return m
