"""Bit-exact reference model of the integer LUT core, every weight format.

It computes ``Y = A @ W`` the way `hwgen.rtl.lut_core.LutCore` does: the tables of
every row block are built with the format's adder graph (`WeightSpec.graph`), the packed
keys fetch and combine entries with the format's numpy fetch
(`hwgen.weights.spec.WeightSpec.fetch`: the same signed select, swap, shift-and-add as the
RTL; ternary's index 0 reads the constant zero), the L values of every column and lane are
reduced in the tree order of `hwgen.datapath.tree_levels`, bit-plane columns subtract the
entry-0 tree sum and halve, and row blocks accumulate in stream order. For integers the
order cannot change the result; it is kept so float formats can share `build_luts` and
`reduce_tree`. `torch_gemv` is the independent check: the same product as a plain
PyTorch matmul (int64, or complex128 for iFairy).
"""

from __future__ import annotations

import numpy as np

from hwgen.config import LutConfig
from hwgen.errors import InputError
from hwgen.formats import Tiling, check_int_activations, pack_activations
from hwgen.weights import ifairy, pack_format_keys
from hwgen.weights.shape import LutCoreShape


def check_shapes(config, weight_shape: tuple, act_columns: int) -> None:
    """Raise `InputError` unless the data fits the GEMV ``(N, M)`` of ``config``'s workload
    (`hwgen.config.shape_at` gives the config of one GEMV of a programmable core)."""
    n, m = config.workload.n, config.workload.m
    if tuple(weight_shape) != (n, m):
        raise InputError(f"weights have shape {tuple(weight_shape)}, but the GEMV is (N, M) = ({n}, {m})")
    if act_columns != n:
        raise InputError(f"activations have {act_columns} columns, but the GEMV has N = {n} (rows of the weights)")


def build_luts(shape, groups: np.ndarray) -> np.ndarray:
    """LUT tables for activation groups ``(..., inputs)``: ``(..., E + 1)``, entry 0 a zero
    (ternary's zero entry; the other formats drop it)."""
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


def reduce_tree(shape, values: np.ndarray) -> np.ndarray:
    """Sum axis -2 (the L LUTs) in the hardware's pairwise tree order."""
    items = [values[..., l, :] for l in range(values.shape[-2])]
    for level in shape.levels:
        items = [items[g[0]] if len(g) == 1 else items[g[0]] + items[g[1]] for g in level]
    return items[0]


def check_operands(config: LutConfig, weights: np.ndarray, acts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Validate user data: returns ``(codes (N, M), activation lanes (B, N * inputs / mu))``."""
    spec = LutCoreShape(config).spec
    codes = spec.check(weights)
    act = config.act
    if spec.complex:
        parts = ifairy.check_activations(acts, act.min, act.max, act.name)
        lanes = parts.reshape(parts.shape[0], -1)
        count = parts.shape[1]
    else:
        lanes = check_int_activations(acts, act)
        count = lanes.shape[1]
    check_shapes(config, codes.shape, count)
    return codes, lanes


def lane_tiling(config: LutConfig) -> Tiling:
    """Tiling of the activation lanes (``inputs`` lanes per group instead of ``mu``)."""
    s = LutCoreShape(config)
    w = config.workload
    return Tiling(w.n * s.inputs // config.group_size, w.m, s.inputs, config.luts, config.fetchers)


def lut_gemv_codes(config: LutConfig, codes: np.ndarray, lanes: np.ndarray) -> np.ndarray:
    """``(B, M, lanes)`` int64 sums of the core on checked operands."""
    s = LutCoreShape(config)
    spec, t = s.spec, config.tiling
    L, K, mu, P = config.luts, config.fetchers, config.group_size, s.lanes
    batch = lanes.shape[0]
    padded = pack_activations(lanes, lane_tiling(config))[:, : t.row_blocks]  # (B, R, L*inputs)
    tables = build_luts(s, padded.reshape(batch, t.row_blocks, L, s.inputs))[..., 1:]  # (B, R, L, E)

    keys = pack_format_keys(spec, codes, t).reshape(t.col_blocks, t.row_blocks, L, K)
    fetched = spec.fetch(tables[:, None, :, :, None, :], keys[None], mu)  # (B, C, R, L, K, P)
    column = reduce_tree(s, np.moveaxis(fetched, -1, 3))  # (B, C, R, P, K)
    if spec.correction:
        total_s = reduce_tree(s, tables[..., 0][..., None])[..., 0]  # (B, R)
        diff = column[:, :, :, 0, :] - total_s[:, None, :, None]
        if np.any(diff & 1):
            raise ArithmeticError("bit-plane correction must be even (a reference-model bug)")
        column = (diff >> 1)[:, :, :, None, :]
    totals = column[:, :, 0]
    for r in range(1, t.row_blocks):
        totals = totals + column[:, :, r]
    # (B, C, P, K) -> (B, C, K, P) -> (B, M, P)
    return np.moveaxis(totals, 2, 3).reshape(batch, t.padded_m, P)[:, : t.m]


def combine(config: LutConfig, sums: np.ndarray) -> np.ndarray:
    """``(B, M, lanes)`` sums -> int64 ``(B, M)`` or complex128 for complex formats."""
    if LutCoreShape(config).spec.complex:
        return sums[..., 0] + 1j * sums[..., 1]
    return sums[..., 0]


def lut_gemv(config: LutConfig, weights: np.ndarray, acts: np.ndarray) -> np.ndarray:
    """``(B, M)`` result of the core on user data (int64, complex128 for iFairy)."""
    codes, lanes = check_operands(config, weights, acts)
    return combine(config, lut_gemv_codes(config, codes, lanes))


def torch_gemv(weights: np.ndarray, acts: np.ndarray) -> np.ndarray:
    """The same product as one PyTorch matmul of the user's own arrays: no format spec, key
    or table code in the way (int64, or complex128 when either array is complex)."""
    import torch

    a, w = np.atleast_2d(np.asarray(acts)), np.asarray(weights)
    dtype = np.complex128 if np.iscomplexobj(a) or np.iscomplexobj(w) else np.int64
    return (torch.from_numpy(a.astype(dtype)) @ torch.from_numpy(w.astype(dtype))).numpy()
