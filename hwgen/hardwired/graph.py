"""Constant adder graphs for a hardwired ``(N, M)`` weight matrix.

Every output neuron ``y[j] = sum_i W[i, j] * a[i]`` is an adder tree over signed,
shifted activation terms:

1. **Signed digits.** Each weight is written in canonical signed digits (CSD,
   non-adjacent form), ``W[i, j] = sum_k d[i, j, k] 2**k`` with ``d`` in {-1, 0, 1}
   (a ternary weight is its own single digit). The ``N * D`` terms
   ``d * (a[i] << k)`` are laid out input-major (``row = i * D + k``); zero digits
   are pruned (they pass through without an adder).
2. **Balanced pairwise tree.** Level ``l`` combines rows ``2r`` and ``2r+1`` of
   level ``l - 1``: if one is zero the other passes through unchanged, otherwise
   one adder computes ``(L << sl) +/- (R << sr)``. So every neuron is a balanced
   tree of depth ``ceil(log2(N * D))``, the same for all neurons, which makes
   register cuts uniform.
3. **Sharing (multiple-constant-multiplication style CSE).** A value is
   normalized to ``sign * (node << shift)`` with the left child positive and the
   smaller shift 0; equal normalized pairs in the same block are built once and
   reused by every neuron (with its own sign and shift). The first ``log2(D)``
   levels thus share the constant multiples ``c * a[i]`` of each input across
   neurons (MCM); the next levels share sub-sums of neighbouring inputs (a block
   of 2, 4, 8 ... inputs has only ``(3**b - 1) / 2`` ternary patterns, far fewer
   than M neurons), until blocks are large enough that patterns stop repeating.
4. **Outputs.** ``y[j] = sign * (node << shift)``; a negative sign costs one
   negation (counted as an adder).

The graph is built with numpy, a level at a time (``np.unique`` over the packed
pair keys), so a 2560 x 2560 ternary layer takes a few seconds.
"""

from __future__ import annotations

import numpy as np

from hwgen.errors import ConfigError

from .adder_graph import AdderGraph, csd_digits, last_uses
from .cse import all_pairs_graph

__all__ = ["build_graph"]

_ID_BITS = 27
_SH_BITS = 4


def _bounds_of(lo, hi, idx, shift):
    return lo[idx] << shift, hi[idx] << shift


def build_graph(weights: np.ndarray, positions: int, in_lo: int, in_hi: int, sharing: bool = True,
                cse: str = "neighbours") -> AdderGraph:
    """Adder graph of ``Y = A @ W`` for integer ``W`` ``(N, M)`` with CSD ``positions`` digits.

    ``[in_lo, in_hi]`` is the range of each input (the activation format's, or
    ``[0, 1]`` for a bit-serial bit-plane). See the module docstring for the method;
    ``cse="all-pairs"`` first extracts shared pairs across all terms (`hwgen.hardwired.cse`).
    """
    weights = np.asarray(weights)
    n, m = weights.shape
    if n * m == 0:
        raise ConfigError("the weight matrix is empty")
    digits = csd_digits(weights, positions)  # (N, M, D)
    if cse == "all-pairs" and sharing:
        return all_pairs_graph(digits, in_lo, in_hi)
    # Level-0 rows: (i, k) input-major; entries per column.
    sign = np.ascontiguousarray(digits.transpose(0, 2, 1).reshape(n * positions, m))
    row_sig = np.repeat(np.arange(n, dtype=np.int64), positions)
    row_shift = np.tile(np.arange(positions, dtype=np.int64), n)
    lefts, rights, lsh, rsh, rsg, lvl = [], [], [], [], [], []
    lo_all, hi_all = np.full(n, in_lo, dtype=np.int64), np.full(n, in_hi, dtype=np.int64)
    next_id, level = n, 0
    ids = np.where(sign != 0, row_sig[:, None], -1)
    shift = np.where(sign != 0, row_shift[:, None], 0).astype(np.int8)
    while ids.shape[0] > 1:
        level += 1
        if ids.shape[0] % 2:
            ids = np.concatenate([ids, np.full((1, m), -1, dtype=np.int64)])
            sign = np.concatenate([sign, np.zeros((1, m), dtype=sign.dtype)])
            shift = np.concatenate([shift, np.zeros((1, m), dtype=shift.dtype)])
        li, ri = ids[0::2], ids[1::2]
        ls, rs = sign[0::2], sign[1::2]
        lh, rh = shift[0::2], shift[1::2]
        lz, rz = li < 0, ri < 0
        # pass-through where one side is zero
        new_ids = np.where(lz, ri, li)
        new_sign = np.where(lz, rs, ls)
        new_shift = np.where(lz, rh, lh)
        both = ~lz & ~rz
        if np.any(both):
            bl, br = li[both], ri[both]
            bls, brs = ls[both].astype(np.int64), rs[both].astype(np.int64)
            blh, brh = lh[both].astype(np.int64), rh[both].astype(np.int64)
            s0 = np.minimum(blh, brh)
            rel = bls * brs  # right sign relative to a positive left
            dl, dr = blh - s0, brh - s0
            if next_id + both.sum() >= 1 << _ID_BITS or positions > (1 << _SH_BITS):
                raise ConfigError("weight matrix too large for the adder-graph builder")
            if sharing:
                key = (((bl << _ID_BITS | br) << _SH_BITS | dl) << _SH_BITS | dr) << 1 | (rel < 0)
                uniq, first, inv = np.unique(key, return_index=True, return_inverse=True)
            else:
                first = np.arange(bl.size)
                inv = first
            k = first.size
            node_l, node_r = bl[first], br[first]
            node_dl, node_dr, node_rel = dl[first], dr[first], rel[first]
            llo, lhi = _bounds_of(lo_all, hi_all, node_l, node_dl)
            rlo, rhi = _bounds_of(lo_all, hi_all, node_r, node_dr)
            nlo = llo + np.where(node_rel > 0, rlo, -rhi)
            nhi = lhi + np.where(node_rel > 0, rhi, -rlo)
            lefts.append(node_l); rights.append(node_r)
            lsh.append(node_dl.astype(np.int8)); rsh.append(node_dr.astype(np.int8))
            rsg.append(node_rel.astype(np.int8)); lvl.append(np.full(k, level, dtype=np.int16))
            lo_all = np.concatenate([lo_all, nlo]); hi_all = np.concatenate([hi_all, nhi])
            new_ids[both] = next_id + inv
            new_sign[both] = bls
            new_shift[both] = s0
            next_id += k
        ids, sign, shift = new_ids, new_sign, new_shift

    cat = (lambda parts, dt: np.concatenate(parts).astype(dt) if parts else np.zeros(0, dtype=dt))
    left, right, level_arr = cat(lefts, np.int64), cat(rights, np.int64), cat(lvl, np.int16)
    out_id = ids[0].astype(np.int64)
    return AdderGraph(
        n_inputs=n, n_outputs=m, in_lo=in_lo, in_hi=in_hi,
        left=left, right=right, lshift=cat(lsh, np.int8),
        rshift=cat(rsh, np.int8), rsign=cat(rsg, np.int8), level=level_arr,
        lo=lo_all, hi=hi_all,
        out_id=out_id, out_sign=sign[0].astype(np.int64), out_shift=shift[0].astype(np.int64),
        last_use=last_uses(n, left, right, level_arr, out_id, level), n_levels=level,
    )
