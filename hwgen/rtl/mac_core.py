"""The multiplier-based MAC baseline (``kind: mac``) with the LUT core's streaming interface.

Per cycle a tile of ``rows x columns`` weights meets ``rows`` activations:
``rows * columns`` products (sign-select for ternary weights, integer or float
multipliers otherwise), one pairwise adder tree over the rows per column
(`hwgen.datapath.tree_levels` order), and an accumulator per column across row
blocks. Ports:

* ``act``: ``rows`` activations (integers: two's complement; floats: bit patterns);
* ``keys``: ``rows * columns`` weight lanes, lane ``r*columns + k``
  (`hwgen.floatpath.pack_mac_weights`): ternary 2-bit codes
  (`hwgen.floatpath.ternary_weight_code`), int8 two's complement, or fp16 patterns;
* ``result``: ``columns`` sums and ``last``, one beat per column block.

Float products: ternary ``+1`` passes the activation, ``-1`` flips its sign bit,
``0`` gives ``+0``; fp16 weights go through `hwgen.fpmul.FpMultiplier`, rounded
once into the activation format. Pipelining: `hwgen.floatpath`.
"""

from amaranth import Cat, Module, Mux, Signal, signed, unsigned
from amaranth.lib import data, stream, wiring
from amaranth.lib.wiring import In, Out

from ..config import MacConfig
from ..floatpath import MacShape
from ..fpmul import FpMultiplier
from .float_blocks import FloatReductionTree
from .float_core import float_accumulate, float_result_layout
from .lut_core import result_layout
from .reduction import ReductionTree
from .stream_frame import accumulate, delay, emit_result, frame_ports, stream_frame

__all__ = ["MacCore"]


class MacCore(wiring.Component):
    """A MAC baseline core for one validated `MacConfig`."""

    def __init__(self, config: MacConfig):
        self.config = config
        self.shape = MacShape(config)
        c, s = config, self.shape
        act_shape = unsigned(c.act.width) if c.is_float else signed(c.act.width)
        w_shape = signed(8) if c.weights == "int8" else unsigned(s.weight_width)
        out = (float_result_layout(c.columns, c.acc_format.width) if c.is_float
               else result_layout(c.columns, c.accumulator_width))
        super().__init__({
            **frame_ports(c.workload, data.ArrayLayout(act_shape, c.rows)),
            "keys": In(stream.Signature(data.ArrayLayout(w_shape, c.rows * c.columns))),
            "result": Out(stream.Signature(out)),
        })

    def _product(self, m: Module, a, w, name: str):
        c = self.config
        if c.weights == "ternary":
            nonzero, negative = w[0], w[1]
            if c.is_float:
                flipped = Cat(a[: c.act.width - 1], a[c.act.width - 1] ^ negative)
                return Mux(nonzero, flipped, 0)
            return Mux(nonzero, Mux(negative, -a, a), 0)
        if c.weights == "int8":
            return a * w
        mul = FpMultiplier(c.act, "fp16", c.act)
        m.submodules[name] = mul
        m.d.comb += [mul.a.eq(a), mul.b.eq(w)]
        return mul.result

    def elaborate(self, platform):
        m = Module()
        c, s = self.config, self.shape
        R, K = c.rows, c.columns

        advance, control, acts = stream_frame(m, self, c.workload, R, K)

        # Products, then cut 0.
        pshape = unsigned(s.product_width) if c.is_float else signed(s.product_width)
        products = [[None] * R for _ in range(K)]
        for r in range(R):
            for k in range(K):
                value = Signal(pshape, name=f"p{r}_{k}")
                m.d.comb += value.eq(self._product(m, acts[r], self.keys.payload[r * K + k],
                                                   f"mul{r}_{k}"))
                products[k][r] = delay(m, value, int(s.cut(0)), advance, f"prod{r}_{k}")
        control = delay(m, control, int(s.cut(0)), advance, "ctrl_prod")

        # Adder tree over the rows of each column.
        registered = [s.cut(1 + i) for i in range(len(s.levels))]
        sums = []
        for k in range(K):
            if c.is_float:
                tree = FloatReductionTree(s.levels, R, c.act, c.adder_pipeline, registered)
            else:
                tree = ReductionTree(s.levels, s.level_bounds, registered)
            m.submodules[f"tree{k}"] = tree
            m.d.comb += tree.en.eq(advance)
            for r in range(R):
                m.d.comb += tree.values[r].eq(products[k][r])
            sums.append(tree.sum)
        a = c.adder_pipeline if c.is_float else 0
        control = delay(m, control, sum(a + int(x) for x in registered), advance, "ctrl_tree")

        if c.is_float:
            float_accumulate(m, sums, control, advance, c.act, c.acc_format, self.result)
            return m
        for k in range(K):
            accumulate(m, str(k), signed(c.accumulator_width),
                       lambda acc, k=k: Mux(control.first, 0, acc) + sums[k],
                       control, advance, self.result.payload.sums[k])
        emit_result(m, control, advance, self.result)
        return m
