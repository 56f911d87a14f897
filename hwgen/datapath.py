"""What the LUT cores' datapath shapes share, as plain data derived once from a config.

The generators build exactly these structures, the reference models add in exactly
this order, and the cost models count exactly these adders and registers. Integer
widths are exact ranges, so no path overflows and none is wider than needed. The
integer core's shape is `hwgen.weights.shape.LutCoreShape`, the float core's
`hwgen.floatpath.FloatLutShape`.

Pipeline cut points, in order: after the LUT build, after the fetch (negation
included), then after each reduction-tree level. ``pipeline = p`` registers the
first ``p`` of them; the accumulator register is always there.

`CoreShape` (tree, cuts, latency), `TernaryTableShape` (the float core's ternary table)
and `IntTableShape` (exact table, fetch and tree widths) are the shared parts.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Any

from .formats import key_width, lut_entries, signed_width
from .lutgraph import LutGraph, build_lut_graph
from .schedule import gemv_cycles, token_cycles


def tree_levels(count: int) -> list[list[tuple[int, ...]]]:
    """Balanced pairwise reduction of ``count`` values: per level, groups of 1 (pass) or 2 (add).

    Level ``i`` pairs neighbours ``(2j, 2j+1)`` of the previous level's outputs; an odd
    last value passes through unchanged. This order is part of the arithmetic contract.
    """
    levels = []
    while count > 1:
        level = [(2 * j, 2 * j + 1) for j in range(count // 2)]
        if count % 2:
            level.append((count - 1,))
        levels.append(level)
        count = len(level)
    return levels


def tree_bounds(levels: list[list[tuple[int, ...]]], leaves: int, leaf_bound: int) -> list[list[int]]:
    """Magnitude bound of every value entering and leaving each level of ``levels``."""
    bounds = [[leaf_bound] * leaves]
    for level in levels:
        bounds.append([sum(bounds[-1][i] for i in group) for group in level])
    return bounds


def tree_adder_bits(levels: list[list[tuple[int, ...]]], bounds: list[list[int]]) -> int:
    """Output bits of the two-input adders of a reduction tree as the RTL writes them
    (exact widths of ``bounds``, `tree_bounds`; pass-throughs cost nothing)."""
    return sum(signed_width(-b, b) for level, out in zip(levels, bounds[1:])
               for group, b in zip(level, out) if len(group) == 2)


@dataclass(frozen=True)
class CoreShape:
    """What every core's shape shares: a reduction tree over ``tree_inputs`` values, and
    pipeline cut points registered in order (``pipeline = p`` registers the first ``p``)."""

    config: Any

    @property
    def tree_inputs(self) -> int:
        return self.config.luts

    @cached_property
    def levels(self) -> list[list[tuple[int, ...]]]:
        return tree_levels(self.tree_inputs)

    def cut(self, index: int) -> bool:
        """Is pipeline cut point ``index`` registered?"""
        return index < self.config.pipeline

    @property
    def latency(self) -> int:
        """Cycles from accepting a tile's last beat to its result being valid."""
        return self.config.pipeline + 1

    @property
    def cycles_per_gemv(self) -> int:
        """Cycles of the config's GEMV (the largest shape): `hwgen.schedule.gemv_cycles`."""
        t = self.config.tiling
        return gemv_cycles(t.n, t.m, t.rows_per_tile, t.fetchers, self.latency)

    def cycles_per_program(self) -> int:
        """Cycles of the config's program (`hwgen.config.Workload.program`), GEMV after GEMV."""
        t = self.config.tiling
        return token_cycles([(g.n, g.m, g.count) for g in self.config.workload.program],
                            t.rows_per_tile, t.fetchers, self.latency)


@dataclass(frozen=True)
class TernaryTableShape(CoreShape):
    """A core whose LUT holds the ternary combinations of ``group_size`` activations."""

    @cached_property
    def graph(self) -> LutGraph:
        return build_lut_graph(self.config.group_size)

    @property
    def entries(self) -> int:
        return lut_entries(self.config.group_size)

    @property
    def key_width(self) -> int:
        return key_width(self.config.group_size)


@dataclass(frozen=True)
class IntTableShape(CoreShape):
    """Exact integer widths of a LUT core's table (built by ``graph``), fetch and tree.

    Cut points: 0 after the LUT build, 1 after the fetch, ``2 + i`` after tree level ``i``.
    """

    @cached_property
    def node_ranges(self) -> list[tuple[int, int]]:
        act = self.config.act
        return self.graph.value_ranges(act.min, act.max)

    @cached_property
    def node_widths(self) -> list[int]:
        return [signed_width(lo, hi) for lo, hi in self.node_ranges]

    @cached_property
    def entry_width(self) -> int:
        """One width for the whole table (the widest entry), so the fetch mux is uniform."""
        return max(self.node_widths[n] for n in self.graph.entries)

    @cached_property
    def adder_widths(self) -> list[int]:
        """Output widths of one LUT's build adders (every graph node but the inputs)."""
        return [w for node, w in zip(self.graph.nodes, self.node_widths) if node.op != "in"]

    @cached_property
    def table_bits(self) -> int:
        """Bits of one LUT's table, every entry at its own width."""
        return sum(self.node_widths[n] for n in self.graph.entries)

    @cached_property
    def entry_bound(self) -> int:
        """Largest magnitude of a table entry."""
        return max(max(-self.node_ranges[n][0], self.node_ranges[n][1]) for n in self.graph.entries)

    @property
    def fetch_bound(self) -> int:
        """Largest magnitude a fetched (possibly negated) entry can have."""
        return self.entry_bound

    @property
    def fetch_width(self) -> int:
        return signed_width(-self.fetch_bound, self.fetch_bound)

    @cached_property
    def level_bounds(self) -> list[list[int]]:
        """Magnitude bound of every value entering and leaving each tree level."""
        return tree_bounds(self.levels, self.config.luts, self.fetch_bound)
