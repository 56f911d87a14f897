"""Structure of the float LUT core and of the MAC baseline as plain data (counts, latencies).

Float LUT core pipeline
-----------------------
Two parameters set the depth, and every combination is bit-exact (the
arithmetic does not depend on where the registers are):

- ``pipeline`` registers the cut points of the integer core, in order: after
  the LUT build, after the fetch, after each reduction-tree level
  (0 .. ``2 + ceil(log2 L)``);
- ``adder_pipeline`` (0..3) puts that many register stages inside every LUT-build
  and tree `hwgen.fpadd.FpAdder` (its own stage placement); values that bypass an
  adder are delayed as much, so each block's outputs stay aligned.

Latency from a column block's last beat to its result:
``pipeline + adder_pipeline * (ceil(log2 mu) + ceil(log2 L)) + 1``.

**Accumulation is single-cycle.** The accumulator is a loop-carried dependency
(``acc <- acc + sum`` on back-to-back row blocks of a column block), so its
adder is always combinational: a pipelined accumulator would need interleaved
partial sums per column and a final combine, which changes the order of the
additions (and the bits). It is the only float adder not pipelined; the clock
is bounded by one float add plus the restart mux there.

MAC baseline pipeline
---------------------
``pipeline`` registers: after the products, then after each adder-tree level
(0 .. ``1 + ceil(log2 rows)``); float trees take ``adder_pipeline`` as above.
Latency: ``pipeline + adder_pipeline * ceil(log2 rows) + 1``.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np

from .config import FloatLutConfig, MacConfig, mac_weight_max_abs
from .datapath import CoreShape, TernaryTableShape, tree_bounds
from .formats import signed_width

__all__ = ["FloatLutShape", "MacShape", "ternary_weight_code"]


@dataclass(frozen=True)
class FloatLutShape(TernaryTableShape):
    """Counts and latencies of one float LUT core."""

    config: FloatLutConfig

    @property
    def build_latency(self) -> int:
        return self.config.adder_pipeline * self.graph.depth

    @property
    def tree_latency(self) -> int:
        return sum(self.config.adder_pipeline + int(self.cut(2 + i)) for i in range(len(self.levels)))

    @property
    def latency(self) -> int:
        return int(self.cut(0)) + self.build_latency + int(self.cut(1)) + self.tree_latency + 1

    @property
    def build_adders(self) -> int:
        return self.config.luts * self.graph.adders

    @property
    def tree_adders(self) -> int:
        return self.config.fetchers * (self.config.luts - 1)


def ternary_weight_code(w):
    """MAC ternary weight lane: 2 bits, bit 0 = non-zero, bit 1 = negative (+1 -> 1, -1 -> 3, 0 -> 0)."""
    return (w != 0).astype("int64") | ((w < 0).astype("int64") << 1)


@dataclass(frozen=True)
class MacShape(CoreShape):
    """Counts, widths and latencies of one MAC baseline core."""

    config: MacConfig

    @property
    def weight_width(self) -> int:
        return {"ternary": 2, "int8": 8, "fp16": 16}[self.config.weights]

    @property
    def tree_inputs(self) -> int:
        return self.config.rows

    @property
    def product_bound(self) -> int:
        """Integer designs: largest product magnitude."""
        act = self.config.act
        return max(-act.min, act.max) * mac_weight_max_abs(self.config.weights)

    @property
    def product_width(self) -> int:
        if self.config.is_float:
            return self.config.act.width
        return signed_width(-self.product_bound, self.product_bound)

    @cached_property
    def level_bounds(self) -> list[list[int]]:
        return tree_bounds(self.levels, self.config.rows, self.product_bound)

    @property
    def latency(self) -> int:
        a = self.config.adder_pipeline if self.config.is_float else 0
        return int(self.cut(0)) + sum(a + int(self.cut(1 + i)) for i in range(len(self.levels))) + 1

    @property
    def multipliers(self) -> int:
        return 0 if self.config.weights == "ternary" else self.config.rows * self.config.columns

    @property
    def tree_adders(self) -> int:
        return self.config.columns * (self.config.rows - 1)


def pack_mac_weights(codes, tiling):
    """Weight stream of the MAC core: ``(tiles, rows*K)``, lane ``r*K + k``, tile ``c*R + r``.

    ``codes`` is the ``(N, M)`` matrix of lane values (ternary: `ternary_weight_code`;
    int8: the integers; fp16: bit patterns); padding is 0 (a zero weight in every format).
    """
    t = tiling
    w = np.zeros((t.padded_n, t.padded_m), dtype=np.int64)
    w[: t.n, : t.m] = codes
    blocks = w.reshape(t.row_blocks, t.rows_per_tile, t.col_blocks, t.fetchers).transpose(2, 0, 1, 3)
    return blocks.reshape(t.tiles, t.rows_per_tile * t.fetchers)
