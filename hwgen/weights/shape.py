"""Structure of a weight-format LUT core as plain data (the `LutCoreShape` of the other formats).

The generator (`hwgen.rtl.format_core`), the reference model (`sim.format_ref`) and the
cost model (`costmodel.formats_model`) all read widths, counts and orders from here.
Pipeline cut points are the ternary core's: after the LUT build, after the fetch, then
after each reduction-tree level; the accumulator register is always there.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from ..config import LutConfig
from ..datapath import tree_levels
from ..formats import signed_width
from ..lutgraph import LutGraph
from . import weight_spec
from .graph import build_sum_graph
from .spec import WeightSpec


@dataclass(frozen=True)
class FormatShape:
    """Every width, count and latency of one non-ternary LUT core."""

    config: LutConfig

    @property
    def spec(self) -> WeightSpec:
        return weight_spec(self.config.weights)

    @property
    def inputs(self) -> int:
        """Real activation lanes per LUT."""
        return self.spec.inputs(self.config.group_size)

    @property
    def lanes(self) -> int:
        """Output values per column (2 for complex)."""
        return self.spec.lanes

    @cached_property
    def graph(self) -> LutGraph:
        mu = self.config.group_size
        return build_sum_graph(self.spec.inputs(mu), self.spec.targets(mu))

    @property
    def entries(self) -> int:
        return len(self.graph.entries)

    @property
    def key_width(self) -> int:
        return self.spec.key_width(self.config.group_size)

    @cached_property
    def node_ranges(self) -> list[tuple[int, int]]:
        act = self.config.act
        return self.graph.value_ranges(act.min, act.max)

    @cached_property
    def node_widths(self) -> list[int]:
        return [signed_width(lo, hi) for lo, hi in self.node_ranges]

    @cached_property
    def entry_width(self) -> int:
        return max(self.node_widths[n] for n in self.graph.entries)

    @cached_property
    def entry_bound(self) -> int:
        return max(max(-self.node_ranges[n][0], self.node_ranges[n][1]) for n in self.graph.entries)

    @property
    def fetch_bound(self) -> int:
        return self.spec.fetch_bound(self.entry_bound)

    @property
    def fetch_width(self) -> int:
        return signed_width(-self.fetch_bound, self.fetch_bound)

    @cached_property
    def levels(self) -> list[list[tuple[int, ...]]]:
        return tree_levels(self.config.luts)

    def bounds_of(self, leaf_bound: int) -> list[list[int]]:
        bounds = [[leaf_bound] * self.config.luts]
        for level in self.levels:
            prev = bounds[-1]
            bounds.append([sum(prev[i] for i in group) for group in level])
        return bounds

    @cached_property
    def level_bounds(self) -> list[list[int]]:
        """Magnitude bound of every value entering and leaving each tree level (fetched values)."""
        return self.bounds_of(self.fetch_bound)

    @cached_property
    def correction_bounds(self) -> list[list[int]]:
        """Bit-planes: the same for the tree over the L entry-0 values (``S``)."""
        return self.bounds_of(self.entry_bound)

    @property
    def tile_bound(self) -> int:
        """Largest magnitude of one column's contribution per tile (after any correction)."""
        c = self.config
        act = c.act
        return c.luts * c.group_size * max(-act.min, act.max) * self.spec.weight_max_abs

    @property
    def cut_count(self) -> int:
        return 2 + len(self.levels)

    def cut(self, index: int) -> bool:
        return index < self.config.pipeline

    @property
    def latency(self) -> int:
        return self.config.pipeline + 1

    @property
    def cycles_per_gemv(self) -> int:
        return self.config.tiling.tiles + self.latency

    @property
    def result_lanes(self) -> int:
        """Accumulators per result beat: ``K * lanes`` (lane ``k*lanes + part``)."""
        return self.config.fetchers * self.lanes

    @property
    def naive_adders(self) -> int:
        """Adders of a naive build: every entry summed from its terms on its own."""
        return sum(sum(1 for x in t if x) - 1 for t in self.spec.targets(self.config.group_size))
