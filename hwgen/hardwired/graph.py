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

from dataclasses import dataclass, field

import numpy as np

from hwgen.errors import ConfigError

from .cse import all_pairs_graph

__all__ = ["AdderGraph", "build_graph", "csd_digits", "naive_adders", "bit_length"]

_ID_BITS = 27
_SH_BITS = 4


def csd_digits(w: np.ndarray, positions: int) -> np.ndarray:
    """Canonical-signed-digit (NAF) digits of integers ``w``: shape ``w.shape + (positions,)``."""
    x = np.asarray(w, dtype=np.int64).copy()
    out = np.zeros(x.shape + (positions,), dtype=np.int8)
    for k in range(positions):
        odd = (x & 1).astype(bool)
        d = np.where(odd, 2 - (x & 3), 0)
        out[..., k] = d
        x = (x - d) >> 1
    if np.any(x != 0):
        raise ConfigError(f"weights need more than {positions} signed digits")
    return out


def bit_length(x: np.ndarray) -> np.ndarray:
    """``int.bit_length`` of non-negative int64 values (exact below 2**53)."""
    x = np.asarray(x, dtype=np.int64)
    _, e = np.frexp(x.astype(np.float64))
    return np.where(x > 0, e, 0).astype(np.int64)


def signed_widths(lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """Smallest two's-complement widths holding ``[lo, hi]`` (vectorized `signed_width`)."""
    neg = np.where(lo < 0, -lo - 1, 0)
    return 1 + np.maximum(bit_length(np.maximum(hi, 0)), bit_length(neg))


def naive_adders(weights: np.ndarray, positions: int) -> int:
    """Adders of per-neuron trees without sharing: non-zero digits minus one per used column."""
    digits = csd_digits(weights, positions)
    nz = np.count_nonzero(digits, axis=(0, 2))
    return int(np.sum(np.maximum(nz - 1, 0)))


@dataclass
class AdderGraph:
    """The adder graph of one weight matrix.

    Node ids ``0 .. n_inputs-1`` are the activations; node ``n_inputs + k`` is adder
    ``k``: ``(left << lshift) + rsign * (right << rshift)``. Adders are sorted by
    level (1-based). ``live[l]`` holds the ids present after level ``l`` (``live[0]``
    the used inputs): a register cut after level ``l`` registers exactly these.
    Output ``j`` is ``out_sign[j] * (out_id[j] << out_shift[j])``, or 0 if
    ``out_id[j] == -1``. ``lo``/``hi`` bound every node's value (interval
    arithmetic over the input range ``[in_lo, in_hi]``) and ``width`` is its
    two's-complement width, so nothing can overflow.
    """

    n_inputs: int
    n_outputs: int
    in_lo: int
    in_hi: int
    left: np.ndarray
    right: np.ndarray
    lshift: np.ndarray
    rshift: np.ndarray
    rsign: np.ndarray
    level: np.ndarray
    lo: np.ndarray
    hi: np.ndarray
    out_id: np.ndarray
    out_sign: np.ndarray
    out_shift: np.ndarray
    live: list[np.ndarray] = field(default_factory=list)

    @property
    def n_adders(self) -> int:
        return int(self.left.size)

    @property
    def n_levels(self) -> int:
        return len(self.live) - 1

    @property
    def width(self) -> np.ndarray:
        return signed_widths(self.lo, self.hi)

    @property
    def negations(self) -> int:
        return int(np.count_nonzero((self.out_id >= 0) & (self.out_sign < 0)))

    def output_bounds(self) -> tuple[np.ndarray, np.ndarray]:
        """Interval bounds of every output (0 for an all-zero column)."""
        used = self.out_id >= 0
        idx = np.where(used, self.out_id, 0)
        lo, hi = self.lo[idx] << self.out_shift, self.hi[idx] << self.out_shift
        lo, hi = np.where(self.out_sign < 0, -hi, lo), np.where(self.out_sign < 0, -lo, hi)
        return np.where(used, lo, 0), np.where(used, hi, 0)

    def evaluate(self, x: np.ndarray, check_widths: bool = True) -> np.ndarray:
        """Outputs ``(B, M)`` for inputs ``(B, n_inputs)``, adder by adder in level order.

        With ``check_widths`` every node value is checked against its declared width
        (an assertion: a violation is a generator bug).
        """
        x = np.atleast_2d(np.asarray(x, dtype=np.int64))
        vals = np.zeros((self.n_inputs + self.n_adders, x.shape[0]), dtype=np.int64)
        vals[: self.n_inputs] = x.T
        base = self.n_inputs
        bounds = np.searchsorted(self.level, np.arange(1, self.n_levels + 2))
        start = 0
        for stop in bounds:
            sl = slice(start, stop)
            if stop > start:
                l = vals[self.left[sl]] << self.lshift[sl, None].astype(np.int64)
                r = vals[self.right[sl]] << self.rshift[sl, None].astype(np.int64)
                vals[base + start: base + stop] = l + self.rsign[sl, None] * r
            start = stop
        if check_widths:
            lim = np.int64(1) << (self.width - 1)
            v = vals
            if not np.all((v >= -lim[:, None]) & (v < lim[:, None])):
                raise OverflowError("adder graph node overflowed its width (a width derivation bug)")
        used = self.out_id >= 0
        out = vals[np.where(used, self.out_id, 0)].T << self.out_shift.astype(np.int64)
        return np.where(used, out * self.out_sign, 0)

    def stats(self, weights: np.ndarray | None = None, positions: int = 1) -> dict:
        """Counts for reports: adders, adder bits, registers of cuts, widths."""
        w = self.width
        n_weights = self.n_inputs * self.n_outputs
        out = {
            "weights": n_weights,
            "adders": self.n_adders,
            "negations": self.negations,
            "adder_bits": int(w.sum()),
            "levels": self.n_levels,
            "adders_per_weight": (self.n_adders + self.negations) / n_weights,
            "adders_per_level": np.bincount(self.level, minlength=self.n_levels + 1)[1:].tolist(),
        }
        if weights is not None:
            naive = naive_adders(weights, positions)
            nz = int(np.count_nonzero(weights))
            out.update({
                "nonzero_weights": nz,
                "naive_adders": naive,
                "naive_adders_per_weight": naive / n_weights,
                "dense_adders_per_weight": (self.n_inputs * positions - 1) / self.n_inputs,
                "sharing_factor": naive / max(1, self.n_adders + self.negations),
            })
        return out


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
    # Level-0 rows: (i, k) input-major; entries per column.
    sign = np.ascontiguousarray(digits.transpose(0, 2, 1).reshape(n * positions, m))
    row_sig = np.repeat(np.arange(n, dtype=np.int64), positions)
    row_shift = np.tile(np.arange(positions, dtype=np.int64), n)
    if cse == "all-pairs" and sharing:
        return _all_pairs(sign, row_sig, row_shift, n, m, in_lo, in_hi)
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
        live=live_sets(n, left, right, level_arr, out_id, level),
    )


def _all_pairs(sign, row_sig, row_shift, n: int, m: int, in_lo: int, in_hi: int) -> AdderGraph:
    """The graph of `all_pairs_graph`, with interval bounds derived level by level."""
    g = all_pairs_graph(sign, row_sig, row_shift, n, in_lo, in_hi)
    lo = np.concatenate([np.full(n, in_lo, np.int64), np.zeros(g.left.size, np.int64)])
    hi = np.concatenate([np.full(n, in_hi, np.int64), np.zeros(g.left.size, np.int64)])
    bounds = np.searchsorted(g.level, np.arange(1, int(g.level.max(initial=0)) + 2))
    for start, stop in zip(bounds[:-1], bounds[1:]):
        k = np.arange(start, stop)
        llo, lhi = _bounds_of(lo, hi, g.left[k], g.lshift[k].astype(np.int64))
        rlo, rhi = _bounds_of(lo, hi, g.right[k], g.rshift[k].astype(np.int64))
        pos = g.rsign[k] > 0
        lo[n + k] = llo + np.where(pos, rlo, -rhi)
        hi[n + k] = lhi + np.where(pos, rhi, -rlo)
    levels = int(g.level.max(initial=0))
    return AdderGraph(n_inputs=n, n_outputs=m, in_lo=in_lo, in_hi=in_hi, left=g.left, right=g.right,
                      lshift=g.lshift, rshift=g.rshift, rsign=g.rsign, level=g.level, lo=lo, hi=hi,
                      out_id=g.out_id, out_sign=g.out_sign, out_shift=g.out_shift,
                      live=live_sets(n, g.left, g.right, g.level, g.out_id, levels))


def live_sets(n: int, left: np.ndarray, right: np.ndarray, level: np.ndarray, out_id: np.ndarray,
              levels: int) -> list[np.ndarray]:
    """``live[l]``: the nodes defined at level <= l that an adder above l or an output still reads
    (what a register cut after level ``l`` holds); inputs are level 0."""
    node_level = np.concatenate([np.zeros(n, np.int64), level.astype(np.int64)])
    last_use = np.full(node_level.size, -1, dtype=np.int64)
    np.maximum.at(last_use, left, level)
    np.maximum.at(last_use, right, level)
    used = out_id[out_id >= 0]
    last_use[used] = levels + 1
    return [np.flatnonzero((node_level <= lv) & (last_use > lv)) for lv in range(levels + 1)]
