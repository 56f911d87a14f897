"""Structure of the integer LUT core of any weight format as plain data, derived once from a config.

The generator (`hwgen.rtl.lut_core`), the reference model (`sim.reference`) and the
cost model (`costmodel.model`) all read widths, counts and orders from here, so the
RTL, the Python model and the estimate describe one structure. Integer widths are exact
ranges (`hwgen.datapath.IntTableShape`). Pipeline cut points: after the LUT build, after
the fetch, then after each reduction-tree level; the accumulator register is always there.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from ..config import LutConfig
from ..datapath import IntTableShape, tree_bounds
from ..lutgraph import LutGraph
from . import weight_spec
from .spec import WeightSpec


@dataclass(frozen=True)
class LutCoreShape(IntTableShape):
    """Every width, count and latency of one integer LUT core."""

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
        return self.spec.graph(self.config.group_size)

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
        """Adders of the format's naive build baseline (`WeightSpec.naive_adders`)."""
        return self.spec.naive_adders(self.config.group_size)
