"""All-pairs common sub-expression extraction for constant matrices (``cse: all-pairs``).

The neighbour sharing of `hwgen.hardwired.graph` only pairs terms that sit next to
each other in a neuron's balanced tree. Here every neuron is a list of signed,
shifted terms ``s * (x << k)`` over *signals* ``x`` (the inputs, then extracted
nodes); a pair of terms ``(a << k)`` and ``rel * (b << (k + d))`` is the node
``a + rel * (b << d)`` shifted by ``k``, whatever ``k`` is. Rounds of:

1. count, for every pair of term columns, the neurons that hold both with each
   relative sign (two matrix products of the 0/1 sign planes);
2. sum the counts of pairs that are the same node at different shifts;
3. visit nodes by decreasing count and, re-checking against the current terms,
   build each one used by at least two neurons and substitute it there.

Rounds stop when no pair repeats. The residual terms then go through the usual
balanced tree (with its neighbour sharing). Batch greedy (several nodes per
round, stale counts re-checked) keeps a 256 x 256 matrix to a few rounds.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

__all__ = ["Extraction", "extract_pairs"]

_MAX_ROUNDS = 256
#: A round builds the nodes counted at least this fraction of the round's best count: close to
#: one-at-a-time greedy for the frequent pairs, few rounds in all.
_ROUND_FRACTION = 0.95


@dataclass
class Extraction:
    """Nodes built by `extract_pairs` (ids ``n_inputs..``, sorted by level) and the residual terms.

    Node ``n_inputs + k`` is ``left[k] + rsign[k] * (right[k] << rshift[k])``. ``sign``
    ``(rows, M)`` holds each neuron's remaining terms over rows ``(row_sig, row_shift)``.
    """

    left: list[int] = field(default_factory=list)
    right: list[int] = field(default_factory=list)
    rshift: list[int] = field(default_factory=list)
    rsign: list[int] = field(default_factory=list)
    level: list[int] = field(default_factory=list)
    sign: np.ndarray | None = None
    row_sig: np.ndarray | None = None
    row_shift: np.ndarray | None = None


def _pair_keys(sign: np.ndarray, row_sig: np.ndarray, row_shift: np.ndarray, n_sig: int):
    """Candidate nodes with their neuron counts: ``(key, count)`` sorted by decreasing count.

    With ``x`` the signs and ``|x|`` the non-zeros, ``|x| |x|^T`` counts the neurons holding
    both terms and ``x x^T`` their same-sign minus opposite-sign ones: two products give both.
    """
    rows = np.flatnonzero(np.count_nonzero(sign, axis=1) >= 2)  # a term in one neuron pairs nowhere twice
    x = sign[rows].astype(np.float32)
    both, diff = np.abs(x) @ np.abs(x).T, x @ x.T
    t, u = np.nonzero(np.triu(both >= 2, 1))
    if t.size == 0:
        return np.zeros(0, np.int64), np.zeros(0)
    b, dd = both[t, u], diff[t, u]
    t, u = rows[t], rows[u]
    st, su, kt, ku = row_sig[t], row_sig[u], row_shift[t], row_shift[u]
    swap = (kt > ku) | ((kt == ku) & (st > su))
    a, bb = np.where(swap, su, st), np.where(swap, st, su)
    base = ((a * n_sig + bb) * 64 + np.abs(ku - kt)) * 2
    keys = np.concatenate([base, base + 1])  # same sign, opposite sign
    counts = np.concatenate([(b + dd) / 2, (b - dd) / 2])
    keep = counts >= 2
    uniq, inv = np.unique(keys[keep], return_inverse=True)
    total = np.bincount(inv, weights=counts[keep])
    order = np.argsort(-total, kind="stable")
    return uniq[order], total[order]


def extract_pairs(sign: np.ndarray, row_sig: np.ndarray, row_shift: np.ndarray, n_inputs: int) -> Extraction:
    """Greedy all-pairs extraction over terms ``sign (rows, M)`` on rows ``(row_sig, row_shift)``."""
    sign = sign.astype(np.int8).copy()
    row_sig, row_shift = row_sig.astype(np.int64), row_shift.astype(np.int64)
    out = Extraction()
    levels = [0] * n_inputs
    for _ in range(_MAX_ROUNDS):
        live = np.any(sign != 0, axis=1)
        sign, row_sig, row_shift = sign[live], row_sig[live], row_shift[live]
        n_sig = len(levels)
        keys, counts = _pair_keys(sign, row_sig, row_shift, n_sig)
        if keys.size == 0:
            break
        keys = keys[counts >= max(2.0, counts[0] * _ROUND_FRACTION)]
        index = {(int(s), int(k)): r for r, (s, k) in enumerate(zip(row_sig, row_shift))}
        shifts: dict[int, list[int]] = {}
        for s, k in sorted(index):
            shifts.setdefault(s, []).append(k)
        new_rows: dict[tuple[int, int], np.ndarray] = {}
        built = 0
        for key in keys.tolist():
            neg, rest = key & 1, key >> 1
            d, ab = rest % 64, rest // 64
            a, b = divmod(ab, n_sig)
            rel = -1 if neg else 1
            node = None
            for k in shifts.get(a, ()):
                t, u = index.get((a, k)), index.get((b, k + d))
                if t is None or u is None or t == u:
                    continue
                hit = (sign[t] != 0) & (sign[u] == rel * sign[t])
                if node is None:
                    if np.count_nonzero(hit) < 2:
                        continue
                    node = len(levels)
                    out.left.append(a), out.right.append(b), out.rshift.append(d), out.rsign.append(rel)
                    levels.append(1 + max(levels[a], levels[b]))
                    built += 1
                elif not hit.any():
                    continue
                col = new_rows.setdefault((node, k), np.zeros(sign.shape[1], np.int8))
                col[hit] = sign[t][hit]
                sign[t][hit] = 0
                sign[u][hit] = 0
        if not built:
            break
        if new_rows:
            sign = np.concatenate([sign, np.stack(list(new_rows.values()))])
            row_sig = np.concatenate([row_sig, [s for s, _ in new_rows]])
            row_shift = np.concatenate([row_shift, [k for _, k in new_rows]])
    # renumber nodes by level (stable), so adders are emitted and evaluated level by level
    node_levels = np.array(levels[n_inputs:], dtype=np.int64)
    order = np.argsort(node_levels, kind="stable")
    remap = np.arange(len(levels))
    remap[n_inputs + order] = n_inputs + np.arange(order.size)
    out.left = remap[np.array(out.left, dtype=np.int64)[order]].tolist() if order.size else []
    out.right = remap[np.array(out.right, dtype=np.int64)[order]].tolist() if order.size else []
    out.rshift = np.array(out.rshift, dtype=np.int64)[order].tolist()
    out.rsign = np.array(out.rsign, dtype=np.int64)[order].tolist()
    out.level = node_levels[order].tolist()
    live = np.any(sign != 0, axis=1)
    out.sign, out.row_sig, out.row_shift = sign[live], remap[row_sig[live]], row_shift[live]
    return out
