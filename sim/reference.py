"""Bit-exact reference model of the LUT core.

It computes ``Y = A @ W`` the way the hardware does: the LUT of every row block
is built with the same adder graph (`hwgen.lutgraph`), entries are fetched by the
packed keys and negated by their sign bit, the L fetched values of a column are
reduced in the tree order of `hwgen.datapath.tree_levels`, and partial sums are
accumulated over row blocks in stream order. For integers the order cannot change
the result; it is kept so float formats can share this model.
"""

from __future__ import annotations

import numpy as np

from hwgen.config import LutConfig
from hwgen.weights.shape import LutCoreShape
from hwgen.errors import InputError
from hwgen.formats import check_int_activations, check_ternary, decode_keys, pack_keys


def check_operands(config: LutConfig, weights: np.ndarray, acts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Validate user data against the design: formats, value ranges and shapes."""
    w, a = check_ternary(weights), check_int_activations(acts, config.act)
    check_shapes(config, w.shape, a.shape[1])
    return w, a


def check_shapes(config, weight_shape: tuple, act_columns: int) -> None:
    """Raise `InputError` unless the data fits the GEMV ``(N, M)`` of ``config``'s workload
    (`hwgen.config.shape_at` gives the config of one GEMV of a programmable core)."""
    n, m = config.workload.n, config.workload.m
    if tuple(weight_shape) != (n, m):
        raise InputError(f"weights have shape {tuple(weight_shape)}, but the GEMV is (N, M) = ({n}, {m})")
    if act_columns != n:
        raise InputError(f"activations have {act_columns} columns, but the GEMV has N = {n} (rows of the weights)")


def build_luts(shape: LutCoreShape, groups: np.ndarray) -> np.ndarray:
    """LUT tables for activation groups ``(..., mu)``: ``(..., E + 1)``, entry 0 the zero."""
    values: list[np.ndarray] = []
    for node in shape.graph.nodes:
        if node.op == "in":
            values.append(groups[..., node.a])
        elif node.op == "add":
            values.append(values[node.a] + values[node.b])
        else:
            values.append(values[node.a] - values[node.b])
    zero = np.zeros_like(groups[..., 0])
    return np.stack([zero, *(values[n] for n in shape.graph.entries)], axis=-1)


def reduce_tree(shape: LutCoreShape, values: np.ndarray) -> np.ndarray:
    """Sum axis -2 (the L LUTs) in the hardware's pairwise tree order."""
    items = [values[..., l, :] for l in range(values.shape[-2])]
    for level in shape.levels:
        items = [items[g[0]] if len(g) == 1 else items[g[0]] + items[g[1]] for g in level]
    return items[0]


def lut_gemv(config: LutConfig, weights: np.ndarray, acts: np.ndarray) -> np.ndarray:
    """``(B, M)`` int64 result of the LUT core on ``(B, N)`` activations."""
    weights, acts = check_operands(config, weights, acts)
    shape = LutCoreShape(config)
    t = config.tiling
    L, K, mu = config.luts, config.fetchers, config.group_size
    batch = acts.shape[0]

    padded = np.zeros((batch, t.padded_n), dtype=np.int64)
    padded[:, : t.n] = acts
    tables = build_luts(shape, padded.reshape(batch, t.row_blocks, L, mu))  # (B, R, L, E+1)

    keys = pack_keys(weights, t).reshape(t.col_blocks, t.row_blocks, L, K)
    index, negate = decode_keys(keys, mu)
    # fetched[b, c, r, l, k] = table[b, r, l, index[c, r, l, k]]
    fetched = np.take_along_axis(
        tables[:, None, :, :, :], np.broadcast_to(index[None], (batch, *index.shape)), axis=-1
    )
    fetched = np.where(negate[None].astype(bool), -fetched, fetched)
    column_sums = reduce_tree(shape, fetched)  # (B, C, R, K)
    totals = column_sums[:, :, 0, :]
    for r in range(1, t.row_blocks):
        totals = totals + column_sums[:, :, r, :]
    return totals.reshape(batch, t.padded_m)[:, : t.m]
