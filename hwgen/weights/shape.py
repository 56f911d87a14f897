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
from ..datapath import IntTableShape, tree_bounds
from ..lutgraph import LutGraph
from . import weight_spec
from .graph import build_sum_graph
from .spec import WeightSpec


@dataclass(frozen=True)
class FormatShape(IntTableShape):
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

    @property
    def fetch_bound(self) -> int:
        return self.spec.fetch_bound(self.entry_bound)

    @cached_property
    def correction_bounds(self) -> list[list[int]]:
        """Bit-planes: the same for the tree over the L entry-0 values (``S``)."""
        return tree_bounds(self.levels, self.config.luts, self.entry_bound)

    @property
    def tile_bound(self) -> int:
        """Largest magnitude of one column's contribution per tile (after any correction)."""
        c = self.config
        act = c.act
        return c.luts * c.group_size * max(-act.min, act.max) * self.spec.weight_max_abs

    @property
    def result_lanes(self) -> int:
        """Accumulators per result beat: ``K * lanes`` (lane ``k*lanes + part``)."""
        return self.config.fetchers * self.lanes

    @property
    def naive_adders(self) -> int:
        """Adders of a naive build: every entry summed from its terms on its own."""
        return sum(sum(1 for x in t if x) - 1 for t in self.spec.targets(self.config.group_size))
