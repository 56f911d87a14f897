"""Bit-exact reference of the float LUT core (and the float operators the MAC baseline adds).

Every addition is done by `sim.fpref.fp_add` on bit patterns, in exactly the
hardware's order, the order of `sim.reference.lut_gemv`:

1. **LUT build** per `hwgen.lutgraph` (node ops ``in``/``add``/``sub`` in
   topological order, one rounding per node);
2. **fetch**: entry ``index`` (entry 0 is ``+0``), negated by flipping the sign
   bit when the key's sign is set (no rounding; NaN patterns pass unchanged);
3. **reduction tree** over the L LUTs of a column in `hwgen.datapath.tree_levels`
   order (an odd value passes a level unchanged);
4. **accumulation** across row blocks in stream order: the column sum, widened
   to the accumulation format (`fp_widen`, exact), starts the sum on row block
   0 (no addition with zero), and ``acc + sum`` is rounded once per further row
   block.

`sim.torch_reference` computes the same with PyTorch operators, and a test
checks the two agree bit for bit.
"""

from __future__ import annotations

import numpy as np

from hwgen.config import FloatLutConfig
from hwgen.datapath import tree_levels
from hwgen.errors import InputError
from hwgen.formats import ACTIVATIONS, check_ternary, decode_keys, pack_keys
from hwgen.fpadd import float_format
from hwgen.lutgraph import build_lut_graph

from .fpref import fp_add, from_bits, round_to_bits, to_bits
from .reference import check_shapes

__all__ = [
    "fp_widen", "fp_mul", "fp_neg", "check_float_activations", "check_float_operands",
    "ordered_tree", "ordered_accumulate", "float_lut_gemv", "result_values", "RESULT_DTYPES",
]

#: numpy dtype of ``Y`` per accumulation format: float16 holds fp16 and both fp8 exactly;
#: bf16 values are returned in float32 (exact: bf16 is float32 with a shorter mantissa).
RESULT_DTYPES = {"fp16": np.float16, "fp8_e4m3": np.float16, "fp8_e5m2": np.float16, "bf16": np.float32}


def fp_neg(bits, fmt) -> np.ndarray:
    """Sign flip of bit patterns (what the fetch negator does; NaNs included)."""
    fmt = float_format(fmt)
    return (np.asarray(bits).astype(np.uint16) ^ np.uint16(1 << (fmt.width - 1))).astype(np.uint16)


def fp_widen(bits, narrow, wide) -> np.ndarray:
    """Exact conversion ``narrow`` -> ``wide`` (`hwgen.fpconv.FpWiden`); NaN -> canonical NaN."""
    narrow, wide = float_format(narrow), float_format(wide)
    bits = np.asarray(bits).astype(np.uint16)
    if narrow == wide:
        return bits
    return round_to_bits(from_bits(bits, narrow), wide)  # exact: wide holds every narrow value


def fp_mul(a_bits, b_bits, fmt_a, fmt_b, fmt_out) -> np.ndarray:
    """``a * b`` rounded once into ``fmt_out`` (`hwgen.fpmul.FpMultiplier`).

    The float64 product of two of these formats is exact (at most 11 + 11
    significant bits, exponents within +-300), so `round_to_bits` is the only rounding.
    """
    a, b = from_bits(a_bits, fmt_a), from_bits(b_bits, fmt_b)
    with np.errstate(invalid="ignore", over="ignore"):
        return round_to_bits(a * b, fmt_out)


def check_float_activations(acts: np.ndarray, fmt, name: str = "activations") -> np.ndarray:
    """Float activations ``(N,)`` or ``(B, N)`` holding values of ``fmt`` -> ``(B, N)`` uint16 patterns.

    Any float (or integer) array is accepted as long as every value is exactly
    representable; NaN becomes the canonical NaN. Anything else is an `InputError`.
    """
    fmt = float_format(fmt)
    acts = np.asarray(acts)
    if acts.ndim not in (1, 2):
        raise InputError(f"{name} must have shape (N,) or (B, N), got {acts.shape}")
    if acts.dtype.kind not in "fiu":
        raise InputError(f"{name} for {fmt.name} must be a float array (float16/float32), got dtype {acts.dtype}")
    try:
        return np.atleast_2d(to_bits(acts, fmt))
    except InputError as exc:
        raise InputError(f"{name}: {exc}") from None


def check_float_operands(config, weights: np.ndarray, acts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Ternary weights (int8) and activation bit patterns, checked against the design."""
    w, a = check_ternary(weights), check_float_activations(acts, config.act)
    check_shapes(config, w.shape, a.shape[1])
    return w, a


def ordered_tree(levels, items: list, add) -> object:
    """Reduce ``items`` pairwise in `tree_levels` order with ``add(a, b)``."""
    for level in levels:
        items = [items[g[0]] if len(g) == 1 else add(items[g[0]], items[g[1]]) for g in level]
    return items[0]


def ordered_accumulate(column_sums: list, add) -> object:
    """Row block 0 starts the sum, every further row block is added in stream order."""
    total = column_sums[0]
    for value in column_sums[1:]:
        total = add(total, value)
    return total


def build_float_luts(mu: int, groups: np.ndarray, fmt) -> np.ndarray:
    """LUT tables (bit patterns) for groups ``(..., mu)``: ``(..., E + 1)``, entry 0 is ``+0``."""
    graph = build_lut_graph(mu)
    values: list[np.ndarray] = []
    for node in graph.nodes:
        if node.op == "in":
            values.append(groups[..., node.a].astype(np.uint16))
        else:
            values.append(fp_add(values[node.a], values[node.b], fmt, sub=node.op == "sub"))
    zero = np.zeros_like(groups[..., 0], dtype=np.uint16)
    return np.stack([zero, *(values[n] for n in graph.entries)], axis=-1)


def float_lut_gemv(config: FloatLutConfig, weights: np.ndarray, acts: np.ndarray) -> np.ndarray:
    """``(B, M)`` result bit patterns (accumulation format) of the float LUT core.

    ``acts`` are float values (checked with `check_float_activations`).
    """
    weights, bits = check_float_operands(config, weights, acts)
    return float_lut_gemv_bits(config, weights, bits)


def float_lut_gemv_bits(config: FloatLutConfig, weights: np.ndarray, bits: np.ndarray) -> np.ndarray:
    """`float_lut_gemv` on already checked ternary weights and ``(B, N)`` activation patterns."""
    fmt, acc = config.act, config.acc_format
    t = config.tiling
    L, K, mu = config.luts, config.fetchers, config.group_size
    batch = bits.shape[0]
    padded = np.zeros((batch, t.padded_n), dtype=np.uint16)  # padding rows are +0
    padded[:, : t.n] = bits
    tables = build_float_luts(mu, padded.reshape(batch, t.row_blocks, L, mu), fmt)  # (B, R, L, E+1)
    keys = pack_keys(weights, t).reshape(t.col_blocks, t.row_blocks, L, K)
    index, negate = decode_keys(keys, mu)
    fetched = np.take_along_axis(
        tables[:, None, :, :, :], np.broadcast_to(index[None], (batch, *index.shape)), axis=-1
    )  # (B, C, R, L, K)
    fetched = np.where(negate[None].astype(bool), fp_neg(fetched, fmt), fetched)
    items = [fetched[..., l, :] for l in range(L)]
    column = ordered_tree(tree_levels(L), items, lambda a, b: fp_add(a, b, fmt))  # (B, C, R, K)
    column = fp_widen(column, fmt, acc)
    totals = ordered_accumulate([column[:, :, r, :] for r in range(t.row_blocks)],
                                lambda a, b: fp_add(a, b, acc))  # (B, C, K)
    return totals.reshape(batch, t.padded_m)[:, : t.m].astype(np.uint16)


def result_values(bits: np.ndarray, fmt) -> np.ndarray:
    """Result patterns -> the ``Y`` array the user gets (`RESULT_DTYPES`), exactly."""
    fmt = float_format(fmt)
    return from_bits(bits, fmt).astype(RESULT_DTYPES[fmt.name])


assert set(RESULT_DTYPES) == {k for k, v in ACTIVATIONS.items() if v.is_float}
